/**
 * `runsc-overlay-ctl install|uninstall docker|containerd` on temporary files, through the installed
 * CLI. No engine runs here (test/e2e registers with real ones): DOCKER_HOST names no socket.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/testbed/generations.js";
import { CTL, DEBIAN_12_ENGINE, LAUNCHER, RUNSC, SHIM_ON_PATH, SID_ENGINE } from "../helpers/paths.js";
import { workdir } from "../helpers/runtime.js";

const NO_ENGINE = { PATH: "/usr/bin:/bin", DOCKER_HOST: "unix:///nonexistent/docker.sock" };
const withEngine = (generation: Generation, shim = true) => ({ ...NO_ENGINE, PATH: `${generation.bin.join(":")}${shim ? `:${SHIM_ON_PATH}` : ""}:/usr/bin:/bin` });
/** containerd 1.6 and 2.1 on PATH, whose own `config dump` install consults, and gVisor's shim where containerd finds it. */
const [WITH_CONTAINERD, WITH_CONTAINERD_2, WITHOUT_SHIM] = [withEngine(DEBIAN_12_ENGINE), withEngine(SID_ENGINE), withEngine(DEBIAN_12_ENGINE, false)];

const ctl = (args: string[], env: Record<string, string> = NO_ENGINE) => execa(CTL, args, { env, extendEnv: false, reject: false });

/** A config file in a directory of its own, holding `text` where given. */
function fileIn(kind: string, name: string, text?: string): { dir: string; file: string } {
  const dir = workdir(kind);
  const file = join(dir, name);
  if (text !== undefined) writeFileSync(file, text);
  return { dir, file };
}

