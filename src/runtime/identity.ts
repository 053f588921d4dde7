/**
 * A file's identity, to tell whether a cache made from it still holds: its mode, device, inode, size,
 * and the modification and change times to the nanosecond, written as `stat -L -c
 * '%a:%d:%i:%s:%.9Y:%.9Z'` prints them, so that the launcher checks the same string, in the same
 * `stat` that reads the modes of its own data file and directories (bin/runsc-overlay, rso_trust).
 */
import { type BigIntStats, statSync } from "node:fs";

export const STAT_FORMAT = "%a:%d:%i:%s:%.9Y:%.9Z";

export function identity(st: BigIntStats): string {
  const time = (ns: bigint) => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
  return `${(st.mode & 0o7777n).toString(8)}:${st.dev}:${st.ino}:${st.size}:${time(st.mtimeNs)}:${time(st.ctimeNs)}`;
}

/** A file changed this recently may change again within the same timestamp: nothing may be cached from it (racy git). */
const RACY_NS = 2_000_000_000n;

/** The identity of `file` if it is settled enough to cache from, "absent" if there is none, undefined otherwise. */
export function settledIdentity(file: string): string | undefined {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return "absent";
  return BigInt(Date.now()) * 1_000_000n - st.ctimeNs < RACY_NS ? undefined : identity(st);
}

/** The identity of `file` now, or "absent". */
export function currentIdentity(file: string): string {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  return st === undefined ? "absent" : identity(st);
}
