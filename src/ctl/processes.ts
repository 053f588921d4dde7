/** The running processes of a command, as /proc shows them: how the CLI finds the engines it talks to. */
import { readFileSync, readdirSync } from "node:fs";

/** PIDs of the processes whose command name (`/proc/PID/comm`) is `name`. */
export function processesNamed(name: string): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name ? [Number(entry)] : [];
    } catch {
      return []; // The process ended meanwhile.
    }
  });
}
