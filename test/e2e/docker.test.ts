/**
 * runsc-overlay under a real Docker engine, private to this suite, on each engine generation (Debian
 * 12's Docker 20.10 + containerd 1.6, and Docker 28.5 + containerd 2.1), registered the way users
 * register it: `runsc-overlay-ctl install docker`.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, importBusybox, startEngine } from "../../src/testbed/engine.js";
import { openFilesUnder } from "../../src/testbed/filestore.js";
import type { Generation } from "../../src/testbed/generations.js";
import { releaseOf } from "../../src/runtime/policy.js";
import { BUSYBOX, COMPOSE, CTL, ENGINES, REAL_RUNSC, RUNSC } from "../helpers/paths.js";
import { onRunsc, withConfig as withSuiteConfig, workdir, writeConfig } from "../helpers/runtime.js";
import { ORACLE_BYTES, ORACLE_SCRIPT, engineCases, overlayHeld, rootTruth } from "./oracle.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MiB = 1024;

/** The same runsc with the memory-backed overlay, beside runsc-overlay, for comparison. */
const MEMORY_RUNTIME = { path: RUNSC["20240729"], runtimeArgs: ["--network=none", "--overlay2=root:memory"] };
const PLAIN_RUNTIME = { path: RUNSC["20240729"], runtimeArgs: ["--network=none"] };
/** runsc alone, given flags it refuses: its own refusal, to compare with runsc-overlay's. */
const REFUSING_RUNTIME = { path: RUNSC["20240729"], runtimeArgs: ["--network=none", "--file-access=shared", "--overlay2=root:self"] };

