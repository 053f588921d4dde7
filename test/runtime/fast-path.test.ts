/**
 * The fast path against the Node path, on every command line of the argv contract: the launcher's
 * shell fragment must exec runsc with exactly the argv that Node plans, or leave the call to Node.
 *
 * Each row runs through two copies of the installed launcher: one whose cache holds no fragment (so
 * Node plans), and one whose Node does not exist (so only the fragment can plan: where it declines,
 * the call fails and the fake runsc records nothing).
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { parse, stringify } from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunscVersion } from "../helpers/capabilities.js";
import { LAUNCHER } from "../helpers/paths.js";
import { commandLines } from "../../src/testbed/engine.js";
import { busyboxBundle, fakeRunsc, readRecord, workdir } from "../helpers/runtime.js";
import { type Row, rows } from "./command-lines.js";
import { type Setup, call, launcher, setUp } from "../helpers/planners.js";

const setups = new Map<string, Setup>();
const keyOf = (row: Row) => `${row.version ?? "20240729"} ${row.config ?? ""}`;

beforeAll(async () => {
  for (const row of rows) if (!setups.has(keyOf(row))) setups.set(keyOf(row), setUp(row.version ?? "20240729", row.config ?? ""));
  // The fragment is only written for files that have not changed in the last 2 s (see fast-path.ts).
  await sleep(2100);
  for (const setup of setups.values()) {
    const seeding = launcher(join(setup.dir, "seeding"), { CACHE: join(setup.dir, "cache") });
    await call(seeding, setup, ["state", "seed"], join(setup.dir, "seed"));
  }
}, 120_000);

describe("the fast path plans every command line as Node does, or leaves it to Node", () => {
  const answered: string[] = [];

  it.each(rows)("$name", async (row) => {
    const setup = setups.get(keyOf(row))!;
    const record = join(setup.dir, `${rows.indexOf(row)}`);
    const node = await call(setup.nodeOnly, setup, row.argv, `${record}.node`);
    const fast = await call(setup.fastOnly, setup, row.argv, `${record}.fast`);
    if (fast !== undefined) {
      answered.push(row.name);
      expect(fast).toEqual(node);
    }
  });

  it("answers the calls that read no bundle", () => {
    expect(answered).toEqual(expect.arrayContaining(["start", "state", "kill", "delete", "exec", "ps", "gVisor shim wait", "-- ends the flags: insert before it", "--debug false: false is the subcommand"]));
    expect(answered.length).toBeGreaterThanOrEqual(30);
  });

  it.each([
    "docker create",
    "foreground run",
    "restore with -no-subreaper",
    "docker runtimeArgs asking for a memory overlay lose it",
    "caller's --file-access=shared is refused",
    "an unknown flag",
    "a valued flag without its value",
    "--version",
    "no arguments at all",
    "runsc.flags --file-access=shared is refused",
    "20221219: fallback = fail refuses",
  ])("leaves %s to Node", (name) => {
    expect(answered).not.toContain(name);
  });
});

describe("a fragment whose inputs changed", () => {
  const runscOf = (setup: Setup) => (parse(readFileSync(setup.config, "utf8")) as { runsc: { path: string } }).runsc.path;
  it.each([
    ["the config", (setup: Setup) => writeFileSync(setup.config, readFileSync(setup.config, "utf8").replace("[runsc]", '[runsc]\nflags = ["--debug"]')), ["--debug", "--overlay2=root:self", "state", "c1"]],
    ["runsc", (setup: Setup) => writeFileSync(runscOf(setup), `${readFileSync(runscOf(setup), "utf8")}\n`), ["--overlay2=root:self", "state", "c1"]],
  ] as const)("is not used once %s changes: Node plans the call", async (_, change, planned) => {
    const setup = setUp("20240729", "");
    await sleep(2100);
    const normal = launcher(join(setup.dir, "normal"), { CACHE: join(setup.dir, "cache") });
    await call(normal, setup, ["state", "seed"], join(setup.dir, "seed"));
    expect(await call(setup.fastOnly, setup, ["state", "c1"], join(setup.dir, "before"))).toEqual(["--overlay2=root:self", "state", "c1"]);
    change(setup);
    expect(await call(setup.fastOnly, setup, ["state", "c1"], join(setup.dir, "fast-after"))).toBeUndefined();
    expect(await call(normal, setup, ["state", "c1"], join(setup.dir, "after"))).toEqual(planned);
  });
});

describe("a cache the launcher cannot trust costs one Node call, never an outage", () => {
  const fragmentOf = (setup: Setup) => join(setup.dir, "cache/plans", `${setup.config}.sh`);
  let setup: Setup;
  let normal: string;
  beforeAll(async () => {
    setup = setUp("20240729", "");
    await sleep(2100);
    normal = launcher(join(setup.dir, "normal"), { CACHE: join(setup.dir, "cache") });
  });

  it.each([
    ["cut short in the middle", (text: string) => text.slice(0, text.length / 2)],
    ["cut short before its last line", (text: string) => text.slice(0, text.lastIndexOf("rso_end="))],
    ["made by another planner", (text: string) => text.replace(/rso_end='\w+'/, "rso_end='0000000000000000'")],
  ])("a fragment %s is not run; Node plans the call and writes it whole again", async (_, damage) => {
    await call(normal, setup, ["state", "seed"], join(setup.dir, "seed"));
    const whole = readFileSync(fragmentOf(setup), "utf8");
    writeFileSync(fragmentOf(setup), damage(whole));
    expect(await call(setup.fastOnly, setup, ["state", "c1"], join(setup.dir, `fast-${_}`))).toBeUndefined();
    expect(await call(normal, setup, ["state", "c1"], join(setup.dir, `node-${_}`))).toEqual(["--overlay2=root:self", "state", "c1"]);
    expect(readFileSync(fragmentOf(setup), "utf8")).toBe(whole);
    expect(await call(setup.fastOnly, setup, ["state", "c1"], join(setup.dir, `again-${_}`))).toEqual(["--overlay2=root:self", "state", "c1"]);
  });

  it("a fragment that is a link is not run", async () => {
    await call(normal, setup, ["state", "seed"], join(setup.dir, "seed"));
    renameSync(fragmentOf(setup), `${fragmentOf(setup)}.real`);
    symlinkSync(`${fragmentOf(setup)}.real`, fragmentOf(setup));
    expect(await call(setup.fastOnly, setup, ["state", "c1"], join(setup.dir, "fast-link"))).toBeUndefined();
    rmSync(fragmentOf(setup));
  });

  it("a capabilities file planted in a cache directory others can write is ignored", async () => {
    const capabilities = join(setup.dir, "capabilities");
    await call(normal, setup, ["state", "seed"], join(setup.dir, "seed"));
    const [file] = readdirSync(capabilities);
    const entry = JSON.parse(readFileSync(join(capabilities, file!), "utf8"));
    chmodSync(capabilities, 0o777);
    // What an attacker would plant: this runsc, said to have no --overlay2 at all.
    writeFileSync(join(capabilities, file!), JSON.stringify({ ...entry, caps: { ...entry.caps, overlay2: null } }));
    chmodSync(join(capabilities, file!), 0o666);
    rmSync(join(setup.dir, "cache/plans"), { recursive: true });
    expect(await call(setup.nodeOnly, setup, ["state", "c1"], join(setup.dir, "planted"))).toEqual(["--overlay2=root:self", "state", "c1"]);
    chmodSync(capabilities, 0o700);
    expect(await call(setup.nodeOnly, setup, ["state", "c1"], join(setup.dir, "planted-file"))).toEqual(["--overlay2=root:self", "state", "c1"]);
    rmSync(join(capabilities, file!));
  });

  it("a config path with .. gets no cache, in the cache directory or beside the config", async () => {
    const dotted = { ...setup, config: `${setup.dir}/sub/../config.toml` };
    mkdirSync(join(setup.dir, "sub"), { recursive: true });
    rmSync(join(setup.dir, "cache/plans"), { recursive: true, force: true });
    expect(await call(normal, dotted, ["state", "c1"], join(setup.dir, "dotted"))).toEqual(["--overlay2=root:self", "state", "c1"]);
    expect(readdirSync(join(setup.dir, "cache")).filter((name) => name !== "node")).toEqual([]);
    expect(readdirSync(setup.dir).filter((name) => name.endsWith(".sh") || name.endsWith(".json"))).toEqual([]);
  });
});

describe("the caller's environment", () => {
  it("reaches runsc unchanged, while Node's own variables change nothing Node does", async () => {
    const setup = setUp("20240729", "");
    const normal = launcher(join(setup.dir, "normal"), { CACHE: join(setup.dir, "cache") });
    const coverage = join(setup.dir, "coverage");
    mkdirSync(coverage);
    const record = join(setup.dir, "env");
    const env = { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record, NODE_DEBUG: "module,fs", NODE_V8_COVERAGE: coverage, NODE_OPTIONS: "--require /nonexistent.js" };
    const result = await execa(normal, ["--root", "/r", "state", "c1"], { env, reject: false, stdin: "ignore" });
    expect([result.exitCode, result.stdout, result.stderr]).toEqual([0, "", ""]);
    expect(readdirSync(coverage)).toEqual([]);
    expect(readRecord(record)?.argv).toEqual(["--root", "/r", "--overlay2=root:self", "state", "c1"]);
  });
});

describe("runsc.path leading back to runsc-overlay", () => {
  it.each([
    ["the launcher itself", (_dir: string) => LAUNCHER, /runsc\.path = .+ in .+: is runsc-overlay's own launcher, which would call itself/],
    ["a wrapper that runs the launcher", (dir: string) => {
      writeFileSync(join(dir, "wrapper"), `#!/bin/sh\nexec ${LAUNCHER} "$@"\n`, { mode: 0o755 });
      return join(dir, "wrapper");
    }, /runsc at .+wrapper leads back to runsc-overlay itself/],
  ])("is refused at once when it is %s, and leaves no process behind", async (_, path, message) => {
    const dir = workdir("recursion");
    const config = join(dir, "config.toml");
    writeFileSync(config, stringify({ runsc: { path: path(dir) }, cache: { dir: join(dir, "capabilities") }, log: { file: "" } }));
    const result = await execa(LAUNCHER, ["state", "c1"], { env: { RUNSC_OVERLAY_CONFIG: config }, reject: false, stdin: "ignore", timeout: 20_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(commandLines().filter(({ argv }) => argv.some((word) => word.includes(dir)))).toEqual([]);
  });
});

describe("a working directory that was deleted", () => {
  it("does not stop a call whose bundle path is absolute", async () => {
    const setup = setUp("20240729", "");
    const bundle = busyboxBundle(setup.dir, ["true"]);
    const gone = join(setup.dir, "gone");
    mkdirSync(gone);
    const record = join(setup.dir, "create");
    const script = `cd "$1" && rmdir "$1" && exec "$2" create --bundle "$3" c1`;
    const result = await execa("sh", ["-c", script, "sh", gone, setup.nodeOnly, bundle], { env: { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record }, reject: false, stdin: "ignore" });
    // dash itself warns that getcwd() failed, as it starts; runsc-overlay adds nothing.
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split("\n").filter((line) => !line.endsWith("getcwd() failed: No such file or directory"))).toEqual([]);
    expect(readRecord(record)?.argv).toEqual(["--overlay2=root:self", "create", "--bundle", bundle, "c1"]);
  });
});

describe("data made while the launcher's default config was absent", () => {
  it("is not used when RUNSC_OVERLAY_CONFIG names a config, which Node requires to exist", async () => {
    const dir = workdir("fast-path-default");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    renameSync(fakeRunsc(dir, "20240729"), join(bin, "runsc"));
    const absent = join(dir, "absent.toml");
    const normal = launcher(join(dir, "normal"), { CACHE: join(dir, "cache"), CONFIG: absent });
    const fastOnly = launcher(join(dir, "fast-only"), { CACHE: join(dir, "cache"), CONFIG: absent, NODE: "/nonexistent/node" });
    await sleep(2100);
    const env = (extra: Record<string, string>) => ({ PATH: `${bin}:/usr/bin:/bin`, FAKE_RUNSC_RECORD: join(dir, "record"), ...extra });
    await execa(normal, ["state", "seed"], { env: env({}), extendEnv: false, stdin: "ignore" });
    const fast = await execa(fastOnly, ["state", "c1"], { env: env({}), extendEnv: false, reject: false, stdin: "ignore" });
    expect([fast.exitCode, readRecord(join(dir, "record"))?.argv]).toEqual([0, ["--overlay2=root:self", "state", "c1"]]);
    const named = await execa(fastOnly, ["state", "c2"], { env: env({ RUNSC_OVERLAY_CONFIG: absent }), extendEnv: false, reject: false, stdin: "ignore" });
    expect(named.exitCode).not.toBe(0);
    expect(readRecord(join(dir, "record"))?.argv).toEqual(["--overlay2=root:self", "state", "c1"]);
    const node = await execa(normal, ["state", "c3"], { env: env({ RUNSC_OVERLAY_CONFIG: absent }), extendEnv: false, reject: false, stdin: "ignore" });
    expect(node.stderr).toMatch(/cannot read config .*absent\.toml \(named by RUNSC_OVERLAY_CONFIG\)/);
  });
});

describe("bundle calls and features on the fast path", () => {
  let setup: Setup;
  const bundles: Record<string, string> = {};
  beforeAll(async () => {
    setup = setUp("20240729", "");
    const contents: Record<string, object | string> = {
      clean: { annotations: { "io.example/keep": "yes" } },
      overlay: { annotations: { "dev.gvisor.flag.overlay2": "root:memory" } },
      debug: { annotations: { "dev.gvisor.flag.debug": "true" } },
      escaped: '{"annotations":{"dev.gvisor.flag.overlay\\u0032":"root:memory"}}',
      invalid: "{not json",
    };
    for (const [name, content] of Object.entries(contents)) {
      bundles[name] = join(setup.dir, `bundle-${name}`);
      mkdirSync(bundles[name]!);
      writeFileSync(join(bundles[name]!, "config.json"), typeof content === "string" ? content : JSON.stringify(content));
    }
    await sleep(2100);
    const seeding = launcher(join(setup.dir, "seeding"), { CACHE: join(setup.dir, "cache") });
    await call(seeding, setup, ["state", "seed"], join(setup.dir, "seed"));
  });

  it.each([
    ["create", (b: Record<string, string>) => ["--root", "/r", "create", "--bundle", b.clean!, "--pid-file", "/p", "c1"]],
    ["run with = forms", (b: Record<string, string>) => ["run", `--bundle=${b.clean}`, "--detach", "c1"]],
    ["restore", (b: Record<string, string>) => ["restore", "--image-path", "/img", "--detach", "-no-subreaper", "--bundle", b.clean!, "c1"]],
    ["a decoy --bundle swallowed by --pid-file", (b: Record<string, string>) => ["create", "--bundle", b.clean!, "--pid-file", `--bundle=${b.overlay}`, "c1"]],
    ["a bundle whose config.json is not JSON (runsc's to judge)", (b: Record<string, string>) => ["create", "--bundle", b.invalid!, "c1"]],
  ])("answers %s as Node does", async (name, argv) => {
    const fast = await call(setup.fastOnly, setup, argv(bundles), join(setup.dir, `fast-${name}`));
    const node = await call(setup.nodeOnly, setup, argv(bundles), join(setup.dir, `node-${name}`));
    expect(fast).toBeDefined();
    expect(fast).toEqual(node);
  });

  it.each([
    ["an overlay annotation", (b: Record<string, string>) => ["create", "--bundle", b.overlay!, "c1"]],
    ["any gVisor annotation", (b: Record<string, string>) => ["create", "--bundle", b.debug!, "c1"]],
    ["a \\u escape", (b: Record<string, string>) => ["create", "--bundle", b.escaped!, "c1"]],
    ["the real bundle behind a decoy", (b: Record<string, string>) => ["create", "--bundle", b.overlay!, "--pid-file", `--bundle=${b.clean}`, "c1"]],
    ["a flag runsc's create does not take", (b: Record<string, string>) => ["create", "--bundle", b.clean!, "--no-pivot", "c1"]],
    ["no bundle there", (_: Record<string, string>) => ["create", "--bundle", "/nonexistent", "c1"]],
  ])("leaves a bundle call with %s to Node", async (name, argv) => {
    expect(await call(setup.fastOnly, setup, argv(bundles), join(setup.dir, `declined-${name}`))).toBeUndefined();
  });

  it("finds a bundle given by the working directory", async () => {
    const run = (file: string, record: string) =>
      execa(file, ["create", "c1"], { cwd: bundles.clean, env: { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record }, reject: false, stdin: "ignore" });
    await run(setup.fastOnly, join(setup.dir, "cwd-fast"));
    await run(setup.nodeOnly, join(setup.dir, "cwd-node"));
    expect(readRecord(join(setup.dir, "cwd-fast"))?.argv).toEqual(["--overlay2=root:self", "create", "c1"]);
    expect(readRecord(join(setup.dir, "cwd-node"))?.argv).toEqual(["--overlay2=root:self", "create", "c1"]);
  });

  it("answers features with Node's document", async () => {
    const features = (file: string) => execa(file, ["features"], { env: { RUNSC_OVERLAY_CONFIG: setup.config }, reject: false, stdin: "ignore" });
    const [fast, node] = [await features(setup.fastOnly), await features(setup.nodeOnly)];
    expect(fast.exitCode).toBe(0);
    expect(fast.stdout).toBe(node.stdout);
    expect(JSON.parse(fast.stdout).linux.mountExtensions).toBeDefined();
  });
});
