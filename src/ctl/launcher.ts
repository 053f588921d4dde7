/** Whether a path is runsc-overlay's launcher: what an engine must be given, never runsc itself. */
import { readFileSync } from "node:fs";
import { isLauncher, unusable } from "../runtime/locate.js";

/** The config a launcher reads where RUNSC_OVERLAY_CONFIG names none, as install fixed it in the launcher. */
export function launcherConfig(path: string): string | undefined {
  try {
    return /^CONFIG=(.+)$/m.exec(readFileSync(path, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/** Why `path` is not a usable runsc-overlay launcher, or undefined if it is one. */
export function notLauncher(path: string | undefined): string | undefined {
  if (!path) return "does not exist";
  return unusable(path) ?? (isLauncher(path) ? undefined : "is not runsc-overlay's launcher");
}
