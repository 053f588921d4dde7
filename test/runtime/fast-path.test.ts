/**
 * The fast path against the Node path, on every command line of the argv contract: the launcher's
 * shell fragment must exec runsc with exactly the argv that Node plans, or leave the call to Node.
 *
 * Each row runs through two copies of the installed launcher: one whose cache holds no fragment (so
 * Node plans), and one whose Node does not exist (so only the fragment can plan: where it declines,
 * the call fails and the fake runsc records nothing).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { parse, stringify } from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunscVersion } from "../helpers/capabilities.js";
import { LAUNCHER } from "../helpers/paths.js";
import { fakeRunsc, readRecord, workdir } from "../helpers/runtime.js";
import { type Row, rows } from "./command-lines.js";

interface Setup {
  config: string;
  nodeOnly: string;
  fastOnly: string;
  dir: string;
}

/** A launcher copy with some of its settings replaced. */
function launcher(file: string, settings: { NODE?: string; CACHE?: string }): string {
  let text = readFileSync(LAUNCHER, "utf8");
  for (const [name, value] of Object.entries(settings)) text = text.replace(new RegExp(`^${name}=.*$`, "m"), `${name}=${value}`);
  writeFileSync(file, text, { mode: 0o755 });
  return file;
}

/** One config and fake runsc per (runsc version, row config), with host paths moved into the test's own directory. */
function setUp(version: RunscVersion, rowConfig: string): Setup {
  const dir = workdir("fast-path");
  const row = parse(rowConfig.replaceAll('"/srv/', `"${dir}/srv/`)) as { runsc?: object; overlay?: object };
  const config = join(dir, "config.toml");
  writeFileSync(
    config,
    stringify({
      runsc: { path: fakeRunsc(dir, version), ...row.runsc },
      overlay: { fallback_dir: join(dir, "filestore"), ...row.overlay },
      cache: { dir: join(dir, "capabilities") },
      log: { file: "" },
    }),
  );
  mkdirSync(join(dir, "cache"));
  return {
    config,
    dir,
    // Nothing can be written under /dev/null: every call of this copy is planned by Node. (Not /proc:
    // Node's recursive mkdir, which its compile cache uses, spins forever there.)
    nodeOnly: launcher(join(dir, "node-only"), { CACHE: "/dev/null/runsc-overlay-test" }),
    fastOnly: launcher(join(dir, "fast-only"), { CACHE: join(dir, "cache"), NODE: "/nonexistent/node" }),
  };
}

const setups = new Map<string, Setup>();
const keyOf = (row: Row) => `${row.version ?? "20240729"} ${row.config ?? ""}`;

async function call(file: string, setup: Setup, argv: string[], record: string): Promise<string[] | undefined> {
  await execa(file, argv, { env: { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record }, reject: false, stdin: "ignore" });
  return readRecord(record)?.argv;
}

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
