/**
 * Which config.json runsc reads, byte for byte. runsc's create, run and restore (gVisor's
 * runsc/cmd/create.go and specutils.OpenSpec, the same in 0.0~20221219, 0.0~20240729 and
 * release-20260817) open `filepath.Join(bundleDir, "config.json")`, where bundleDir is `--bundle` as
 * given, else `os.Getwd()`: `$PWD` where it is absolute and names the working directory, else the
 * physical working directory. Join cleans the path lexically, so `lnk/../b` is `b` whatever `lnk` links
 * to, and a relative path is opened from the working directory, which runsc shares with the launcher
 * that execs it.
 *
 * Paths are byte strings (latin1: one character per byte), as runsc receives them: a path that is not
 * UTF-8 must name the very file runsc opens, not the one a lossy decoding would. bin/runsc-overlay
 * applies the same rule (rso_clean, rso_bundle_clear).
 */

/** Go's path/filepath.Clean on Unix: one slash, no `.`, no `x/..`, no `..` above the root; "" is ".". */
export function goClean(path: string): string {
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") out.push(part);
    else if (out.length > 0 && out.at(-1) !== "..") out.pop();
    else if (!rooted) out.push("..");
  }
  const joined = (rooted ? "/" : "") + out.join("/");
  return joined === "" ? "." : joined;
}

/**
 * The config.json runsc opens for `--bundle` (undefined or "" where none is given), with the
 * launcher's `$PWD` (what runsc's environment holds) and a test of whether a path names the working
 * directory (Go's os.SameFile against `.`).
 */
export function specPath(bundle: string | undefined, pwd: string | undefined, namesWorkingDir: (path: string) => boolean): string {
  if (bundle) return goClean(`${bundle}/config.json`);
  // os.Getwd's physical directory is clean, so Join gives the file "config.json" names from it.
  return pwd?.startsWith("/") && namesWorkingDir(pwd) ? goClean(`${pwd}/config.json`) : "config.json";
}

/** A byte string as a path the fs module opens exactly. */
export function bytesPath(path: string): Buffer {
  return Buffer.from(path, "latin1");
}

/** A byte string for people to read: UTF-8 where it is, U+FFFD for each byte that is not. */
export function shown(path: string): string {
  return bytesPath(path).toString("utf8");
}
