/**
 * The one trust rule for every cache the runtime reads (the fast path's data, parsed configs, runsc
 * capabilities): an entry is used only where nobody but the caller's user or root could have written
 * it. The file and every directory from the cache's root down to it must be owned by one of them,
 * writable by no one else, and not a symbolic link; anything else is ignored, which costs a call its
 * time and never changes its plan. Entries are written through the same check, by replaceFile (an
 * unpredictable temporary, created exclusively).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from "node:fs";
import { dirname, relative, sep } from "node:path";
import { replaceFile } from "../shared/replace-file.js";
import { makeDirs } from "./dirs.js";

/** The cache's text, or undefined where it is absent or not to be trusted. */
export function readCache(file: string, root: string): string | undefined {
  if (!trustedDirs(dirname(file), root)) return undefined;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && trusted(st) ? readFileSync(fd, "utf8") : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes `file` unless it already holds `text`: 0600, in directories of 0700, only below a trusted root. */
export function writeCache(file: string, text: string, root: string): void {
  if (readCache(file, root) === text) return;
  makeDirs(dirname(file), 0o700);
  if (!trustedDirs(dirname(file), root)) return;
  replaceFile(file, Buffer.from(text), 0o600);
}

function trustedDirs(dir: string, root: string): boolean {
  const below = relative(root, dir);
  if (below.startsWith("..")) return false;
  let path = root;
  for (const part of ["", ...(below === "" ? [] : below.split(sep))]) {
    path = part === "" ? path : `${path}${sep}${part}`;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || !st.isDirectory() || !trusted(st)) return false;
  }
  return true;
}

/** Owned by the caller's user or root, and writable by no one else. */
function trusted(st: Stats): boolean {
  return (st.uid === 0 || st.uid === process.getuid!()) && (st.mode & 0o022) === 0;
}
