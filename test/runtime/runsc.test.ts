/**
 * runsc-overlay in front of the real runsc from Debian 13 (0.0~20240729: `self`), Debian 12
 * (0.0~20221219: no `self`, so the fallback) and gVisor's release-20260817 where the suite has it,
 * running a busybox bundle, compared with runsc alone.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openFilesUnder } from "../../src/testbed/filestore.js";
import type { RunscVersion } from "../helpers/capabilities.js";
import { LAUNCHER, NO_CURRENT_GVISOR, REAL_RUNSC, RUNSC } from "../helpers/paths.js";
import { busyboxBundle, runRuntime, spawnWithFiles, unmountUnder, workdir, writeConfig } from "../helpers/runtime.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(REAL_RUNSC)("real runsc %s", (version: RunscVersion) => {
  const runsc = RUNSC[version];
  let dir: string;
  let root: string;
  let config: string;
  let fallbackDir: string;
  const started: string[] = [];

  /** A call through runsc-overlay; stdio on files, since a sandbox keeps what it is given open. */
  const through = (args: string[], name = "out") =>
    spawnWithFiles(LAUNCHER, ["--root", root, ...args], join(dir, name), { env: { RUNSC_OVERLAY_CONFIG: config } });
  const output = (name: string) => readFileSync(join(dir, `${name}.stdout`), "utf8");
  const direct = (args: string[]) => execa(runsc, ["--root", root, "--network=none", ...args], { reject: false, stdin: "ignore" });

  beforeAll(() => {
    dir = workdir(`runsc-${version}`);
    root = join(dir, "state");
    fallbackDir = join(dir, "filestore");
    config = writeConfig(dir, runsc, { flags: ["--network=none"], extra: `[overlay]\nfallback_dir = ${JSON.stringify(fallbackDir)}` });
  });

  afterAll(async () => {
    for (const id of started) await direct(["delete", "--force", id]);
    unmountUnder(dir);
  });

  it("runs a container whose root is an overlay, and reports its exit status", async () => {
    const bundle = busyboxBundle(join(dir, "exit"), ["sh", "-c", "head -n 1 /proc/mounts; exit 7"]);
    started.push("exit7");
    const result = await through(["run", "--bundle", bundle, "exit7"], "exit");
    expect(output("exit")).toBe("none / overlay rw 0 0\n");
    expect(result.exitCode).toBe(7);
  });

  it("backs the root overlay by a host file while the container runs, and removes it on delete", async () => {
    const bundle = busyboxBundle(join(dir, "life"), ["sleep", "60"]);
    started.push("life");
    expect((await through(["create", "--bundle", bundle, "--pid-file", join(bundle, "init.pid"), "life"], "create")).exitCode).toBe(0);
    expect((await through(["start", "life"], "start")).exitCode).toBe(0);

    const filestores = () =>
      version !== "20221219"
        ? readdirSync(join(bundle, "rootfs")).filter((name) => name.startsWith(".gvisor.filestore."))
        : openFilesUnder(fallbackDir);
    if (version !== "20221219") expect(filestores()).toEqual(expect.arrayContaining([expect.stringMatching(/^\.gvisor\.filestore\./)]));
    else expect(filestores()).toEqual(expect.arrayContaining([expect.stringMatching(/\/runsc-overlay-filestore-\d+ \(deleted\)$/)]));

    for (const args of [["state", "life"], ["list"]]) {
      const mine = await through(args, "mine");
      const theirs = await spawnWithFiles(runsc, ["--root", root, ...args], join(dir, "theirs"));
      expect(output("mine")).toBe(output("theirs"));
      expect(mine.exitCode).toBe(theirs.exitCode);
    }
    expect(JSON.parse((await direct(["state", "life"])).stdout).status).toBe("running");

    expect((await through(["kill", "life", "9"], "kill")).exitCode).toBe(0);
    expect((await through(["delete", "--force", "life"], "delete")).exitCode).toBe(0);
    for (let i = 0; i < 50 && filestores().length > 0; i++) await sleep(100);
    expect(filestores()).toEqual([]);
  });

  it("answers --version byte for byte as runsc does", async () => {
    const mine = await runRuntime(["--version"], config, { encoding: "buffer" });
    const theirs = await execa(runsc, ["--version"], { encoding: "buffer" });
    expect(Buffer.from(mine.stdout as Uint8Array).equals(Buffer.from(theirs.stdout as Uint8Array))).toBe(true);
    expect(mine.exitCode).toBe(0);
  });

  it("has the same outcome as runsc alone for a signal sent to a foreground run", async () => {
    const outcome = async (name: string, command: string[]) => {
      const bundle = busyboxBundle(join(dir, name), ["sleep", "60"]);
      started.push(name);
      let pid = 0;
      const done = spawnWithFiles(command[0]!, [...command.slice(1), "run", "--bundle", bundle, name], join(dir, name), {
        env: { RUNSC_OVERLAY_CONFIG: config },
        started: (started) => (pid = started),
      });
      for (let i = 0; i < 200; i++) {
        const state = await direct(["state", name]);
        if (state.exitCode === 0 && JSON.parse(state.stdout).status === "running") break;
        await sleep(100);
      }
      process.kill(pid, "SIGTERM");
      const result = await done;
      return { exitCode: result.exitCode, signal: result.signal };
    };
    const mine = await outcome("sig-mine", [LAUNCHER, "--root", root]);
    const theirs = await outcome("sig-theirs", [runsc, "--root", root, "--network=none"]);
    expect(mine).toEqual(theirs);
    // Killed by the signal: what a shell reports as 143.
    if (version !== "20221219") expect(mine).toEqual({ exitCode: null, signal: "SIGTERM" });
  });
});

