import { readdirSync, readlinkSync } from "node:fs";

/**
 * Host files under `dir` that any process holds open. A `dir=` filestore (and the fallback for a runsc
 * without `self`) is unlinked as soon as it is made: the sandbox's open descriptor is all that shows it.
 */
export function openFilesUnder(dir: string): string[] {
  const found = new Set<string>();
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(`${dir}/`)) found.add(target);
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return [...found];
}
