/** Running the installed launcher against a fake or a real runsc, in a private directory. */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Options, execa } from "execa";
import type { RunscVersion } from "./capabilities.js";
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

/**
 * stdout and stderr on files at `base`.stdout and .stderr, as real descriptors: a sandbox keeps the
 * stdio it was given open, so a caller waiting on a pipe would hang (containerd#2709), and execa's
 * `{ file }` targets are pipes that Node copies into the file.
 */
export function toFiles(base: string): { stdout: number; stderr: number } {
  return { stdout: openSync(`${base}.stdout`, "w"), stderr: openSync(`${base}.stderr`, "w") };
}

export function runRuntime(args: string[], config: string, options: Options = {}) {
  return execa(LAUNCHER, args, { reject: false, stdin: "ignore", ...options, env: { RUNSC_OVERLAY_CONFIG: config, ...options.env } });
}

/** An OCI bundle whose rootfs is busybox-static, with a writable root so that runsc overlays it. */
export function busyboxBundle(dir: string, args: string[], extra: Record<string, unknown> = {}): string {
  const bundle = join(dir, "bundle");
  mkdirSync(join(bundle, "rootfs/bin"), { recursive: true });
  copyFileSync(BUSYBOX, join(bundle, "rootfs/bin/busybox"));
  chmodSync(join(bundle, "rootfs/bin/busybox"), 0o755);
  for (const applet of ["sh", "cat", "ls", "sleep", "dd", "head", "echo"]) symlinkSync("busybox", join(bundle, "rootfs/bin", applet));
  for (const d of ["proc", "sys", "dev", "tmp"]) mkdirSync(join(bundle, "rootfs", d));
  const spec = {
    ociVersion: "1.0.0",
    process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: ["PATH=/bin"], cwd: "/", capabilities: {}, rlimits: [] },
    root: { path: "rootfs", readonly: false },
    hostname: "runsc-overlay-test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    ],
    linux: { namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }] },
    ...extra,
  };
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec, null, 2));
  return bundle;
}
