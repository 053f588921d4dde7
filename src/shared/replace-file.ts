/**
 * Replaces a file atomically: a reader (runsc reading config.json, dockerd reloading daemon.json, the
 * launcher sourcing its cache) sees the old content or the new, never half of it. An existing file
 * keeps its mode and owner.
 */
import { randomBytes } from "node:crypto";
import { chownSync, closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";

/**
 * Writes every byte or throws: writeSync may write fewer than asked (a full disk, RLIMIT_FSIZE) and
 * says so only in its count.
 */
export function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) {
    const wrote = writeSync(fd, data, done);
    if (wrote <= 0) throw Object.assign(new Error(`short write: ${done} of ${data.length} bytes`), { code: "EIO" });
    done += wrote;
  }
}

/** `file` may be a Buffer, for a path that is not UTF-8. */
export function replaceFile(file: string | Buffer, data: Buffer, newFileMode = 0o644): void {
  let old: { mode: number; uid: number; gid: number } | undefined;
  try {
    old = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  // An unpredictable name, created exclusively: nobody can have planted it, or a link in its place.
  const suffix = `.runsc-overlay.${randomBytes(8).toString("hex")}.tmp`;
  const tmp = typeof file === "string" ? `${file}${suffix}` : Buffer.concat([file, Buffer.from(suffix)]);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    try {
      writeAll(fd, data);
      // Set explicitly: the mode given to open() is narrowed by the caller's umask.
      fchmodSync(fd, old ? old.mode & 0o7777 : newFileMode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (old) chownSync(tmp, old.uid, old.gid);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
