/** Whether a path is runsc-overlay's launcher: what an engine must be given, never runsc itself. */
import { accessSync, constants, existsSync } from "node:fs";
import { isLauncher } from "../runtime/locate.js";

/** Why `path` is not a usable runsc-overlay launcher, or undefined if it is one. */
export function notLauncher(path: string | undefined): string | undefined {
  if (!path || !existsSync(path)) return "does not exist";
  if (!isLauncher(path)) return "is not runsc-overlay's launcher";
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return "is not executable";
  }
}
