/**
 * runsc-overlay under containerd alone (1.6 and 2.1), as `ctr run --runtime io.containerd.runc.v2
 * --runc-binary` starts it: the runc-v2 shim calls it exactly as it calls runc. (Kubernetes, through
 * containerd's CRI and gVisor's shim, is kubernetes.test.ts.)
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { existsSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, importBusybox, startEngine } from "../../src/testbed/engine.js";
import type { Generation } from "../../src/testbed/generations.js";
import { BUSYBOX, ENGINES, LAUNCHER, RUNSC } from "../helpers/paths.js";
import { workdir, writeConfig } from "../helpers/runtime.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const IMAGE = "docker.io/runsc-overlay-test/busybox:latest";
const RUNTIME = ["--runtime", "io.containerd.runc.v2", "--runc-binary", LAUNCHER];

describe.each(ENGINES)("$name", (generation: Generation) => {
  let engine: Engine;

  beforeAll(async () => {
    const dir = workdir(`containerd-${generation.containerdConfigVersion}`);
    const config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
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
});
