import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `mkdir -p`. Not mkdirSync's `recursive`: that spins forever where a parent refuses new entries
 * with ENOENT, as /proc does (EEXIST on the parent, ENOENT on the child, again and again).
 */
export function makeDirs(path: string, mode: number): void {
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "ENOENT" || dirname(path) === path) throw error;
    makeDirs(dirname(path), mode);
    mkdirSync(path, { mode });
  }
}
