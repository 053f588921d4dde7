/** The launcher's plan cache (fast-path fragments, parsed configs): root's shell sources what is there. */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { replaceFile } from "../shared/replace-file.js";
import { makeDirs } from "./dirs.js";

/** Writes `file` unless it already holds `text`: 0600, in directories of 0700. */
export function writeCache(file: string, text: string): void {
  let old: string | undefined;
  try {
    old = readFileSync(file, "utf8");
  } catch {
    old = undefined;
  }
  if (old === text) return;
  makeDirs(dirname(file), 0o700);
  replaceFile(file, Buffer.from(text), 0o600);
}
