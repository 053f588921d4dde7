/** Whether a path is runsc-overlay's launcher: what an engine must be given, never runsc itself. */
import { isLauncher, unusable } from "../runtime/locate.js";

/** Why `path` is not a usable runsc-overlay launcher, or undefined if it is one. */
export function notLauncher(path: string | undefined): string | undefined {
  if (!path) return "does not exist";
  return unusable(path) ?? (isLauncher(path) ? undefined : "is not runsc-overlay's launcher");
}