describe.each(ENGINES)("$name", (generation: Generation) => {
  let engine: Engine;
  let image: string;
  let config: string;

  beforeAll(async () => {
    const dir = workdir(`docker-${generation.containerdConfigVersion}`);
    // runsc needs --network=none on every call here: this machine gives the sandbox no network.
    config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
    engine = await startEngine(join(dir, "engine"), { ...generation, runtimeEnv: { RUNSC_OVERLAY_CONFIG: config } }, {
      "log-level": "info",
      runtimes: { "runsc-memory": MEMORY_RUNTIME, "runsc-plain": PLAIN_RUNTIME, "runsc-refusing": REFUSING_RUNTIME },
    });
    image = await importBusybox(engine, BUSYBOX);
    await execa(CTL, ["install", "docker", "--config-file", engine.daemonJson], { env: engine.env });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
  });

  const run = (runtime: string, args: string[], options?: { reject?: boolean }) =>
    engine.docker(["run", "--network=none", `--runtime=${runtime}`, ...args], options);
  const detached = async (runtime: string, command: string, args: string[] = []) => (await run(runtime, ["-d", ...args, image, "sh", "-c", command])).stdout.trim();

  /** Writes 64 MiB inside a running container, then removes it: what grew, and where the filestore is. */
  async function write64MiB(id: string, whileRunning = () => {}) {
    const pid = await sandboxPid(id);
    const before = sharedRssKiB(pid);
    await engine.docker(["exec", id, "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=64"]);
    const growthKiB = sharedRssKiB(pid) - before;
    whileRunning();
    const upper = (await engine.docker(["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", id])).stdout.trim();
    const filestores = readdirSync(upper).filter((name) => name.startsWith(".gvisor.filestore."));
    const filestoreBytes = filestores.length === 1 ? statSync(join(upper, filestores[0]!)).blocks * 512 : 0;
    await engine.docker(["rm", "-f", id]);
    return { id, growthKiB, filestores, filestoreBytes };
  }

  const withConfig = (edit: (toml: string) => string, body: () => Promise<void>) => withSuiteConfig(config, edit, body);

  describe("registration", () => {
    it("keeps daemon.json's other keys and runtimes, and docker info lists runsc-overlay", async () => {
      const daemon = JSON.parse(readFileSync(engine.daemonJson, "utf8"));
      expect(daemon).toMatchObject({ "log-level": "info", runtimes: { "runsc-memory": MEMORY_RUNTIME, "runsc-overlay": { path: expect.stringMatching(/\/bin\/runsc-overlay$/) } } });
      const runtimes = JSON.parse((await engine.docker(["info", "--format", "{{json .Runtimes}}"])).stdout);
      expect(Object.keys(runtimes)).toEqual(expect.arrayContaining(["runsc-overlay", "runsc-memory", "runc"]));
    });

    it("passes doctor, which finds the engine through DOCKER_HOST", async () => {
      const result = await execa(CTL, ["doctor", "--docker-config", engine.daemonJson, "--containerd-config", engine.containerdConfig], {
        env: { ...engine.env, RUNSC_OVERLAY_CONFIG: config },
        reject: false,
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^ok +docker engine +dockerd has runtime runsc-overlay loaded$/m);
      expect(result.stdout).toMatch(new RegExp(`^ok +docker rootfs +${engine.dir}/docker is on a disk filesystem`, "m"));
    });

    it.runIf(generation.featuresProbe)("answers dockerd's features probe without a warning, where runsc 20240729 alone gets one", () => {
      const failures = readFileSync(engine.dockerdLog, "utf8")
        .split("\n")
        .filter((line) => line.includes("level=warning") && line.includes("Failed to run ["));
      // One probe at start and one on install's reload, which found runsc-overlay registered.
      expect(failures.filter((line) => line.includes("/runsc-plain.")).length).toBeGreaterThanOrEqual(2);
      expect(failures.filter((line) => line.includes("runsc-overlay"))).toEqual([]);
    });
  });

  describe("docker run --runtime=runsc-overlay", () => {
    it("gives the container an overlay root and passes its exit code through", async () => {
      const result = await run("runsc-overlay", ["--rm", image, "sh", "-c", "mount | head -n 1; exit 3"], { reject: false });
      expect(result.stdout).toMatch(/^none on \/ type overlay/);
      expect(result.exitCode).toBe(3);
    });

    it("puts a 64 MiB write in the .gvisor.filestore of the writable layer, not in sandbox memory as root:memory does", async () => {
      const self = await write64MiB(await detached("runsc-overlay", "sleep 600"));
      expect(self.filestores).toEqual([`.gvisor.filestore.${self.id}`]);
      expect(self.filestoreBytes).toBeGreaterThanOrEqual(64 * MiB * 1024);
      expect(self.growthKiB).toBeLessThan(8 * MiB);
      const memory = await write64MiB(await detached("runsc-memory", "sleep 600"));
      expect(memory.filestores).toEqual([]);
      expect(memory.growthKiB).toBeGreaterThan(60 * MiB);
    });

    it("runs docker run --init's docker-init as the container's PID 1, under gVisor", async () => {
      const result = await run("runsc-overlay", ["--rm", "--init", image, "sh", "-c", "tr '\\0' '\\n' </proc/1/cmdline | head -n 1; dmesg | grep -c 'Starting gVisor'; exit 4"], { reject: false });
      expect(result.stdout).toBe("/sbin/docker-init\n1");
      expect(result.exitCode).toBe(4);
    });

    it("keeps docker logs to the container's own output", async () => {
      const id = await detached("runsc-overlay", "echo out; echo err >&2");
      await engine.docker(["wait", id]);
      const logs = await engine.docker(["logs", id]);
      expect([logs.stdout, logs.stderr]).toEqual(["out", "err"]);
      await engine.docker(["rm", id]);
    });

    it("runs docker exec, top, pause and unpause", async () => {
      const id = await detached("runsc-overlay", "sleep 600");
      expect((await engine.docker(["exec", id, "sh", "-c", "echo from-exec; exit 5"], { reject: false })).stdout).toBe("from-exec");
      expect((await engine.docker(["exec", id, "sh", "-c", "exit 5"], { reject: false })).exitCode).toBe(5);
      // runsc reports sandbox PIDs, which docker top then looks up among the host's: as with runsc alone.
      const plain = await detached("runsc-plain", "sleep 600");
      const pids = async (container: string) => (await engine.docker(["top", container, "-o", "pid"])).stdout.split("\n").slice(1).sort();
      expect(await pids(id)).toEqual(await pids(plain));
      await engine.docker(["pause", id]);
      expect((await engine.docker(["inspect", "-f", "{{.State.Status}}", id])).stdout).toBe("paused");
      await engine.docker(["unpause", id]);
      expect((await engine.docker(["exec", id, "echo", "awake"])).stdout).toBe("awake");
      await engine.docker(["rm", "-f", id, plain]);
    });

    it("lets docker stop run the container's SIGTERM handler, well inside the grace period", async () => {
      const id = await detached("runsc-overlay", 'trap "echo handled; exit 42" TERM; echo ready; while true; do sleep 0.1; done');
      await expect.poll(async () => (await engine.docker(["logs", id])).stdout, { timeout: 10_000 }).toBe("ready");
      const started = Date.now();
      await engine.docker(["stop", "-t", "30", id]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await engine.docker(["inspect", "-f", "{{.State.ExitCode}}", id])).stdout).toBe("42");
      expect((await engine.docker(["logs", id])).stdout).toBe("ready\nhandled");
      await engine.docker(["rm", id]);
    });

    it("lets docker kill end the container with SIGKILL", async () => {
      const id = await detached("runsc-overlay", "sleep 600");
      await engine.docker(["kill", id]);
      expect((await engine.docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id])).stdout).toBe("exited 137");
      await engine.docker(["rm", id]);
    });

    it("shows a config mistake in docker run's own error, and starts nothing", async () => {
      await withConfig(
        (toml) => toml.replace('flags = ["--network=none"]', 'flags = ["--network=none", "--file-access=shared"]'),
        async () => {
          const result = await run("runsc-overlay", ["--rm", image, "true"], { reject: false });
          expect(result.exitCode).toBe(125);
          expect(result.stderr).toContain(
            `OCI runtime create failed: --file-access=shared (from runsc.flags in ${config}) conflicts with --overlay2=root:self`,
          );
          expect(result.stderr).not.toMatch(/\{"level"/);
        },
      );
      expect((await engine.docker(["ps", "-aq"])).stdout).toBe("");
    });

    it("where runsc alone refuses the same flags, shows no reason at all: runsc dies before it opens the --log file Docker reads", async () => {
      const result = await run("runsc-refusing", ["--rm", image, "true"], { reject: false });
      expect(result.exitCode).toBe(127);
      expect(result.stderr).toMatch(/OCI runtime create failed: unable to retrieve OCI runtime error \(open .*\/log\.json: no such file or directory\): .*runsc-refusing.* did not terminate successfully: exit status 128/);
      expect(result.stderr).not.toContain("overlay flag is incompatible");
      for (const id of (await engine.docker(["ps", "-aq", "--filter", "status=created"])).stdout.split("\n").filter(Boolean)) await engine.docker(["rm", id]);
    });
  });

  describe("with Debian 12's runsc 0.0~20221219, which has no self medium", () => {
    it("runs the container on the host-backed filestore in fallback_dir instead", async () => {
      const fallbackDir = join(engine.dir, "fallback-filestore");
      const older = (toml: string) => toml.replace(RUNSC["20240729"], RUNSC["20221219"]) + `[overlay]\nfallback_dir = ${JSON.stringify(fallbackDir)}\n`;
      await withConfig(older, async () => {
        const id = await detached("runsc-overlay", "sleep 600");
        expect((await engine.docker(["exec", id, "sh", "-c", "mount | head -n 1"])).stdout).toMatch(/^none on \/ type overlay/);
        const written = await write64MiB(id, () => expect(openFilesUnder(fallbackDir)).toEqual([expect.stringMatching(/\/runsc-overlay-filestore-\d+ \(deleted\)$/)]));
        expect(written.growthKiB).toBeLessThan(8 * MiB);
        expect(written.filestores).toEqual([]);
        expect((await run("runsc-overlay", ["--rm", image, "sh", "-c", "exit 3"], { reject: false })).exitCode).toBe(3);
      });
    });
  });

  describe.runIf(generation.annotations)("docker run --annotation dev.gvisor.flag.overlay2=root:memory", () => {
    // With --allow-flag-override runsc would honour the annotation; without, 20240729 refuses it outright.
    const allowOverride = (annotations: string) => (toml: string) =>
      toml.replace('flags = ["--network=none"]', 'flags = ["--network=none", "--allow-flag-override"]') + `[overlay]\nannotations = "${annotations}"\n`;
    const annotated = () => detached("runsc-overlay", "sleep 600", ["--annotation", "dev.gvisor.flag.overlay2=root:memory"]);

    it('still gets the host-backed root overlay under annotations = "enforce"', async () => {
      await withConfig(allowOverride("enforce"), async () => {
        const written = await write64MiB(await annotated());
        expect(written.filestores).toEqual([`.gvisor.filestore.${written.id}`]);
        expect(written.growthKiB).toBeLessThan(8 * MiB);
      });
    });

    it('gets the memory overlay it asks for under annotations = "allow"', async () => {
      await withConfig(allowOverride("allow"), async () => {
        const written = await write64MiB(await annotated());
        expect(written.filestores).toEqual([]);
        expect(written.growthKiB).toBeGreaterThan(60 * MiB);
      });
    });
  });

  describe.runIf(generation.annotations).each(REAL_RUNSC)("docker run --annotation, on runsc %s: the root overlay as the sandbox has it", (version) => {
    const fallback = join(workdir("docker-fallback"), "filestore");

    it.each(engineCases(releaseOf(`0.0~${version}.0`)!))("$name", async ({ annotations, refusal }) => {
      await withConfig(onRunsc(RUNSC[version], fallback), async () => {
        const args = Object.entries(annotations).flatMap(([key, value]) => ["--annotation", `${key}=${value}`]);
        const result = await run("runsc-overlay", ["-d", ...args, image, "sh", "-c", ORACLE_SCRIPT], { reject: false });
        if (refusal) {
          expect(result.exitCode).not.toBe(0);
          expect(result.stderr).toMatch(refusal);
          expect((await engine.docker(["ps", "-q"])).stdout).toBe("");
          // Docker keeps a container whose create failed, as "Created".
          for (const id of (await engine.docker(["ps", "-aq", "--filter", "status=created"])).stdout.split("\n").filter(Boolean)) await engine.docker(["rm", id]);
          return;
        }
        const id = result.stdout.trim();
        for (let i = 0; i < 100 && (await engine.docker(["exec", id, "cat", "/done"], { reject: false })).exitCode !== 0; i++) await sleep(100);
        const upper = (await engine.docker(["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", id])).stdout.trim();
        const truth = await rootTruth(id, upper, "written", fallback);
        expect((await engine.docker(["exec", id, "head", "-n", "1", "/proc/mounts"])).stdout).toBe("none / overlay rw 0 0");
        expect(overlayHeld(truth, ORACLE_BYTES), JSON.stringify(truth)).toBe(true);
        await engine.docker(["rm", "-f", id]);
      });
    });
  });

  describe("docker compose with runsc-overlay-ctl compose-override", () => {
    it.each([
      ["on the host's network", ["--host-network"], "host"],
      ["on the project's own network", [], "rso_default"],
    ])("runs every service of a two-file project under runsc-overlay %s", async (_, options, networkMode) => {
      const dir = workdir("compose-e2e");
      const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), name);
      const files = [
        file("compose.yaml", `services:\n  app:\n    image: ${image}\n    command: ["sleep", "600"]\n  worker:\n    image: ${image}\n    command: ["sleep", "600"]\n`),
        file("compose.ci.yaml", "services:\n  worker:\n    environment: {ROLE: ci}\n"),
      ];
      await execa(CTL, ["compose-override", "--compose", COMPOSE, ...files, ...options, "-o", "runsc.yaml"], { cwd: dir });
      const compose = (args: string[]) => execa(COMPOSE, ["-p", "rso", ...[...files, "runsc.yaml"].flatMap((f) => ["-f", f]), ...args], { cwd: dir, env: engine.env });
      await compose(["up", "-d"]);
      try {
        const ids = (await compose(["ps", "-q"])).stdout.split("\n").sort();
        expect(ids).toHaveLength(2);
        for (const id of ids) {
          const inspect = (format: string) => engine.docker(["inspect", "-f", format, id]).then((result) => result.stdout);
          expect(await inspect("{{.HostConfig.Runtime}} {{.HostConfig.NetworkMode}} {{.State.Status}}")).toBe(`runsc-overlay ${networkMode} running`);
          // Under gVisor, with the writable layer's overlay backed by the filestore beside it.
          expect((await engine.docker(["exec", id, "dmesg"])).stdout).toContain("Starting gVisor");
          expect(readdirSync(await inspect("{{.GraphDriver.Data.UpperDir}}"))).toContain(`.gvisor.filestore.${await inspect("{{.Id}}")}`);
        }
        expect((await compose(["exec", "worker", "sh", "-c", "echo $ROLE"])).stdout).toBe("ci");
        // A one-off container, which Compose v1 gave links that host networking refuses.
        expect((await compose(["run", "--rm", "worker", "sh", "-c", "dmesg | grep -c 'Starting gVisor'; echo $ROLE"])).stdout).toBe("1\nci");
      } finally {
        await compose(["down", "-t", "1"]);
      }
      expect((await engine.docker(["ps", "-aq"])).stdout).toBe("");
    });
  });
});
