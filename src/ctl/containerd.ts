/** The installed containerd: its version, its own merge of a config (`config dump`), and the shims it would find. */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, rmSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import { execa } from "execa";
import { Refusal } from "../runtime/errors.js";
import { writeAll } from "../shared/replace-file.js";
import { SHIM_BINARY, type Table } from "./containerd-config.js";
import { parseToml } from "./files.js";
import { onNode } from "./node/host-root.js";

/**
 * The containerd whose judgement counts: the one on PATH, or the node's own binary run in the
 * node's root (`chroot`), so that its imports and defaults are the node's. `root` is where the
 * node's files are seen from here.
 */
export interface ContainerdCommand {
  argv: string[];
  root: string;
}

export const LOCAL_CONTAINERD: ContainerdCommand = { argv: ["containerd"], root: "/" };

/** containerd's major version from `containerd --version`, or undefined where none is installed. */
export async function containerdMajor(env: NodeJS.ProcessEnv, containerd = LOCAL_CONTAINERD): Promise<number | undefined> {
  const [command, ...args] = containerd.argv as [string, ...string[]];
  const run = await execa(command, [...args, "--version"], { env, reject: false, timeout: 20_000 });
  const match = run.exitCode === 0 ? /\sv?(\d+)\.\d+/.exec(run.stdout) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * containerd's own merge of `text` as the main file at `configFile` would be (`containerd config
 * dump`, which needs no running daemon): imports, defaults and, on 1.x, whole plugin sections
 * replaced by imported ones. The text is dumped from a scratch file beside `configFile`, so relative
 * imports resolve as they will, and a candidate can be checked before it replaces anything.
 * undefined where containerd is not installed.
 */
export async function dumpConfig(env: NodeJS.ProcessEnv, configFile: string, text: string, containerd = LOCAL_CONTAINERD): Promise<Table | undefined> {
  // In the same directory, as imports resolve against it; created exclusively, under a name no one can predict.
  const scratch = join(dirname(configFile), `.${basename(configFile)}.runsc-overlay-check-${randomBytes(8).toString("hex")}`);
  const here = onNode(containerd.root, scratch);
  const fd = openSync(here, "wx", 0o600);
  try {
    try {
      writeAll(fd, Buffer.from(text));
    } finally {
      closeSync(fd);
    }
    const [command, ...args] = containerd.argv as [string, ...string[]];
    const dump = await execa(command, [...args, "--config", scratch, "config", "dump"], { env, reject: false, timeout: 20_000 });
    if (dump.exitCode === undefined) return undefined;
    if (dump.exitCode !== 0) throw new Refusal(`containerd config dump fails with ${configFile}: ${(dump.stderr.trim().split("\n").at(-1) || `exit status ${dump.exitCode}`).replaceAll(scratch, configFile)}`);
    const { imports: _, ...config } = parseToml(dump.stdout, "containerd config dump");
    return config;
  } finally {
    rmSync(here, { force: true });
  }
}

/**
 * Where containerd finds gVisor's shim: on its PATH, else beside its own executable. `env` is the
 * environment containerd runs with (this command's, for a containerd started from the same shell).
 */
export function findShim(env: NodeJS.ProcessEnv): string | undefined {
  const path = (env.PATH ?? "").split(delimiter).filter(Boolean);
  const containerd = path.map((dir) => join(dir, "containerd")).find((file) => existsSync(file));
  return [...path, ...(containerd ? [dirname(containerd)] : [])].map((dir) => join(dir, SHIM_BINARY)).find((file) => existsSync(file));
}

/** The shim's own version lines (`-v`), or why it would not run. */
export async function shimVersion(shim: string): Promise<{ ok: boolean; text: string }> {
  const run = await execa(shim, ["-v"], { reject: false, timeout: 20_000 });
  const version = /Version:\s*(\S+)/.exec(run.stdout)?.[1];
  return run.exitCode === 0 && version ? { ok: true, text: `version ${version}` } : { ok: false, text: (run.stderr || run.stdout || `exit status ${run.exitCode}`).trim().split("\n")[0]! };
}
