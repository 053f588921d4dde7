/** What the host sees of a running gVisor sandbox. */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { commandLines } from "../../src/testbed/engine.js";

/** The PID of the runsc-sandbox process of the sandbox `id` (for Docker, the container's full ID). */
export async function sandboxPid(id: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const sandbox = commandLines().find(({ argv }) => argv[0] === "runsc-sandbox" && argv.includes(id));
    if (sandbox) return sandbox.pid;
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
