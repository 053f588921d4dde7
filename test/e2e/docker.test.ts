/**
 * runsc-overlay under a real Docker engine (Debian 12's Docker 20.10 and containerd 1.6, private to
 * this suite), registered the way users register it: `runsc-overlay-ctl install docker`.
 */
import { copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, importBusybox, startEngine } from "../../src/testbed/engine.js";
import { BUSYBOX, COMPOSE, CTL, ENGINE_BIN, RUNSC } from "../helpers/paths.js";
import { workdir, writeConfig } from "../helpers/runtime.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const MiB = 1024;
let engine: Engine;
let image: string;
let config: string;

/** The same runsc with the memory-backed overlay, beside runsc-overlay, for comparison. */
const MEMORY_RUNTIME = { path: RUNSC["20240729"], runtimeArgs: ["--network=none", "--overlay2=root:memory"] };
const PLAIN_RUNTIME = { path: RUNSC["20240729"], runtimeArgs: ["--network=none"] };

beforeAll(async () => {
  const dir = workdir("docker");
  // runsc needs --network=none on every call here: this machine gives the sandbox no network.
  config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
  engine = await startEngine(join(dir, "engine"), { bin: ENGINE_BIN, runtimeEnv: { RUNSC_OVERLAY_CONFIG: config } }, {
    "log-level": "info",
    runtimes: { "runsc-memory": MEMORY_RUNTIME, "runsc-plain": PLAIN_RUNTIME },
  });
  image = await importBusybox(engine, BUSYBOX);
  await execa(CTL, ["install", "docker", "--config-file", engine.daemonJson], { env: engine.env });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
});

const run = (runtime: string, args: string[], options?: { reject?: boolean }) =>
  engine.docker(["run", "--network=none", `--runtime=${runtime}`, ...args], options);
const detached = async (runtime: string, command: string) => (await run(runtime, ["-d", image, "sh", "-c", command])).stdout.trim();

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
});

describe("docker run --runtime=runsc-overlay", () => {
  it("gives the container an overlay root and passes its exit code through", async () => {
    const result = await run("runsc-overlay", ["--rm", image, "sh", "-c", "mount | head -n 1; exit 3"], { reject: false });
    expect(result.stdout).toMatch(/^none on \/ type overlay/);
    expect(result.exitCode).toBe(3);
  });

  it("puts a 64 MiB write in the .gvisor.filestore of the writable layer, not in sandbox memory as root:memory does", async () => {
    const growth: Record<string, number> = {};
    for (const runtime of ["runsc-overlay", "runsc-memory"]) {
      const id = await detached(runtime, "sleep 600");
      const pid = await sandboxPid(id);
      const before = sharedRssKiB(pid);
      await engine.docker(["exec", id, "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=64"]);
      growth[runtime] = sharedRssKiB(pid) - before;
      const upper = (await engine.docker(["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", id])).stdout.trim();
      const filestores = readdirSync(upper).filter((name) => name.startsWith(".gvisor.filestore."));
      if (runtime === "runsc-overlay") {
        expect(filestores).toEqual([`.gvisor.filestore.${id}`]);
        expect(statSync(join(upper, filestores[0]!)).blocks * 512).toBeGreaterThanOrEqual(64 * MiB * 1024);
      } else {
        expect(filestores).toEqual([]);
      }
      await engine.docker(["rm", "-f", id]);
    }
    expect(growth["runsc-overlay"]).toBeLessThan(8 * MiB);
    expect(growth["runsc-memory"]).toBeGreaterThan(60 * MiB);
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
    const good = `${config}.good`;
    copyFileSync(config, good);
    writeFileSync(config, readFileSync(good, "utf8").replace('flags = ["--network=none"]', 'flags = ["--network=none", "--file-access=shared"]'));
    try {
      const result = await run("runsc-overlay", ["--rm", image, "true"], { reject: false });
      expect(result.exitCode).toBe(125);
      expect(result.stderr).toContain(
        `OCI runtime create failed: runsc-overlay: --file-access=shared (from runsc.flags in ${config}) conflicts with --overlay2=root:self`,
      );
    } finally {
      copyFileSync(good, config);
    }
    expect((await engine.docker(["ps", "-aq"])).stdout).toBe("");
  });
});

describe("docker compose with runsc-overlay-ctl compose-override", () => {
  it("runs every service of a two-file project under runsc-overlay on the host's network", async () => {
    const dir = workdir("compose-e2e");
    const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), name);
    const files = [
      file("compose.yaml", `services:\n  app:\n    image: ${image}\n    command: ["sleep", "600"]\n  worker:\n    image: ${image}\n    command: ["sleep", "600"]\n`),
      file("compose.ci.yaml", "services:\n  worker:\n    environment: {ROLE: ci}\n"),
    ];
    await execa(CTL, ["compose-override", ...files, "--host-network", "-o", "runsc.yaml"], { cwd: dir });
    const compose = (args: string[]) => execa(COMPOSE, ["-p", "rso", ...[...files, "runsc.yaml"].flatMap((f) => ["-f", f]), ...args], { cwd: dir, env: engine.env });
    await compose(["up", "-d"]);
    try {
      const ids = (await compose(["ps", "-q"])).stdout.split("\n").sort();
      expect(ids).toHaveLength(2);
      for (const id of ids) {
        const inspect = (format: string) => engine.docker(["inspect", "-f", format, id]).then((result) => result.stdout);
        expect(await inspect("{{.HostConfig.Runtime}} {{.HostConfig.NetworkMode}} {{.State.Status}}")).toBe("runsc-overlay host running");
        // Under gVisor, with the writable layer's overlay backed by the filestore beside it.
        expect((await engine.docker(["exec", id, "dmesg"])).stdout).toContain("Starting gVisor");
        expect(readdirSync(await inspect("{{.GraphDriver.Data.UpperDir}}"))).toContain(`.gvisor.filestore.${await inspect("{{.Id}}")}`);
      }
      expect((await compose(["exec", "worker", "sh", "-c", "echo $ROLE"])).stdout).toBe("ci");
    } finally {
      await compose(["down", "-t", "1"]);
    }
    expect((await engine.docker(["ps", "-aq"])).stdout).toBe("");
  });
});
