/**
 * Replaces a file atomically: a reader (runsc reading config.json, dockerd reloading daemon.json)
 * sees the old content or the new, never half of it. An existing file keeps its mode and owner.
 */
import { chownSync, closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";

export function replaceFile(file: string, data: Buffer, newFileMode = 0o644): void {
  let old: { mode: number; uid: number; gid: number } | undefined;
  try {
    old = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const tmp = `${file}.runsc-overlay.${process.pid}.tmp`;
  rmSync(tmp, { force: true }); // left by a process that died with this PID
  const fd = openSync(tmp, "wx", old ? old.mode & 0o7777 : newFileMode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (old) chownSync(tmp, old.uid, old.gid);
  renameSync(tmp, file);
}
