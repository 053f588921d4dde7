/** The installed containerd: its major version, and whether its merged configuration has our runtime. */
import { parse as parseToml } from "smol-toml";
import { execa } from "execa";

/** containerd's major version from `containerd --version`, or undefined where none is installed. */
export async function containerdMajor(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const run = await execa("containerd", ["--version"], { env, reject: false, timeout: 20_000 });
  const match = run.exitCode === 0 ? /\sv?(\d+)\.\d+/.exec(run.stdout) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * Asks containerd itself to merge the main file with its imports (`containerd config dump`, which
 * needs no running daemon) and returns the BinaryName it would use for runtime `name`.
 */
export async function dumpedBinary(env: NodeJS.ProcessEnv, configFile: string, name: string): Promise<{ binary?: string; error?: string }> {
  const dump = await execa("containerd", ["--config", configFile, "config", "dump"], { env, reject: false, timeout: 20_000 });
  if (dump.exitCode === undefined) return {}; // no containerd here to ask
  if (dump.exitCode !== 0) return { error: dump.stderr.trim().split("\n").at(-1) ?? `exit status ${dump.exitCode}` };
  const plugins = (parseToml(dump.stdout) as { plugins?: Record<string, { containerd?: { runtimes?: Record<string, { options?: { BinaryName?: string } }> } }> }).plugins ?? {};
  for (const plugin of ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime"]) {
    const binary = plugins[plugin]?.containerd?.runtimes?.[name]?.options?.BinaryName;
    if (binary !== undefined) return { binary };
  }
  return {};
}
