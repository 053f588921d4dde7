/**
 * Podman (Debian 12's 4.3.1 with conmon 2.1.6), rootful, with `podman --runtime runsc-overlay` by name
 * as `runsc-overlay-ctl install podman` registers it. Podman passes the runtime no environment of its
 * own: the runtime here is installed with the suite's config fixed in its launcher
 * (install-runtime's CONFIG, which is `./install --config`). Beside it, runsc itself registered as
 * `runsc-plain`, for what must behave exactly as with runsc alone.
 *
 * A foreground `podman run` or `podman wait` on a gVisor container waits 20 s for conmon, with runsc
 * alone too; the suite runs containers detached and polls their state instead.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Podman, importBusyboxInto, podmanParts, startPodman } from "../../src/testbed/podman.js";
import { releaseOf } from "../../src/runtime/policy.js";
import { BUSYBOX, REAL_RUNSC, RUNSC } from "../helpers/paths.js";
import { onRunsc, withConfig, workdir, writeConfig } from "../helpers/runtime.js";
import { ORACLE_BYTES, ORACLE_SCRIPT, engineCases, overlayHeld, rootTruth } from "./oracle.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const root = new URL("../..", import.meta.url).pathname;
const PARTS = join(root, ".tools/test");
const IMAGE = "localhost/runsc-overlay-test/busybox";

let podman: Podman;
let dir: string;
/** The runtime and its CLI, installed with the suite's config fixed in them, as `./install --config` does. */
let launcher: string;
let ctl: string;
let ownLog: string;
let before: string;
let badConfig: string;
let config: string;

/** Runs a detached container under `runtime` and returns its ID. */
async function run(args: string[], runtime = "runsc-overlay"): Promise<string> {
  return (await podman.podman(["--runtime", runtime, "run", "-d", "--network", "none", ...args])).stdout.trim();
}

/** The container's state once it has stopped, polled: podman wait takes 20 s with gVisor. */
async function exited(id: string): Promise<{ status: string; exitCode: number }> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const [status, code] = (await podman.podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", id])).stdout.trim().split(" ");
    if (status === "exited" || status === "stopped") return { status: status!, exitCode: Number(code) };
    await sleep(100);
  }
  throw new Error(`container ${id} did not stop`);
}

async function state(id: string): Promise<string> {
  return (await podman.podman(["inspect", "--format", "{{.State.Status}}", id])).stdout.trim();
}

beforeAll(async () => {
  dir = workdir("podman");
  config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
  ownLog = join(dir, "own.log");
  await execa(join(root, "scripts/install-runtime"), [join(dir, "prefix"), join(dir, "cache"), config]);
  launcher = join(dir, "prefix/bin/runsc-overlay");
  ctl = join(dir, "prefix/bin/runsc-overlay-ctl");
  podman = await startPodman(join(dir, "podman"), PARTS);
  // The same launcher with a config that refuses every call, to see how Podman shows a refusal.
  const bad = writeConfig(workdir("podman-bad"), RUNSC["20240729"], { flags: ["--network=none", "--file-access=shared"] });
  badConfig = bad;
  const badLauncher = join(dir, "prefix/bin/runsc-overlay-bad");
  execFileSync("sh", ["-c", 'cat > "$0" && chmod 755 "$0"', badLauncher], { input: readFileSync(launcher, "utf8").replace(/^CONFIG=.*$/m, `CONFIG=${bad}`) });
  // The administrator's own file, which install edits in place: runsc alone beside us, for comparison.
  before =
    `${readFileSync(podman.containersConf, "utf8")}\n[engine]\nruntime_supports_json = ["crun", "runc", "runsc", "runsc-plain", "bad"] # ours\n\n` +
    `[engine.runtimes]\nrunsc-plain = ["${RUNSC["20240729"]}"]\nbad = ["${badLauncher}"]\n`;
  execFileSync("sh", ["-c", 'cat > "$0"', podman.containersConf], { input: before });
  const install = await execa(ctl, ["install", "podman"], { env: podman.env, extendEnv: false });
  expect(install.stderr).toContain(`registered runtime runsc-overlay (${launcher}) for Podman in ${podman.containersConf}`);
  await importBusyboxInto(podman, BUSYBOX, IMAGE);
}, 120_000);

afterAll(async () => {
  await podman?.stop();
});

const PLAIN_FLAGS = ["--runtime-flag", "network=none", "--runtime-flag", "overlay2=root:self"];