/** Every file in dir with its bytes and mtime, to show that a command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir, { recursive: true, encoding: "utf8" }).sort().map((name) => {
    const file = join(dir, name);
    return [name, statSync(file).isFile() ? `${statSync(file).mtimeMs} ${readFileSync(file, "base64")}` : "dir"];
  }));
}

describe("install docker", () => {
  const ORIGINAL = '{\n  "log-level": "warn",\n  "runtimes": {\n    "runsc": { "path": "/usr/bin/runsc" }\n  }\n}\n';

  it("adds the runtime, keeps every other key, backs up the old file, and does nothing the second time", async () => {
    const { dir, file } = fileIn("ctl-docker", "daemon.json");
    writeFileSync(file, ORIGINAL, { mode: 0o600 });
    const first = await ctl(["install", "docker", "--config-file", file, "--runtime-arg", "--network=none", "--default"]);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toContain(`registered runtime runsc-overlay (${LAUNCHER}) in ${file}`);
    expect(first.stderr).toContain("no dockerd is listening on /nonexistent/docker.sock");
    expect(first.stdout).toBe("");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      "log-level": "warn",
      "default-runtime": "runsc-overlay",
      runtimes: { runsc: { path: "/usr/bin/runsc" }, "runsc-overlay": { path: LAUNCHER, runtimeArgs: ["--network=none"] } },
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${file}.before-runsc-overlay`, "utf8")).toBe(ORIGINAL);

    const before = snapshot(dir);
    const second = await ctl(["install", "docker", "--config-file", file, "--runtime-arg", "--network=none", "--default"]);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toContain("already registers runtime runsc-overlay as asked: nothing to change");
    expect(snapshot(dir)).toEqual(before);
  });

  it("creates a missing file", async () => {
    const file = join(workdir("ctl-docker"), "docker/daemon.json");
    expect((await ctl(["install", "docker", "--config-file", file])).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ runtimes: { "runsc-overlay": { path: LAUNCHER } } });
  });

  it("prints the result of --dry-run and writes nothing", async () => {
    const { dir, file } = fileIn("ctl-docker", "daemon.json", ORIGINAL);
    const before = snapshot(dir);
    const result = await ctl(["install", "docker", "--config-file", file, "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).runtimes["runsc-overlay"]).toEqual({ path: LAUNCHER });
    expect(snapshot(dir)).toEqual(before);
    expect((await ctl(["install", "docker", "--config-file", join(dir, "absent.json"), "--dry-run"])).exitCode).toBe(0);
    expect(existsSync(join(dir, "absent.json"))).toBe(false);
  });

  it.each([
    ["invalid JSON", '{"debug": true,,}', [], /daemon\.json is not valid JSON \(PropertyNameExpected at line 1, column 16\): fix it first; nothing was changed/],
    ["a runtime path that is runsc itself", "{}", ["--runtime", RUNSC["20240729"]], /--runtime .+\/runsc is not runsc-overlay's launcher/],
  ])("refuses %s and leaves the file untouched", async (_, text, args, message) => {
    const { dir, file } = fileIn("ctl-docker", "daemon.json", text);
    const before = snapshot(dir);
    const result = await ctl(["install", "docker", "--config-file", file, ...args]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(snapshot(dir)).toEqual(before);
  });

  it("is undone by uninstall docker", async () => {
    const file = join(workdir("ctl-docker"), "daemon.json");
    writeFileSync(file, ORIGINAL);
    await ctl(["install", "docker", "--config-file", file, "--default"]);
    const result = await ctl(["uninstall", "docker", "--config-file", file]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(JSON.parse(ORIGINAL));
    expect((await ctl(["uninstall", "docker", "--config-file", file])).stderr).toContain("does not register runtime runsc-overlay: nothing to remove");
  });
});

describe("install containerd", () => {
  const V2 = `version = 2\n# mine\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.6"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n`;
  const V3 = `version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = false\n`;
  const OURS = (options: string) => ({ runtime_type: "io.containerd.runsc.v1", options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: options } });

  it.each([
    ["2", "containerd 1.6", V2, "io.containerd.grpc.v1.cri", WITH_CONTAINERD],
    ["3", "containerd 2.1", V3, "io.containerd.cri.v1.runtime", WITH_CONTAINERD_2],
    // containerd 2 migrates a version 2 file when it loads it.
    ["2", "containerd 2.1", V2, "io.containerd.grpc.v1.cri", WITH_CONTAINERD_2],
  ] as const)("adds gVisor's shim to a version %s file (%s) and its options file, and nothing the second time", async (_, __, text, plugin, env) => {
    const { dir, file } = fileIn("ctl-containerd", "config.toml", text);
    const options = join(dir, "runsc-overlay.toml");
    const first = await ctl(["install", "containerd", "--config", file], env);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toContain(`registered runtime runsc-overlay for containerd in ${file}: gVisor's shim (${SHIM_ON_PATH}/containerd-shim-runsc-v1), with ${LAUNCHER} as its runsc (${options})`);
    expect(first.stderr).toContain("containerd config dump: runtime runsc-overlay added, the rest of containerd's configuration as it was");
    expect(first.stderr).toContain("restart it (systemctl restart containerd)");
    const written = readFileSync(file, "utf8");
    expect(written.startsWith(text)).toBe(true);
    expect((parse(written) as Record<string, any>).plugins[plugin].containerd.runtimes["runsc-overlay"]).toEqual(OURS(options));
    expect(parse(readFileSync(options, "utf8"))).toEqual({ binary_name: LAUNCHER });
    expect(readFileSync(`${file}.before-runsc-overlay`, "utf8")).toBe(text);

    const before = snapshot(dir);
    const second = await ctl(["install", "containerd", "--config", file], env);
    expect(second.stderr).toContain("nothing to change");
    expect(snapshot(dir)).toEqual(before);

    expect((await ctl(["uninstall", "containerd", "--config", file], env)).exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(existsSync(options)).toBe(false);
  });

  it("restates containerd 1.6's default runc runtime where the file leaves it to the defaults, so the dump keeps it", async () => {
    const { file } = fileIn("ctl-containerd", "config.toml", 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.6"\n');
    expect((await ctl(["install", "containerd", "--config", file, "--pod-annotations", "dev.gvisor.*", "io.kubernetes.cri.*"], WITH_CONTAINERD)).exitCode).toBe(0);
    const runtimes = (parse(readFileSync(file, "utf8")) as Record<string, any>).plugins["io.containerd.grpc.v1.cri"].containerd.runtimes;
    expect(Object.keys(runtimes)).toEqual(["runc", "runsc-overlay"]);
    expect(runtimes.runc).toMatchObject({ runtime_type: "io.containerd.runc.v2", options: { SystemdCgroup: false } });
    expect(runtimes["runsc-overlay"].pod_annotations).toEqual(["dev.gvisor.*", "io.kubernetes.cri.*"]);
  });

  it.each([
    ["containerd 1.6", WITH_CONTAINERD, 2],
    ["containerd 2.1", WITH_CONTAINERD_2, 3],
  ])("creates a missing config.toml in the version that %s reads, and uninstall removes it", async (_, env, version) => {
    const { dir, file } = fileIn("ctl-containerd", "config.toml");
    const install = await ctl(["install", "containerd", "--config", file], env);
    expect(install.exitCode).toBe(0);
    expect((parse(readFileSync(file, "utf8")) as Record<string, unknown>).version).toBe(version);
    expect((await ctl(["uninstall", "containerd", "--config", file], env)).exitCode).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("prints the options file and the main file on --dry-run and writes nothing", async () => {
    const { dir, file } = fileIn("ctl-containerd", "config.toml", V2);
    const before = snapshot(dir);
    const result = await ctl(["install", "containerd", "--config", file, "--dry-run"], WITH_CONTAINERD);
    expect(result.stdout).toContain(`# ${join(dir, "runsc-overlay.toml")}\n`);
    expect(result.stdout).toContain(`binary_name = "${LAUNCHER}"`);
    expect(result.stdout).toContain('runtime_type = "io.containerd.runsc.v1"');
    expect(snapshot(dir)).toEqual(before);
  });

  it.each([
    ["invalid TOML", "version = 2\n[plugins\n", WITH_CONTAINERD, /config\.toml is not valid TOML .+nothing was changed/],
    ["a version 1 file", "[plugins.cri]\n", WITH_CONTAINERD, /has no version line, so containerd reads it as version 1/],
    ["a version 3 file that containerd 1.6 cannot read", V3, WITH_CONTAINERD, /does not show runtime runsc-overlay as written: .+nothing was changed/],
    ["no gVisor shim where containerd looks", V2, WITHOUT_SHIM, /would not find gVisor's shim containerd-shim-runsc-v1 .+a pod's second container never starts/],
    ["no containerd", V2, { ...NO_ENGINE, PATH: `${SHIM_ON_PATH}:/usr/bin:/bin` }, /containerd is not on PATH/],
    // containerd 1.x replaces the main file's CRI section with an imported one's: the dump shows what would be lost.
    ["an import that replaces the CRI section", `version = 2\nimports = ["cri.toml"]\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.6"\n`, WITH_CONTAINERD, /does not show runtime runsc-overlay as written/],
  ])("refuses %s and leaves every file untouched", async (_, text, env, message) => {
    const { dir, file } = fileIn("ctl-containerd", "config.toml", text);
    writeFileSync(join(dir, "cri.toml"), 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "other:1"\n');
    const before = snapshot(dir);
    const result = await ctl(["install", "containerd", "--config", file], env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(snapshot(dir)).toEqual(before);
  });
});
