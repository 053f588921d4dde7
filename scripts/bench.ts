/**
 * npm run bench: what runsc-overlay costs per call, measured side by side in one run. Every round runs
 * each side of a comparison once, in an order that rotates from round to round, so that whatever the
 * machine does meanwhile falls on all sides alike; the tables give medians and ratios of medians.
 *
 *   npm run bench [-- --rounds N]     (results also in .tools/bench/last.json, compared with the run before)
 *
 * Run by Node's own type stripping, so it imports only src/testbed, whose modules have no relative imports.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { busyboxBundle } from "../src/testbed/busybox.ts";
import { importBusybox, startEngine } from "../src/testbed/engine.ts";
import { type Generation, generations } from "../src/testbed/generations.ts";

const project = join(import.meta.dirname, "..");
const parts = join(project, ".tools/test");
const NODE = join(project, ".tools/node/bin/node");
const LAUNCHER = join(parts, "prefix/bin/runsc-overlay");
const CTL = join(parts, "prefix/bin/runsc-overlay-ctl");
const RUNSC = join(parts, "runsc-20240729/usr/bin/runsc");
const BUSYBOX = join(parts, "busybox/bin/busybox");
// runsc needs a network mode on every call here (the sandbox gets no network on this machine): both sides get it.
const FLAGS = ["--network=none"];
const SELF = "--overlay2=root:self";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 40;
const work = mkdtempSync(join(tmpdir(), "runsc-overlay-bench-"));

type Side = { name: string; run: (round: number) => void | Promise<void> };

/** Wall-clock milliseconds of each side over `n` rounds, the order rotating each round. */
async function measure(n: number, sides: Side[]): Promise<Map<string, number[]>> {
  const samples = new Map(sides.map((side) => [side.name, [] as number[]]));
  for (let round = 0; round < n; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(round + k) % sides.length]!;
      const start = process.hrtime.bigint();
      await side.run(round);
      samples.get(side.name)!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a command to completion with stdio on /dev/null (a sandbox keeps what it is given open). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync(file, args, { stdio: "ignore", env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")}: exit status ${result.status ?? result.signal}`);
}

const results: Record<string, number> = {};
const lines: string[] = [];
const ms = (value: number) => `${value.toFixed(1)} ms`;
function report(key: string, label: string, value: number, text = ms(value)): void {
  results[key] = Number(value.toFixed(3));
  lines.push(`  ${label.padEnd(58)} ${text}`);
}

/** A config file for runsc-overlay with this runsc, old enough for the fast path (see fast-path.ts). */
async function config(dir: string, runsc: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "config.toml");
  writeFileSync(file, `[runsc]\npath = ${JSON.stringify(runsc)}\nflags = ${JSON.stringify(FLAGS)}\n[cache]\ndir = ${JSON.stringify(join(dir, "cache"))}\n[log]\nfile = ""\n`);
  await sleep(2100);
  return file;
}

/** The cost runsc-overlay adds to a call, against a runsc that does nothing, and Node's bare start. */
async function perCall(): Promise<void> {
  const dir = join(work, "per-call");
  mkdirSync(dir);
  const nullRunsc = join(dir, "null-runsc");
  writeFileSync(nullRunsc, readFileSync(join(project, "test/runtime/fixtures/fake-runsc"), "utf8").replace("@FIXTURES@", join(project, "test/runtime/fixtures/runsc/20240729")), { mode: 0o755 });
  const env = { RUNSC_OVERLAY_CONFIG: await config(dir, nullRunsc) };
  const withoutFastPath = join(dir, "launcher-without-caches");
  // Nothing can be cached under /dev/null: no fragment, no parsed config, no compile cache.
  writeFileSync(withoutFastPath, readFileSync(LAUNCHER, "utf8").replace(/^CACHE=.*$/m, "CACHE=/dev/null/none"), { mode: 0o755 });
  // The smallest wrapper there can be: a sh script that execs runsc with the same flags.
  const wrapper = join(dir, "sh-wrapper");
  writeFileSync(wrapper, `#!/bin/sh\nexec ${nullRunsc} ${[...FLAGS, SELF].join(" ")} "$@"\n`, { mode: 0o755 });
  const bundle = busyboxBundle(BUSYBOX, dir, ["true"]);
  const root = ["--root", join(dir, "root")];
  const calls: Record<string, string[]> = {
    state: [...root, "state", "c1"],
    start: [...root, "start", "c1"],
    delete: [...root, "delete", "c1"],
    create: [...root, "create", "--bundle", bundle, "--pid-file", join(dir, "pid"), "c1"],
    run: [...root, "run", "--bundle", bundle, "c1"],
  };
  run(LAUNCHER, calls.state!, env); // plans in Node once, and writes the fast path's data
  const counted = countingLauncher("per-call");
  for (const argv of Object.values(calls)) run(counted.launcher, argv, env);
  const samples = await measure(rounds * 2, [
    { name: "bare", run: () => run(NODE, ["-e", "0"]) },
    ...Object.entries(calls).flatMap(([name, argv]) => [
      { name: `null ${name}`, run: () => run(nullRunsc, argv) },
      { name: `wrapper ${name}`, run: () => run(wrapper, argv) },
      { name, run: () => run(LAUNCHER, argv, env) },
    ]),
    { name: "state without caches", run: () => run(withoutFastPath, calls.state!, env) },
    { name: "create without caches", run: () => run(withoutFastPath, calls.create!, env) },
  ]);
  const m = (name: string) => median(samples.get(name)!);
  lines.push(`one call, against a runsc that does nothing (${rounds * 2} rounds; medians of runsc-overlay / of that runsc)`);
  report("bareNodeMs", `bare Node start (node -e 0, ${process.version})`, m("bare"));
  report("wrapperAddedMs", "added by a sh wrapper that execs runsc (the floor)", m("wrapper state") - m("null state"));
  for (const name of Object.keys(calls)) {
    const added = m(name) - m(`null ${name}`);
    const floor = m(`wrapper ${name}`) - m(`null ${name}`);
    report(`${name}AddedMs`, `added to ${name}`, added, `${ms(added)}  (${ms(m(name))} / ${ms(m(`null ${name}`))})`);
    report(`${name}OverWrapper`, `  / what the sh wrapper adds${["state", "create"].includes(name) ? " (target <= 2)" : ""}`, added / floor, `${(added / floor).toFixed(2)} x`);
  }
  report("stateWithoutCachesAddedMs", "state planned by Node, without the launcher's caches", m("state without caches") - m("null state"));
  report("createWithoutCachesAddedMs", "create planned by Node, without the launcher's caches", m("create without caches") - m("null create"));
  report("nodeStartsSteadyCalls", `Node starts in one call of each of ${Object.keys(calls).join(", ")}, in steady state (target 0)`, counted.starts(), String(counted.starts()));
  await peakMemory(calls.create!, env);
  await realState();
}

/** A copy of the launcher whose Node counts its starts (a byte each): it shares the launcher's caches. */
function countingLauncher(name: string): { launcher: string; starts: () => number } {
  const counter = join(work, `node-starts-${name}`);
  writeFileSync(`${counter}.node`, `#!/bin/sh\necho >>${counter}\nexec ${NODE} "$@"\n`, { mode: 0o755 });
  writeFileSync(`${counter}.launcher`, readFileSync(LAUNCHER, "utf8").replace(/^NODE=.*$/m, `NODE=${counter}.node`), { mode: 0o755 });
  return { launcher: `${counter}.launcher`, starts: () => (existsSync(counter) ? readFileSync(counter, "utf8").length : 0) };
}

/** `state` of a running busybox container, through runsc-overlay and through runsc with the same flags. */
async function realState(): Promise<void> {
  const dir = join(work, "state");
  const env = { RUNSC_OVERLAY_CONFIG: await config(dir, RUNSC) };
  const bundle = busyboxBundle(BUSYBOX, dir, ["sleep", "600"]);
  const root = ["--root", join(dir, "root")];
  run(LAUNCHER, [...root, "create", "--bundle", bundle, "c1"], env);
  run(LAUNCHER, [...root, "start", "c1"], env);
  try {
    const samples = await measure(rounds, [
      { name: "runsc", run: () => run(RUNSC, [...root, ...FLAGS, SELF, "state", "c1"]) },
      { name: "runsc-overlay", run: () => run(LAUNCHER, [...root, "state", "c1"], env) },
    ]);
    const [direct, ours] = [median(samples.get("runsc")!), median(samples.get("runsc-overlay")!)];
    lines.push(`state of a running container, real runsc (${rounds} rounds)`);
    report("stateRunscMs", "runsc", direct);
    report("stateOverlayMs", "runsc-overlay", ours);
    report("stateRatio", "  ratio", ours / direct, `${(ours / direct).toFixed(2)} x`);
  } finally {
    run(RUNSC, [...root, ...FLAGS, SELF, "delete", "--force", "c1"]);
  }
}

/** Peak RSS of the Node planning step of a create, read by a preload at exit. */
async function peakMemory(create: string[], env: Record<string, string>): Promise<void> {
  const out = join(work, "rss");
  const preload = join(work, "rss.cjs");
  writeFileSync(preload, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));`);
  const main = join(parts, "prefix/lib/runsc-overlay/runtime.cjs");
  let peak = 0;
  for (let i = 0; i < 5; i++) {
    run(NODE, ["-r", preload, main, ...create], { ...env, NODE_COMPILE_CACHE: join(parts, "cache/node") });
    peak = Math.max(peak, Number(readFileSync(out, "utf8")) / 1024);
  }
  report("planningPeakRssMiB", "peak RSS of the Node planning step of a create (target <= 60)", peak, `${peak.toFixed(1)} MiB`);
}

/** A busybox container's whole lifecycle through runsc-overlay and through runsc with the same flags. */
async function lifecycle(): Promise<void> {
  const dir = join(work, "lifecycle");
  const env = { RUNSC_OVERLAY_CONFIG: await config(dir, RUNSC) };
  const bundle = busyboxBundle(BUSYBOX, dir, ["sleep", "600"]);
  const root = join(dir, "root");
  const calls = (id: string) => [["create", "--bundle", bundle, id], ["start", id], ["state", id], ["kill", id, "KILL"], ["delete", "--force", id]];
  const n = Math.max(5, rounds >> 2);
  const samples = await measure(n, [
    { name: "runsc", run: (round) => calls(`r${round}`).forEach((call) => run(RUNSC, ["--root", root, ...FLAGS, SELF, ...call])) },
    { name: "runsc-overlay", run: (round) => calls(`o${round}`).forEach((call) => run(LAUNCHER, ["--root", root, ...call], env)) },
  ]);
  const [direct, ours] = [median(samples.get("runsc")!), median(samples.get("runsc-overlay")!)];
  lines.push(`a busybox lifecycle: create, start, state, kill, delete (${n} rounds)`);
  report("lifecycleRunscMs", "runsc", direct);
  report("lifecycleOverlayMs", "runsc-overlay", ours);
  report("lifecycleRatio", "  ratio", ours / direct, `${(ours / direct).toFixed(2)} x`);
}

/** docker run --rm of busybox true on a private engine: runsc-overlay against runsc with the same flags. */
async function dockerRun(generation: Generation): Promise<void> {
  const docker20or28 = `docker${/Docker (\d+)/.exec(generation.name)![1]}`;
  const dir = join(work, docker20or28);
  const env = { RUNSC_OVERLAY_CONFIG: await config(dir, RUNSC) };
  const counted = countingLauncher(docker20or28);
  const engine = await startEngine(join(dir, "engine"), { ...generation, runtimeEnv: env }, {
    runtimes: { runsc: { path: RUNSC, runtimeArgs: [...FLAGS, SELF] }, counted: { path: counted.launcher } },
  });
  try {
    const image = await importBusybox(engine, BUSYBOX);
    await execa(CTL, ["install", "docker", "--config-file", engine.daemonJson], { env: engine.env });
    const docker = (runtime: string) => () => run("docker", ["run", "--rm", "--network=none", `--runtime=${runtime}`, image, "true"], engine.env);
    docker("runsc-overlay")(); // the fast path's fragment, and a warm image
    const n = Math.max(5, rounds >> 2);
    const samples = await measure(n, [
      { name: "runsc", run: docker("runsc") },
      { name: "runsc-overlay", run: docker("runsc-overlay") },
    ]);
    const [direct, ours] = [median(samples.get("runsc")!), median(samples.get("runsc-overlay")!)];
    docker("counted")();
    const before = counted.starts();
    for (let i = 0; i < 3; i++) docker("counted")();
    const perRun = (counted.starts() - before) / 3;
    lines.push(`docker run --rm busybox true, ${generation.name} (${n} rounds)`);
    report(`${docker20or28}RunscMs`, "runtime runsc, runtimeArgs --network=none --overlay2=root:self", direct);
    report(`${docker20or28}OverlayMs`, "runtime runsc-overlay", ours);
    report(`${docker20or28}Ratio`, "  ratio (target <= 1.05)", ours / direct, `${(ours / direct).toFixed(2)} x`);
    report(`${docker20or28}NodeStartsPerRun`, "  Node starts per docker run --rm, in steady state (target 0)", perRun, String(perRun));
  } finally {
    await engine.stop();
  }
}

/** No Node process is left once runsc runs: the launcher's PID is runsc's. */
function noNodeLeft(): void {
  const pids = spawnSync("pgrep", ["-f", join(parts, "prefix/lib/runsc-overlay/node")], { encoding: "utf8" }).stdout.trim();
  lines.push(`Node processes of runsc-overlay still running: ${pids === "" ? "none" : pids}`);
}

for (const needed of [NODE, LAUNCHER, RUNSC, BUSYBOX]) if (!existsSync(needed)) throw new Error(`${needed} is missing: run scripts/prepare`);
lines.push(`${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, runsc 0.0~20240729`);
try {
  await perCall();
  await lifecycle();
  for (const generation of generations(parts)) await dockerRun(generation);
  noNodeLeft();
} finally {
  rmSync(work, { recursive: true, force: true });
}

const saved = join(project, ".tools/bench/last.json");
const previous = existsSync(saved) ? (JSON.parse(readFileSync(saved, "utf8")) as Record<string, number>) : undefined;
mkdirSync(join(project, ".tools/bench"), { recursive: true });
if (previous) {
  copyFileSync(saved, join(project, ".tools/bench/previous.json"));
  lines.push("change from the run before:");
  for (const [key, value] of Object.entries(results)) if (key in previous) lines.push(`  ${key.padEnd(32)} ${previous[key]} -> ${value}`);
}
writeFileSync(saved, `${JSON.stringify(results, null, 2)}\n`);
console.log(lines.join("\n"));
console.log(JSON.stringify(results));