describe("podman --runtime runsc-overlay", () => {
  it("runs a container inside gVisor with an overlay root, reading the config fixed at install, and passes its exit status", async () => {
    const id = await run([IMAGE, "sh", "-c", "mount | head -n 1; dmesg | head -n 1; exit 3"]);
    expect(await exited(id)).toEqual({ status: expect.any(String), exitCode: 3 });
    expect((await podman.podman(["logs", id])).stdout).toMatch(/^none on \/ type overlay .*\n.*Starting gVisor/);
    // The runtime got no RUNSC_OVERLAY_CONFIG: it read the suite's config, whose log is this one.
    expect(existsSync(ownLog) ? readFileSync(ownLog, "utf8") : "").not.toMatch(/"level":50/);
  });

  it("puts a 64 MiB write in a .gvisor.filestore in Podman's upper dir, not in sandbox memory", async () => {
    const id = await run([IMAGE, "sleep", "600"]);
    const pid = await sandboxPid(id);
    const rss = sharedRssKiB(pid);
    await podman.podman(["exec", id, "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=64"]);
    expect(sharedRssKiB(pid) - rss).toBeLessThan(8 * 1024);
    const upper = (await podman.podman(["inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", id])).stdout.trim();
    const filestore = join(upper, `.gvisor.filestore.${id}`);
    expect(statSync(filestore).blocks * 512).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    await podman.podman(["rm", "--force", "--time", "0", id]);
  });

  it("exec, pause and unpause, restart, stop with a TERM trap, and kill give what runsc alone gives", async () => {
    const id = await run([IMAGE, "sh", "-c", "trap 'exit 42' TERM; while :; do sleep 1; done"]);
    const exec = await podman.podman(["exec", id, "sh", "-c", "echo from exec; exit 4"], { reject: false });
    expect([exec.stdout, exec.exitCode]).toEqual(["from exec", 4]);
    await podman.podman(["pause", id]);
    expect(await state(id)).toBe("paused");
    await podman.podman(["unpause", id]);
    expect(await state(id)).toBe("running");
    const started = Date.now();
    await podman.podman(["stop", "--time", "30", id]);
    expect((await exited(id)).exitCode).toBe(42);
    expect(Date.now() - started).toBeLessThan(15_000);
    await podman.podman(["restart", id]);
    expect(await state(id)).toBe("running");
    await podman.podman(["kill", id]);
    expect((await exited(id)).exitCode).toBe(137);
  });

  it("runs catatonit as PID 1 with --init", async () => {
    const id = await run(["--init", "--init-path", podmanParts(PARTS).catatonit, IMAGE, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"]);
    await exited(id);
    expect((await podman.podman(["logs", id])).stdout).toMatch(/^\/run\/podman-init -- sh -c/);
  });

  it("removes an overlay annotation that runsc alone refuses, and runs with the filestore", async () => {
    const plain = await podman.podman(["--runtime", "runsc-plain", "run", "-d", "--network", "none", ...PLAIN_FLAGS, "--annotation", "dev.gvisor.flag.overlay2=root:memory", IMAGE, "true"], { reject: false });
    expect(plain.exitCode).not.toBe(0);
    const id = await run(["--annotation", "dev.gvisor.flag.overlay2=root:memory", IMAGE, "sleep", "600"]);
    expect(await state(id)).toBe("running");
    const upper = (await podman.podman(["inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", id])).stdout.trim();
    expect(existsSync(join(upper, `.gvisor.filestore.${id}`))).toBe(true);
    expect(readFileSync(ownLog, "utf8")).toMatch(new RegExp(`removed dev\\.gvisor\\.flag\\.overlay2 from .*${id}.*config\\.json`));
    await podman.podman(["rm", "--force", "--time", "0", id]);
  });

  it("shows a refusal as text naming the flag and the file, the runtime's name once, no JSON line, and starts nothing", async () => {
    const running = (await podman.podman(["ps", "--format", "{{.ID}}"])).stdout;
    const result = await podman.podman(["--runtime", "bad", "run", "-d", "--network", "none", IMAGE, "true"], { reject: false });
    expect(result.exitCode).not.toBe(0);
    const message = `--file-access=shared (from runsc.flags in ${badConfig}) conflicts with --overlay2=root:self`;
    expect(result.stderr).toContain(`Error: OCI runtime error: bad: ${message}`);
    expect(result.stderr).not.toMatch(/\{"level"/);
    expect(result.stderr.split("\n").filter((line) => line.includes(message) && !line.startsWith("Error:"))).toEqual([expect.stringMatching(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`))]);
    expect((await podman.podman(["ps", "--format", "{{.ID}}"])).stdout).toBe(running);
  });

  it("shows runsc's own refusal of the same flags the same way", async () => {
    const result = await podman.podman(["--runtime", "runsc-plain", "run", "-d", "--network", "none", ...PLAIN_FLAGS, "--runtime-flag", "file-access=shared", IMAGE, "true"], { reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/Error: OCI runtime error: runsc-plain: .*overlay flag is incompatible with shared file access for rootfs/);
    expect(result.stderr).not.toMatch(/\{"level"/);
  });
});

describe.each(REAL_RUNSC)("podman run --annotation, on runsc %s: the root overlay as the sandbox has it", (version) => {
  const fallback = join(workdir("podman-fallback"), "filestore");

  it.each(engineCases(releaseOf(`0.0~${version}.0`)!))("$name", async ({ annotations, refusal }) => {
    await withConfig(config, onRunsc(RUNSC[version], fallback), async () => {
      const args = Object.entries(annotations).flatMap(([key, value]) => ["--annotation", `${key}=${value}`]);
      if (refusal) {
        const running = (await podman.podman(["ps", "--format", "{{.ID}}"])).stdout;
        const result = await podman.podman(["--runtime", "runsc-overlay", "run", "-d", "--network", "none", ...args, IMAGE, "true"], { reject: false });
        expect(result.exitCode).not.toBe(0);
        expect(result.stderr).toMatch(refusal);
        expect((await podman.podman(["ps", "--format", "{{.ID}}"])).stdout).toBe(running);
        return;
      }
      const id = await run([...args, IMAGE, "sh", "-c", ORACLE_SCRIPT]);
      for (let i = 0; i < 100 && (await podman.podman(["exec", id, "cat", "/done"], { reject: false })).exitCode !== 0; i++) await sleep(100);
      const upper = (await podman.podman(["inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", id])).stdout.trim();
      const truth = await rootTruth(id, upper, "written", fallback);
      expect((await podman.podman(["exec", id, "head", "-n", "1", "/proc/mounts"])).stdout).toBe("none / overlay rw 0 0");
      expect(overlayHeld(truth, ORACLE_BYTES), JSON.stringify(truth)).toBe(true);
      await podman.podman(["rm", "--force", "--time", "0", id]);
    });
  });
});

describe("what behaves as with runsc alone, and so is not ours to fix", () => {
  it.each([
    ["podman exec -t", (id: string) => ["exec", "-t", id, "true"]],
    ["podman top without -o", (id: string) => ["top", id]],
  ])("%s", async (_, command) => {
    const outcomes = [];
    for (const runtime of ["runsc-overlay", "runsc-plain"]) {
      const id = await run([...(runtime === "runsc-plain" ? PLAIN_FLAGS : []), IMAGE, "sleep", "600"], runtime);
      const result = await podman.podman(command(id), { reject: false });
      const normal = (text: string) => text.replaceAll(id, "ID").replaceAll(runtime, "RUNTIME").replace(/^time=.*\n/gm, "");
      outcomes.push({ exitCode: result.exitCode, stdout: normal(result.stdout), stderr: normal(result.stderr) });
      await podman.podman(["rm", "--force", "--time", "0", id]);
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
  });
});

describe("runsc-overlay-ctl with Podman", () => {
  it("doctor reports the runtime, with JSON errors, and the config Podman's calls read", async () => {
    const doctor = await execa(ctl, ["doctor"], { env: podman.env, extendEnv: false, reject: false });
    expect(doctor.stdout).toMatch(new RegExp(`^ok +podman +Podman's runtime runsc-overlay is ${launcher}, with JSON errors \\(${podman.containersConf}\\)$`, "m"));
    expect(doctor.stdout).toMatch(new RegExp(`^(ok|warn) +engine configs +.*Podman: ${join(dir, "config.toml")}`, "m"));
  });

  it("uninstall podman gives containers.conf back as it was", async () => {
    await execa(ctl, ["uninstall", "podman"], { env: podman.env, extendEnv: false });
    expect(readFileSync(podman.containersConf, "utf8")).toBe(before);
    const result = await podman.podman(["--runtime", "runsc-overlay", "run", "-d", "--network", "none", IMAGE, "true"], { reject: false });
    expect(result.stderr).toMatch(/runsc-overlay.*not found|unable to find/i);
  });
});
