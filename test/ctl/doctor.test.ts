/** `runsc-overlay-ctl doctor` on temporary configs, through the installed CLI with real runsc binaries. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { sharedProfile } from "../helpers/config-example.js";
import { CTL, DEBIAN_12_ENGINE, LAUNCHER, NO_SHIM, RUNSC, SHIM_ON_PATH } from "../helpers/paths.js";
import { workdir, writeConfig } from "../helpers/runtime.js";

interface Check {
  check: string;
  status: string;
  detail: string;
}

async function doctor(setup: { runsc?: string; flags?: string[]; extra?: string; daemonJson?: object; containerdToml?: string; broken?: string }) {
  const dir = workdir("doctor");
  const config = writeConfig(dir, setup.runsc ?? RUNSC["20240729"], { flags: setup.flags ?? ["--network=none"], extra: setup.extra ?? "" });
  if (setup.broken !== undefined) writeFileSync(config, setup.broken);
  const dockerConfig = join(dir, "daemon.json");
  const containerdConfig = join(dir, "containerd.toml");
  if (setup.daemonJson) writeFileSync(dockerConfig, JSON.stringify(setup.daemonJson));
  if (setup.containerdToml !== undefined) writeFileSync(containerdConfig, setup.containerdToml);
  const env = { RUNSC_OVERLAY_CONFIG: config, PATH: `${DEBIAN_12_ENGINE.bin.join(":")}:${SHIM_ON_PATH}:/usr/bin:/bin`, DOCKER_HOST: "unix:///nonexistent.sock" };
  const result = await execa(CTL, ["doctor", "--json", "--docker-config", dockerConfig, "--containerd-config", containerdConfig], { env, extendEnv: false, reject: false });
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: Check[] };
  const status = Object.fromEntries(report.checks.map((check) => [check.check, `${check.status}: ${check.detail}`]));
  return { exitCode: result.exitCode, ok: report.ok, status, dir };
}

const REGISTERED = { runtimes: { "runsc-overlay": { path: LAUNCHER } } };

describe("doctor", () => {
  it("passes a host where everything is in place", async () => {
    const { exitCode, ok, status, dir } = await doctor({ daemonJson: REGISTERED, containerdToml: "version = 2\n" });
    expect([exitCode, ok]).toEqual([0, true]);
    expect(status.config).toBe(`ok: ${dir}/config.toml parses and validates`);
    expect(status.runsc).toBe(`ok: ${RUNSC["20240729"]}: 0.0~20240729.0, --overlay2 with the self medium, default root:self`);
    expect(status.overlay).toMatch(/^ok: --overlay2=root:self: each container's root overlay is backed by a file beside its rootfs/);
    expect(status["log file"]).toBe(`ok: ${dir}/own.log is writable`);
    expect(status.docker).toBe(`ok: ${dir}/daemon.json registers runtime runsc-overlay (${LAUNCHER})`);
    expect(status.containerd).toBe(`warn: ${dir}/containerd.toml: containerd's configuration has no runtime runsc-overlay: run runsc-overlay-ctl install containerd`);
    expect(status["containerd shim"]).toBe(`ok: gVisor's shim ${SHIM_ON_PATH}/containerd-shim-runsc-v1: version ${NO_SHIM ? "stand-in" : "1.4.13+unknown"}`);
    expect(status.annotations).toMatch(/^ok: enforce: bundles' overlay-flags, .* annotations are removed or refused$/);
    expect(status.inventory).toBe("ok: runsc 0.0~20240729.0: every annotation it reads is in runsc-overlay's inventory (up to gVisor release-20260817)");
  });

  it("says what a handler's dev.gvisor.* pod annotations let pods do, and what enforce does with each", async () => {
    const handler = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay]\nruntime_type = "io.containerd.runsc.v1"\npod_annotations = ["dev.gvisor.*"]\n`;
    const { status } = await doctor({ containerdToml: `version = 2\n${handler}` });
    expect(status["pod annotations"]).toMatch(
      /^ok: runtime runsc-overlay: pod_annotations dev\.gvisor\.\* hands pods .*\. Under enforce runsc-overlay deals with each family: overlay-flags: removed, other-flags: removed, rootfs-hint: refused, config-bundle: removed, rootfs-tar: refused, fs-checkpoint: refused, checkpoint: refused\. To hand pods less/,
    );
  });

  it("warns where those pod annotations reach runsc as they are, under annotations = allow", async () => {
    const handler = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay]\nruntime_type = "io.containerd.runsc.v1"\npod_annotations = ["dev.gvisor.*"]\n`;
    const { status } = await doctor({ containerdToml: `version = 2\n${handler}`, extra: '[overlay]\nannotations = "allow"' });
    expect(status["pod annotations"]).toMatch(/^warn: .*: with runsc alone a pod could choose its own root .*, and overlay\.annotations = "allow" lets it; pass only what pods need, such as 'dev\.gvisor\.spec\.mount\.\*'/);
  });

  it("accepts config.toml.example's \"shared\" profile: no overlay, shared file access", async () => {
    const { overlay2, flags } = sharedProfile();
    const { exitCode, status, dir } = await doctor({ flags: ["--network=none", ...flags], extra: `[overlay]\noverlay2 = ${JSON.stringify(overlay2)}`, daemonJson: REGISTERED });
    expect(status.overlay).toBe(`ok: the root overlay is off (overlay.overlay2 = "none" in ${dir}/config.toml), with --file-access=shared: host and sandbox see the same rootfs (the "shared" profile)`);
    expect(Object.entries(status).filter(([, line]) => line.startsWith("fail"))).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it.each([
    ["a malformed config.toml", { broken: "[runsc\n" }, "config", /^fail: config .+ is not valid TOML/],
    ["--file-access=shared in runsc.flags", { flags: ["--file-access=shared"] }, "overlay", /^fail: --file-access=shared \(from runsc\.flags in .+\) conflicts with --overlay2=root:self/],
    ["a runsc that does not exist", { runsc: "/nonexistent/runsc" }, "runsc", /^fail: runsc\.path = "\/nonexistent\/runsc" in .+: does not exist/],
    ["an unknown flag in runsc.flags", { flags: ["--no-such-flag"] }, "overlay", /^fail: runsc\.flags entry "--no-such-flag" .+: runsc 0\.0~20240729\.0 has no global flag --no-such-flag/],
    ["a fallback dir no container can write", { runsc: RUNSC["20221219"], extra: '[overlay]\nfallback_dir = "/proc/filestore"' }, "fallback dir", /^fail: \/proc\/filestore: \/proc is not writable/],
    ["Docker runtimeArgs that conflict", { daemonJson: { runtimes: { "runsc-overlay": { path: LAUNCHER, runtimeArgs: ["--file-access=shared"] } } } }, "docker runtimeArgs", /^fail: --file-access=shared \(from the caller's command line/],
    ["Docker registered with runsc itself", { daemonJson: { runtimes: { "runsc-overlay": { path: RUNSC["20240729"] } } } }, "docker", /^fail: .+ has path .+runsc, which is not runsc-overlay's launcher/],
    ["containerd's config that is not TOML", { containerdToml: "version = \n" }, "containerd", /^fail: .+containerd\.toml is not valid TOML/],
    [
      "a containerd runtime through the runc shim, which hangs pods",
      { containerdToml: `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay]\nruntime_type = "io.containerd.runc.v2"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay.options]\nBinaryName = "${LAUNCHER}"\n` },
      "containerd",
      /^fail: .+: runtime runsc-overlay runs through io\.containerd\.runc\.v2, not gVisor's shim \(io\.containerd\.runsc\.v1\): under it a pod's second container never starts/,
    ],
    [
      "gVisor's shim given runsc itself",
      { containerdToml: `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay]\nruntime_type = "io.containerd.runsc.v1"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay.options]\nConfigPath = "/dev/null"\n` },
      "containerd",
      /^fail: .+: runtime runsc-overlay: \/dev\/null sets no binary_name, so gVisor's shim runs runsc itself, without runsc-overlay/,
    ],
  ])("fails %s, and exits 1", async (_, setup, check, message) => {
    const { exitCode, ok, status } = await doctor(setup);
    expect(status[check]).toMatch(message);
    expect([exitCode, ok]).toEqual([1, false]);
  });

  it.each([
    ["a runsc without self", { runsc: RUNSC["20221219"] }, "overlay", /^warn: --overlay2=root:\/.+: runsc 0\.0~20221219\.0 has no `self` medium/],
    ["an overlay flag in Docker runtimeArgs", { daemonJson: { runtimes: { "runsc-overlay": { path: LAUNCHER, runtimeArgs: ["--overlay2=root:memory"] } } } }, "docker runtimeArgs", /^warn: --overlay2=root:memory is replaced by runsc-overlay's --overlay2=root:self: remove it/],
    ["Docker without the runtime", { daemonJson: { debug: true } }, "docker", /^warn: .+daemon\.json does not register runtime runsc-overlay: run runsc-overlay-ctl install docker/],
    ["containerd's rootfs on tmpfs", { containerdToml: 'version = 2\nroot = "/dev/shm"\n' }, "containerd rootfs", /^warn: \/dev\/shm is on tmpfs: root:self filestores there use RAM/],
    ["a stopped Docker's data-root on tmpfs", { daemonJson: { "data-root": "/dev/shm" } }, "docker rootfs", /^warn: \/dev\/shm is on tmpfs: root:self filestores there use RAM/],
    ["self without a size cap", {}, "overlay size", /^warn: overlay\.overlay2 = "root:self" has no size cap: .*runsc 0\.0~20240729\.0 has no ,size= suffix/],
    ["a family of annotations allowed", { extra: '[overlay]\nallow_annotations = ["config-bundle"]' }, "annotations", /^warn: enforce: .*; allowed by overlay\.allow_annotations in .*: config-bundle \(a config bundle/],
  ])("warns of %s, and still exits 0", async (_, setup, check, message) => {
    const { exitCode, status } = await doctor(setup);
    expect(status[check]).toMatch(message);
    expect(exitCode).toBe(0);
  });
});