describe("annotations on real runsc 20240729", () => {
  const runsc = RUNSC["20240729"];
  const annotated = { annotations: { "dev.gvisor.flag.overlay2": "root:memory", "io.example/keep": "yes" } };

  it("strips dev.gvisor.flag.overlay2, which this runsc would die on, and keeps the rest", async () => {
    const dir = workdir("annotations");
    const config = writeConfig(dir, runsc, { flags: ["--network=none"] });
    const bundle = busyboxBundle(dir, ["sh", "-c", "head -n 1 /proc/mounts"], annotated);
    const alone = await execa(runsc, ["--root", join(dir, "state"), "--network=none", "run", "--bundle", bundle, "alone"], { reject: false, stdin: "ignore", stdout: "ignore" });
    expect(alone.exitCode).not.toBe(0);

    const result = await spawnWithFiles(LAUNCHER, ["--root", join(dir, "state"), "run", "--bundle", bundle, "mine"], join(dir, "out"), { env: { RUNSC_OVERLAY_CONFIG: config } });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(dir, "out.stdout"), "utf8")).toBe("none / overlay rw 0 0\n");
    expect(JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")).annotations).toEqual({ "io.example/keep": "yes" });
    expect(readFileSync(join(dir, "own.log"), "utf8")).toMatch(/"level":40.*removed dev\.gvisor\.flag\.overlay2 from .*config\.json/);
  });

  /** A runsc that would obey the annotation, as every runsc from release-20250106 does without the flag. */
  const obeying = (dir: string) => writeConfig(dir, runsc, { flags: ["--network=none", "--allow-flag-override"] });

  it("checks the bundle runsc reads when a valued flag swallows a decoy --bundle", async () => {
    const dir = workdir("annotations-decoy");
    const real = busyboxBundle(join(dir, "real"), ["sh", "-c", ":"], annotated);
    const decoy = busyboxBundle(join(dir, "decoy"), ["sh", "-c", ":"]);
    const decoyBytes = readFileSync(join(decoy, "config.json"));
    // runsc takes --bundle=decoy/bundle as the name of its pid file (in ./--bundle=decoy), and reads REAL.
    mkdirSync(join(dir, "--bundle=decoy"));
    const result = await runRuntime(["--root", join(dir, "state"), "run", "--bundle", real, "--pid-file", "--bundle=decoy/bundle", "decoy"], obeying(dir), { cwd: dir, stdout: "ignore" });
    expect(result.exitCode).toBe(0);
    expect(existsSync(join(dir, "--bundle=decoy/bundle"))).toBe(true);
    expect(JSON.parse(readFileSync(join(real, "config.json"), "utf8")).annotations).toEqual({ "io.example/keep": "yes" });
    expect(readFileSync(join(decoy, "config.json")).equals(decoyBytes)).toBe(true);
  });

  it("removes an annotation under a field name Go folds (annotationſ) from a config.json that is not valid UTF-8", async () => {
    const dir = workdir("annotations-fold");
    const bundle = busyboxBundle(dir, ["sh", "-c", ":"], annotated);
    const file = join(bundle, "config.json");
    const text = readFileSync(file, "utf8").replace('"annotations"', '"annotation\u017f"').replace('"runsc-overlay-test"', '"runsc-overlay-test-@"');
    const [before, after] = text.split("@") as [string, string];
    writeFileSync(file, Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]));
    const result = await runRuntime(["--root", join(dir, "state"), "run", "--bundle", bundle, "folded"], obeying(dir), { stdout: "ignore" });
    expect(result.exitCode).toBe(0);
    const written = readFileSync(file);
    expect(written.includes("dev.gvisor.flag.overlay2")).toBe(false);
    expect(written.equals(Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after.replace(/"dev\.gvisor\.flag\.overlay2": "root:memory",\s*/, ""))]))).toBe(true);
  });

  it("refuses, saying why, where the annotation cannot be removed from a read-only bundle", async () => {
    const dir = workdir("annotations-ro");
    const bundle = busyboxBundle(dir, ["sh", "-c", ":"], annotated);
    await execa("mount", ["--bind", bundle, bundle]);
    try {
      await execa("mount", ["-o", "remount,bind,ro", bundle]);
      const result = await runRuntime(["--root", join(dir, "state"), "--log", join(dir, "log.json"), "run", "--bundle", bundle, "ro"], obeying(dir), { stdout: "ignore" });
      expect(result.exitCode).toBe(1);
      const message = `cannot remove dev.gvisor.flag.overlay2 from ${bundle}/config.json: read-only file system (EROFS); the container was not started`;
      expect(result.stderr).toContain(message);
      expect(readFileSync(join(dir, "log.json"), "utf8")).toContain(message);
      expect(existsSync(join(dir, "state"))).toBe(false);
    } finally {
      await execa("umount", [bundle]);
    }
  });

  it("leaves the bundle alone with annotations = \"allow\"", async () => {
    const dir = workdir("annotations-allow");
    const config = writeConfig(dir, runsc, { flags: ["--network=none"], extra: '[overlay]\nannotations = "allow"' });
    const bundle = busyboxBundle(dir, ["sh", "-c", ":"], annotated);
    const before = readFileSync(join(bundle, "config.json"));
    const result = await runRuntime(["--root", join(dir, "state"), "run", "--bundle", bundle, "allowed"], config, { stdout: "ignore" });
    // This runsc refuses the override itself, as it would alone.
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/flag override disabled, use --allow-flag-override to enable it/);
    expect(readFileSync(join(bundle, "config.json")).equals(before)).toBe(true);
    expect(existsSync(join(dir, "own.log")) ? readFileSync(join(dir, "own.log"), "utf8") : "").not.toMatch(/removed/);
  });
});

