/**
 * runsc-overlay under containerd alone (1.6 and 2.1), as `ctr run --runtime io.containerd.runc.v2
 * --runc-binary` starts it: the runc-v2 shim calls it exactly as it calls runc. And registered by
 * `runsc-overlay-ctl install containerd` in the config version that containerd reads.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import { execa } from "execa";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRI_RUNTIME_PLUGIN, dig } from "../../src/ctl/containerd-config.js";
import { type Engine, importBusybox, startEngine } from "../../src/testbed/engine.js";
import type { Generation } from "../../src/testbed/generations.js";
import { BUSYBOX, CTL, ENGINES, LAUNCHER, RUNSC } from "../helpers/paths.js";
import { workdir, writeConfig } from "../helpers/runtime.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const IMAGE = "docker.io/runsc-overlay-test/busybox:latest";
const RUNTIME = ["--runtime", "io.containerd.runc.v2", "--runc-binary", LAUNCHER];

describe.each(ENGINES)("$name", (generation: Generation) => {
  let engine: Engine;
  let config: string;

  beforeAll(async () => {
    const dir = workdir(`containerd-${generation.containerdConfigVersion}`);
    config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
    engine = await startEngine(join(dir, "engine"), { ...generation, runtimeEnv: { RUNSC_OVERLAY_CONFIG: config } });
    const tag = await importBusybox(engine, BUSYBOX);
    const tar = join(engine.dir, "busybox-image.tar");
    await engine.docker(["save", "-o", tar, tag]);
    await engine.ctr(["images", "import", tar]);
  }, 120_000);

  afterAll(async () => {
    await engine?.ctr(["tasks", "kill", "-s", "SIGKILL", "ctr-big"], { reject: false });
    await engine?.stop();
  });


  describe("ctr run --runc-binary runsc-overlay", () => {
    it("gives the container an overlay root and passes its exit code through", async () => {
      const result = await engine.ctr(["run", "--rm", ...RUNTIME, IMAGE, "ctr-exit", "sh", "-c", "mount | head -n 1; exit 3"], { reject: false });
      expect(result.stdout).toMatch(/^none on \/ type overlay/);
      expect(result.exitCode).toBe(3);
    });

    it("puts a 64 MiB write in a .gvisor.filestore in the snapshot's upper dir, not in sandbox memory", async () => {
      await engine.ctr(["run", "-d", ...RUNTIME, IMAGE, "ctr-big", "sleep", "600"]);
      const pid = await sandboxPid("ctr-big");
      const before = sharedRssKiB(pid);
      await engine.ctr(["tasks", "exec", "--exec-id", "dd", "ctr-big", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=64"]);
      expect(sharedRssKiB(pid) - before).toBeLessThan(8 * 1024);
      const snapshots = join(engine.dir, "containerd/io.containerd.snapshotter.v1.overlayfs/snapshots");
      const found = execFileSync("find", [snapshots, "-maxdepth", "3", "-name", ".gvisor.filestore.ctr-big"], { encoding: "utf8" }).trim().split("\n");
      expect(found).toHaveLength(1);
      expect(statSync(found[0]!).blocks * 512).toBeGreaterThanOrEqual(64 * 1024 * 1024);
      await engine.ctr(["tasks", "kill", "-s", "SIGKILL", "ctr-big"]);
      await expect.poll(async () => (await engine.ctr(["tasks", "ls"])).stdout, { timeout: 10_000 }).toMatch(/^ctr-big\s+\d+\s+STOPPED$/m);
      await engine.ctr(["tasks", "rm", "ctr-big"]);
      expect(existsSync(found[0]!)).toBe(false);
      await engine.ctr(["containers", "rm", "ctr-big"]);
    });
  });

  describe("runsc-overlay-ctl install containerd", () => {
    /** The runtime as containerd itself merges its config and the drop-in: what a CRI handler would run. */
    async function dumpedRuntime(): Promise<{ version: unknown; runtime: unknown }> {
      const dump = parse((await execa("containerd", ["--config", engine.containerdConfig, "config", "dump"], { env: engine.env })).stdout);
      const plugin = CRI_RUNTIME_PLUGIN[generation.containerdConfigVersion];
      return { version: dump.version, runtime: dig(dump, ["plugins", plugin, "containerd", "runtimes", "runsc-overlay"]) };
    }

    it(`registers the runtime in config version ${generation.containerdConfigVersion}; containerd loads it and runs a container through it`, async () => {
      const before = readFileSync(engine.containerdConfig, "utf8");
      const install = await execa(CTL, ["install", "containerd", "--config", engine.containerdConfig], { env: engine.env });
      expect(install.stderr).toContain(`containerd config dump shows runtime runsc-overlay with BinaryName ${LAUNCHER}`);
      const { version, runtime } = await dumpedRuntime();
      expect(version).toBe(generation.containerdConfigVersion);
      expect(runtime).toMatchObject({ runtime_type: "io.containerd.runc.v2", options: { BinaryName: LAUNCHER } });
      // ctr has no CRI runtime handlers: give it the runtime type and binary that containerd's config holds.
      const { runtime_type, options } = runtime as { runtime_type: string; options: { BinaryName: string } };
      const result = await engine.ctr(["run", "--rm", "--runtime", runtime_type, "--runc-binary", options.BinaryName, IMAGE, "ctr-installed", "sh", "-c", "mount | head -n 1; dmesg | head -n 1"]);
      expect(result.stdout).toMatch(/^none on \/ type overlay .*\n.*Starting gVisor/);
      const doctor = await execa(CTL, ["doctor", "--containerd-config", engine.containerdConfig, "--docker-config", `${engine.dir}/none.json`], { env: { ...engine.env, RUNSC_OVERLAY_CONFIG: config } });
      expect(doctor.stdout).toMatch(new RegExp(`^ok +containerd +containerd's configuration has runtime runsc-overlay \\(${LAUNCHER}\\)$`, "m"));
      await execa(CTL, ["uninstall", "containerd", "--config", engine.containerdConfig], { env: engine.env });
      expect(readFileSync(engine.containerdConfig, "utf8")).toBe(before);
      expect((await dumpedRuntime()).runtime).toBeUndefined();
    });
  });
});
