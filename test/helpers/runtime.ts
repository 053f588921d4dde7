/** Running the installed launcher against a fake or a real runsc, in a private directory. */
import { copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { type Options, execa } from "execa";
import type { RunscVersion } from "./capabilities.js";
import { busyboxBundle as makeBundle } from "../../src/testbed/busybox.js";
import { BUSYBOX, FIXTURES, LAUNCHER } from "./paths.js";

export function workdir(name: string): string {
  return mkdtempSync(join(tmpdir(), `rso-${name}-`));
}

/** A config.toml in dir, with a private cache and log file; `extra` holds further TOML tables. */
export function writeConfig(dir: string, runsc: string, { flags = [] as string[], extra = "" } = {}): string {
  const file = join(dir, "config.toml");
  const toml = (value: unknown) => JSON.stringify(value);
  writeFileSync(
    file,
    `[runsc]\npath = ${toml(runsc)}\nflags = ${toml(flags)}\n[cache]\ndir = ${toml(join(dir, "cache"))}\n` +
      `[log]\nfile = ${toml(join(dir, "own.log"))}\nlevel = "info"\n${extra}\n`,
  );
  return file;
}

/** Runs `body` with the config file changed by `edit`, then puts the file back as it was. */
export async function withConfig(config: string, edit: (toml: string) => string, body: () => Promise<void>): Promise<void> {
  const good = `${config}.good`;
  copyFileSync(config, good);
  writeFileSync(config, edit(readFileSync(good, "utf8")));
  try {
    await body();
  } finally {
    copyFileSync(good, config);
  }
}

/**
 * The suite's config edited for runsc `version`, given --allow-flag-override (so that it would obey a
 * flag annotation that reached it) and its fallback filestore in `fallback`.
 */
export function onRunsc(runsc: string, fallback: string): (toml: string) => string {
  return (toml) =>
    toml.replace(/path = ".*"/, `path = ${JSON.stringify(runsc)}`).replace('flags = ["--network=none"]', 'flags = ["--network=none", "--allow-flag-override"]') +
    `[overlay]\nfallback_dir = ${JSON.stringify(fallback)}\n`;
}

export function fakeRunsc(dir: string, version: RunscVersion): string {
  const file = join(dir, `fake-runsc-${version}`);
  const script = readFileSync(`${FIXTURES}/fake-runsc`, "utf8").replace("@FIXTURES@", `${FIXTURES}/runsc/${version}`);
  writeFileSync(file, script, { mode: 0o755 });
  return file;
}

export interface FakeRecord {
  argv: string[];
  pid: number;
  sigIgn: string;
  sigBlk: string;
  fds: Map<number, string>;
}

export function readRecord(record: string): FakeRecord | undefined {
  if (!existsSync(`${record}.argv`)) return undefined;
  const argv = readFileSync(`${record}.argv`, "utf8").split("\0").slice(0, -1);
  const proc = readFileSync(`${record}.proc`, "utf8");
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(proc)?.[1] ?? "";
  const fds = new Map([...proc.matchAll(/^fd (\d+) (.*)$/gm)].map((m) => [Number(m[1]), m[2]!] as [number, string]));
  return { argv, pid: Number(/^pid (\d+)/m.exec(proc)?.[1]), sigIgn: field("SigIgn"), sigBlk: field("SigBlk"), fds };
}

export interface Outcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
}

/**
 * Runs a command with stdin on /dev/null, stdout and stderr on `base`.stdout and .stderr, and any
 * further descriptors as given (fd 3 on). Real files, not pipes: a sandbox keeps the stdio it was
 * given open, so a caller waiting on a pipe would hang (containerd#2709). Node's own spawn, because
 * execa copies pipes into its `{ file }` targets and its types take no descriptor held in a variable.
 */
export function spawnWithFiles(file: string, args: string[], base: string, options: { env?: NodeJS.ProcessEnv; extraFds?: ("ignore" | number)[]; started?: (pid: number) => void } = {}): Promise<Outcome> {
  const child = spawn(file, args, {
    stdio: ["ignore", openSync(`${base}.stdout`, "w"), openSync(`${base}.stderr`, "w"), ...(options.extraFds ?? [])],
    env: { ...process.env, ...options.env },
  });
  options.started?.(child.pid!);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (exitCode, signal) => resolve({ exitCode, signal, pid: child.pid! }));
  });
}

/**
 * Runs `program` with `argv` from the directory `cwd` (its components from /, entered one at a time,
 * so that it may be longer than PATH_MAX) and `$PWD` as given (null: unset), every byte as given:
 * arguments, components and $PWD are byte strings (latin1). stdout and stderr go to files (a sandbox
 * keeps what it is given open), read back when it is done; a deadline, as a planner that read a FIFO
 * would wait for ever.
 */
export function spawnBytes(program: string, argv: string[], options: { cwd: string[]; pwd: string | null; env?: Record<string, string>; stdin?: string }): { status: number | null; stdout: string; stderr: string } {
  const printf = (word: string) => `"$(printf '${[...Buffer.from(word, "latin1")].map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join("")}')"`;
  const out = mkdtempSync(join(tmpdir(), "rso-spawn-"));
  const script = [
    "cd / || exit 97",
    ...options.cwd.filter(Boolean).map((part) => `cd -P ${printf(part)} || exit 97`),
    options.pwd === null ? "unset PWD" : `PWD=${printf(options.pwd)}; export PWD`,
    `exec ${[program, ...argv].map(printf).join(" ")} >"$0/stdout" 2>"$0/stderr"`,
  ].join("\n");
  const result = spawnSync("/bin/sh", ["-c", script, out], { env: { ...process.env, ...options.env }, input: options.stdin ?? "", timeout: 20_000, killSignal: "SIGKILL" });
  const read = (name: string) => (existsSync(join(out, name)) ? readFileSync(join(out, name), "latin1") : "");
  return { status: result.status, stdout: read("stdout"), stderr: read("stderr") };
}

export function runRuntime(args: string[], config: string, options: Options = {}) {
  return execa(LAUNCHER, args, { reject: false, stdin: "ignore", ...options, env: { RUNSC_OVERLAY_CONFIG: config, ...options.env } });
}

/**
 * Unmounts whatever is mounted under `dir`, deepest first: gVisor release-20260810 and later keep a
 * `null-netns` bind mount in each --root after delete.
 */
export function unmountUnder(dir: string): void {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4]?.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point): point is string => point !== undefined && point.startsWith(`${dir}/`));
  for (const point of points.sort((a, b) => b.length - a.length)) spawnSync("umount", ["-l", point]);
}

export function busyboxBundle(dir: string, args: string[], extra: Record<string, unknown> = {}): string {
  return makeBundle(BUSYBOX, dir, args, extra);
}
