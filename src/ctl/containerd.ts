/** The installed containerd: its major version, and whether its merged configuration has our runtime. */
import { execa } from "execa";
import { CRI_RUNTIME_PLUGIN, type ConfigVersion, dig, parseContainerdConfig } from "./containerd-config.js";

/** containerd's major version from `containerd --version`, or undefined where none is installed. */
export async function containerdMajor(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const run = await execa("containerd", ["--version"], { env, reject: false, timeout: 20_000 });
  const match = run.exitCode === 0 ? /\sv?(\d+)\.\d+/.exec(run.stdout) : null;
  return match ? Number(match[1]) : undefined;
}

export type Dump = { kind: "no-containerd" } | { kind: "error"; error: string } | { kind: "dumped"; binary: string | undefined };

/**
 * Asks containerd itself to merge the main file with its imports (`containerd config dump`, which
 * needs no running daemon) and returns the BinaryName it would use for runtime `name`. The dump is in
 * the version this containerd reads, so a drop-in written for the other one shows no runtime.
 */
export async function dumpedBinary(env: NodeJS.ProcessEnv, configFile: string, name: string): Promise<Dump> {
  const dump = await execa("containerd", ["--config", configFile, "config", "dump"], { env, reject: false, timeout: 20_000 });
  if (dump.exitCode === undefined) return { kind: "no-containerd" };
  if (dump.exitCode !== 0) return { kind: "error", error: dump.stderr.trim().split("\n").at(-1) || `exit status ${dump.exitCode}` };
  const config = parseContainerdConfig(dump.stdout, "containerd config dump");
  const plugin = CRI_RUNTIME_PLUGIN[config.version as ConfigVersion] ?? CRI_RUNTIME_PLUGIN[2];
  const binary = dig(config, ["plugins", plugin, "containerd", "runtimes", name, "options", "BinaryName"]);
  return { kind: "dumped", binary: typeof binary === "string" ? binary : undefined };
}
