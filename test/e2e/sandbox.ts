/** What the host sees of a running gVisor sandbox. */
import { readFileSync, readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** The PID of the runsc-sandbox process of the sandbox `id` (for Docker, the container's full ID). */
export async function sandboxPid(id: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        if (argv[0] === "runsc-sandbox" && argv.includes(id)) return Number(pid);
      } catch {
        // Ended meanwhile.
      }
    }
    await sleep(100);
  }
  throw new Error(`no runsc-sandbox process for ${id}`);
}

/**
 * Sandbox memory a memory-backed overlay grows: gVisor keeps file data of `root:memory` in its memory
 * file, a memfd, which shows as shared RSS of the sandbox process.
 */
export function sharedRssKiB(pid: number): number {
  return Number(/^RssShmem:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}