describe.skipIf(NO_CURRENT_GVISOR !== undefined)(`gVisor release-20260817${NO_CURRENT_GVISOR ? ` (skipped: ${NO_CURRENT_GVISOR})` : ""}`, () => {
  it("obeys dev.gvisor.flag.overlay2 alone, with no --allow-flag-override; through runsc-overlay the annotation is removed", async () => {
    const dir = workdir("annotations-current");
    const script = ["sh", "-c", "head -n 1 /proc/mounts"];
    const alone = busyboxBundle(join(dir, "alone"), script, { annotations: { "dev.gvisor.flag.overlay2": "none" } });
    await spawnWithFiles(RUNSC["20260817"], ["--root", join(dir, "state"), "--network=none", "run", "--bundle", alone, "alone"], join(dir, "alone"));
    expect(readFileSync(join(dir, "alone.stdout"), "utf8")).toMatch(/^none \/ 9p /);
    const mine = busyboxBundle(join(dir, "mine"), script, { annotations: { "dev.gvisor.flag.overlay2": "none" } });
    const config = writeConfig(dir, RUNSC["20260817"], { flags: ["--network=none"] });
    const result = await spawnWithFiles(LAUNCHER, ["--root", join(dir, "state"), "run", "--bundle", mine, "mine"], join(dir, "mine"), { env: { RUNSC_OVERLAY_CONFIG: config } });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(dir, "mine.stdout"), "utf8")).toBe("none / overlay rw 0 0\n");
    unmountUnder(dir);
  });

  it("passes features to this runsc, which answers it itself", async () => {
    const mine = await runRuntime(["features"], writeConfig(workdir("features-current"), RUNSC["20260817"]));
    const theirs = await execa(RUNSC["20260817"], ["features"]);
    expect(mine.exitCode).toBe(0);
    // runsc lists capabilities in Go's map order, different on every call.
    const sorted = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(sorted).sort() : value && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sorted(v)])) : value;
    expect(sorted(JSON.parse(String(mine.stdout)))).toEqual(sorted(JSON.parse(String(theirs.stdout))));
    expect(JSON.parse(String(mine.stdout)).annotations).not.toHaveProperty("io.github.runsc-overlay.runsc.version");
  });
});

describe("features through the launcher", () => {
  it.each(["20240729", "20221219"] as const)("answers for runsc %s, which has no features subcommand, with no global flags", async (version) => {
    const dir = workdir(`features-${version}`);
    const result = await runRuntime(["features"], writeConfig(dir, RUNSC[version]));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    const doc = JSON.parse(String(result.stdout));
    expect(doc).toMatchObject({ ociVersionMin: "1.0.0", linux: { mountExtensions: { idmap: { enabled: false } } } });
    expect(doc.annotations["io.github.runsc-overlay.runsc.version"]).toBe(`0.0~${version}.0`);
  });
});
