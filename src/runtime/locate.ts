/**
 * Where the real runsc is. Daemons run runtimes with a minimal PATH (systemd's, or none), so an empty
 * runsc.path searches PATH and then the standard directories, and every error says what was tried.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { Refusal } from "./errors.js";

export const STANDARD_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Written into the launcher, so that a runsc-overlay installed under the name `runsc` never runs itself. */
export const LAUNCHER_MARKER = "runsc-overlay launcher";

export function locateRunsc(configured: string, configFile: string, env: NodeJS.ProcessEnv, standardDirs = STANDARD_DIRS): string {
  return searchRunsc(configured, configFile, env, standardDirs).runsc;
}

export interface RunscSearch {
  runsc: string;
  /** The PATH searched, or undefined where runsc.path named the binary. */
  path: string | undefined;
  /** Candidates passed over before it: absent, or a runsc-overlay launcher. */
  passed: { candidate: string; launcher: boolean }[];
  /** A candidate passed over for another reason (not executable, a directory): the search is fragile. */
  unusable: boolean;
}

export function searchRunsc(configured: string, configFile: string, env: NodeJS.ProcessEnv, standardDirs = STANDARD_DIRS): RunscSearch {
  if (configured !== "") {
    const problem = unusable(configured) ?? (isLauncher(configured) ? "is runsc-overlay's own launcher, which would call itself: set it to gVisor's runsc" : undefined);
    if (problem) throw new Refusal(`runsc.path = "${configured}" in ${configFile}: ${problem}`);
    return { runsc: configured, path: undefined, passed: [], unusable: false };
  }
  const tried = searchDirs(env, standardDirs).map((dir) => join(dir, "runsc"));
  const passed: RunscSearch["passed"] = [];
  let fragile = false;
  for (const candidate of tried) {
    const problem = unusable(candidate);
    if (problem === undefined && !isLauncher(candidate)) return { runsc: candidate, path: env.PATH ?? "", passed, unusable: fragile };
    if (problem === "does not exist") passed.push({ candidate, launcher: false });
    else if (problem === undefined) passed.push({ candidate, launcher: true });
    else fragile = true;
  }
  throw new Refusal(
    `runsc not found (tried ${tried.join(", ")}): install gVisor's runsc or set runsc.path in ${configFile}`,
  );
}

/** Where a command is looked for: PATH's absolute directories, then the standard ones, each once. */
export function searchDirs(env: NodeJS.ProcessEnv, standardDirs = STANDARD_DIRS): string[] {
  return [...new Set([...(env.PATH ?? "").split(delimiter).filter((dir) => dir.startsWith("/")), ...standardDirs])];
}

/** Why `path` cannot be executed, or undefined if it can. */
export function unusable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "is not a file";
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not executable" : String(code);
  }
}

export function isLauncher(path: string): boolean {
  const head = Buffer.alloc(256);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).includes(LAUNCHER_MARKER);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
