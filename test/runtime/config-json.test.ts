/**
 * The config.json runsc reads, byte for byte, against both planners. For every generated call
 * (symlinks at every position of a bundle path, `.` and `..` mixes, a `$PWD` that differs from the
 * physical working directory, bytes 0x80-0xff in path components), real runsc 0.0~20240729 first says
 * which config.json it reads: every candidate holds a distinct marker that is not JSON, and runsc's
 * error quotes the file it read. Then every candidate gets an overlay annotation, and through each
 * planner (a recording runsc behind it) the file runsc would read must have lost it, or the call must
 * be refused, with every other candidate untouched; and with only the others annotated, nothing is
 * edited. Non-regular files, a working directory longer than PATH_MAX, and a plans file others could
 * write are cases of their own.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { RUNSC } from "../helpers/paths.js";
import { type Setup, launcher, setUp } from "../helpers/planners.js";
import { readRecord, spawnBytes } from "../helpers/runtime.js";

const bytes = (path: string) => Buffer.from(path, "latin1");

interface Call {
  /** Directories from D down to the working directory. */
  cwd: string[];
  /** $PWD as the caller passes it (null: unset), `@` standing for D. */
  pwd: string | null;
  /** --bundle, `@` standing for D; undefined for none. */
  bundle: string | undefined;
}

/** Runs `program` with the call's working directory, $PWD and argv, every byte as given. */
function run(D: string, program: string, head: string[], { cwd, pwd, bundle }: Call, env: Record<string, string>, stdin?: string): { status: number | null; stderr: string } {
  const at = (word: string) => word.replaceAll("@", D);
  const argv = [...head, "create", ...(bundle === undefined ? [] : ["--bundle", at(bundle)]), "c1"];
  return spawnBytes(program, argv, { cwd: [...D.split("/"), ...cwd], pwd: pwd === null ? null : at(pwd), env, stdin });
}

/** The candidate directories, each with a config.json; `lnk` and `rlnk` lead to other/sub. */
const CANDIDATES = [".", "b", "other", "other/b", "other/sub", "other/sub/b", "b\xff", "b\xef\xbf\xbd", "\xe9"];

function layout(D: string): void {
  for (const dir of CANDIDATES) mkdirSync(bytes(join(D, dir)), { recursive: true });
  symlinkSync(join(D, "other/sub"), join(D, "lnk"));
  symlinkSync("other/sub", join(D, "rlnk"));
  symlinkSync(".", join(D, "self"));
}

const configOf = (D: string, dir: string) => bytes(join(D, dir, "config.json"));
const ANNOTATED = JSON.stringify({ ociVersion: "1.0.2", annotations: { "dev.gvisor.flag.overlay2": "root:memory", "io.example/id": "x" } });
const CLEAN = JSON.stringify({ ociVersion: "1.0.2", annotations: { "io.example/id": "x" } });

/** Which candidate runsc reads for this call, by the marker its error quotes; undefined for none. */
function truth(D: string, call: Call): string | undefined {
  CANDIDATES.forEach((dir, index) => writeFileSync(configOf(D, dir), `MARKER-${index}-END`));
  // Through sh, as the launcher execs runsc: dash keeps a $PWD that names the directory, else sets the physical one.
  const { stderr } = run(D, "/bin/sh", ["-c", 'exec "$0" "$@"', RUNSC["20240729"], "--root", join(D, ".state")], call, {});
  const index = /MARKER-(\d+)-END/.exec(stderr)?.[1];
  return index === undefined ? undefined : CANDIDATES[Number(index)];
}

function generated(): (Call & { name: string })[] {
  const tokens = ["lnk", "rlnk", "self", ".", "..", "other", "b"];
  const sequences: string[][] = [];
  for (const a of tokens) for (const b of tokens) sequences.push([a, b, "b"], [a, b]);
  const calls: (Call & { name: string })[] = [];
  for (const sequence of sequences) {
    const path = sequence.join("/");
    calls.push({ name: `--bundle ${path} from D`, cwd: [], pwd: "@", bundle: path });
    calls.push({ name: `--bundle @/${path}`, cwd: ["other", "sub"], pwd: null, bundle: `@/${path}` });
  }
  for (const path of ["b\xff", "./b\xff/../b\xff/", "\xe9/", "@/b\xff", "@//b\xff/.", "b\xef\xbf\xbd", "lnk/../b\xff"]) calls.push({ name: `--bundle ${JSON.stringify(path)}`, cwd: [], pwd: "@", bundle: path });
  for (const cwd of [["b"], ["other", "b"], ["other", "sub"], ["b\xff"], ["\xe9"]]) {
    for (const pwd of [null, `@/${cwd.join("/")}`, "@/lnk/../b", "@/rlnk/../b", "@/lnk/..", "@/./b/", "@//b", "@/b", "@/self/b\xff/../b\xff", "@/lnk/../\xe9", "relative", "@/nonexistent"]) {
      calls.push({ name: `no --bundle, in ${JSON.stringify(cwd.join("/"))}, PWD=${JSON.stringify(pwd)}`, cwd, pwd, bundle: undefined });
      if (pwd === "@/lnk/../b") calls.push({ name: `--bundle= (empty), in ${JSON.stringify(cwd.join("/"))}, PWD=${pwd}`, cwd, pwd, bundle: "" });
    }
  }
  return calls;
}

describe("both planners act on the config.json runsc reads", () => {
  let setup: Setup;
  let D: string;
  const env = () => ({ RUNSC_OVERLAY_CONFIG: setup.config });

  beforeAll(async () => {
    setup = setUp("20240729", "");
    D = join(setup.dir, "d");
    layout(D);
    await sleep(2100);
    const seeding = launcher(join(setup.dir, "seeding"), { CACHE: join(setup.dir, "cache") });
    execFileSync(seeding, ["state", "seed"], { env: { ...process.env, ...env(), FAKE_RUNSC_RECORD: join(setup.dir, "seed") } });
  }, 60_000);

  const reads = new Set<string | undefined>();

  it.each(generated())("$name", (call) => {
    const read = truth(D, call);
    reads.add(read);
    const outcome = (planner: string, annotate: (dir: string) => boolean) => {
      for (const dir of CANDIDATES) writeFileSync(configOf(D, dir), annotate(dir) ? ANNOTATED : CLEAN);
      const record = join(setup.dir, "record");
      rmSync(`${record}.argv`, { force: true });
      const { stderr } = run(D, planner, [], call, { ...env(), FAKE_RUNSC_RECORD: record });
      const files = Object.fromEntries(CANDIDATES.map((dir) => [dir, readFileSync(configOf(D, dir), "utf8")]));
      return { ran: readRecord(record) !== undefined, stderr, files };
    };

    // Only the file runsc reads annotated (all of them where it reads none): runsc must never start
    // with it still annotated, and nothing else may be edited. The kernel's reading of `lnk/../b`
    // reaches a clean decoy, which a planner that screened it would wave through.
    for (const planner of [setup.nodeOnly, setup.fastOnly]) {
      const { ran, stderr, files } = outcome(planner, (dir) => read === undefined || dir === read);
      for (const dir of CANDIDATES) if (dir !== read) expect(files[dir], `${dir} is not what runsc reads`).toBe(read === undefined ? ANNOTATED : CLEAN);
      if (read === undefined) expect(ran, stderr).toBe(false);
      else if (ran) expect(files[read], `runsc reads ${read}`).toBe(CLEAN);
      if (planner === setup.nodeOnly && read !== undefined) expect(ran, `Node refused: ${stderr}`).toBe(true);
      if (planner === setup.fastOnly) expect(ran, "the fast path leaves an annotated bundle to Node").toBe(false);
    }
    // Only the others annotated: nothing is edited, and Node runs the call.
    if (read !== undefined) {
      const { ran, stderr, files } = outcome(setup.nodeOnly, (dir) => dir !== read);
      expect(ran, stderr).toBe(true);
      for (const dir of CANDIDATES) expect(files[dir]).toBe(dir === read ? CLEAN : ANNOTATED);
    }
  });

  it("has calls where runsc reads each kind of candidate, and a lexical .. that the kernel would resolve elsewhere", () => {
    expect([...reads]).toEqual(expect.arrayContaining(["b", "other/b", "other/sub", "b\xff", "\xe9", "."]));
    expect(truth(D, { cwd: [], pwd: "@", bundle: "lnk/../b" })).toBe("b");
    expect(truth(D, { cwd: ["other", "b"], pwd: "@/lnk/../b", bundle: undefined })).toBe("b");
  });
});

describe("a config.json that is not a regular file", () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = setUp("20240729", "");
    await sleep(2100);
    execFileSync(launcher(join(setup.dir, "seeding"), { CACHE: join(setup.dir, "cache") }), ["state", "seed"], { env: { ...process.env, RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: join(setup.dir, "seed") } });
  });

  it.each([
    ["a link to /dev/stdin, the caller's stdin carrying an annotated spec", (file: string) => symlinkSync("/dev/stdin", file)],
    ["a link to /proc/self/fd/0", (file: string) => symlinkSync("/proc/self/fd/0", file)],
    ["a FIFO", (file: string) => execFileSync("mkfifo", [file])],
    ["a link to a character device", (file: string) => symlinkSync("/dev/zero", file)],
  ])("is refused by Node and left to Node by the fast path, when it is %s", (name, make) => {
    const D = join(setup.dir, name.replace(/\W+/g, "-"));
    mkdirSync(D);
    make(join(D, "config.json"));
    for (const planner of [setup.nodeOnly, setup.fastOnly]) {
      const record = join(D, planner === setup.nodeOnly ? "node" : "fast");
      const { status, stderr } = run(D, planner, [], { cwd: [], pwd: "@", bundle: "." }, { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record }, ANNOTATED);
      expect(readRecord(record), stderr).toBeUndefined();
      expect(status).not.toBe(0);
      if (planner === setup.nodeOnly) expect(stderr).toMatch(/^config\.json is (a FIFO|a character device|a socket), not a regular file: runsc would read it as it is/);
    }
  });
});

describe("a working directory longer than PATH_MAX", () => {
  it("does not stop Node from reading a relative bundle, nor one given by the working directory", () => {
    const setup = setUp("20240729", "");
    const parts = Array.from({ length: 18 }, (_, i) => `${String(i).padStart(2, "0")}${"d".repeat(250)}`);
    execFileSync("/bin/sh", ["-c", `cd "$0" && for part in "$@"; do mkdir "$part" && cd -P "$part" || exit 1; done && mkdir b`, setup.dir, ...parts]);
    const D = setup.dir;
    const deep: Call = { cwd: parts, pwd: null, bundle: "b" };
    const inBundle: Call = { cwd: [...parts, "b"], pwd: null, bundle: undefined };
    for (const call of [deep, inBundle]) {
      execFileSync("/bin/sh", ["-c", `cd "$0" && for part in "$@"; do cd -P "$part" || exit 1; done && printf '%s' '${ANNOTATED}' > b/config.json`, D, ...parts]);
      const record = join(setup.dir, "record");
      rmSync(`${record}.argv`, { force: true });
      const { status, stderr } = run(D, setup.nodeOnly, [], call, { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record });
      expect([status, stderr.split("\n").filter((line) => line && !/getcwd\(\) failed/.test(line))]).toEqual([0, []]);
      expect(readRecord(record)?.argv.slice(-2)).toEqual(call.bundle === undefined ? ["create", "c1"] : ["b", "c1"]);
      const edited = execFileSync("/bin/sh", ["-c", `cd "$0" && for part in "$@"; do cd -P "$part" || exit 1; done && cat b/config.json`, D, ...parts], { encoding: "utf8" });
      expect(edited).toBe(CLEAN);
    }
  });
});

describe("a plans file that others could write", () => {
  let setup: Setup;
  let normal: string;
  const data = () => join(setup.dir, "cache/plans", `${setup.config}.sh`);
  const env = (record: string) => ({ ...process.env, RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record });

  beforeAll(async () => {
    setup = setUp("20240729", "");
    normal = launcher(join(setup.dir, "normal"), { CACHE: join(setup.dir, "cache") });
    await sleep(2100);
  });

  const seed = () => execFileSync(normal, ["state", "seed"], { env: env(join(setup.dir, "seed")) });
  const fast = (name: string) => {
    const record = join(setup.dir, name);
    spawnSync(setup.fastOnly, ["state", "c1"], { env: env(record), stdio: "ignore" });
    return readRecord(record)?.argv;
  };

  it("is used while only its owner can write it and every directory from the cache down", () => {
    seed();
    expect(fast("trusted")).toEqual(["--overlay2=root:self", "state", "c1"]);
  });

  it.each([
    ["the file is group-writable", () => chmodSync(data(), 0o620)],
    ["the file is writable by others", () => chmodSync(data(), 0o606)],
    ["its directory is writable by others", () => chmodSync(join(data(), ".."), 0o777)],
    ["the cache's plans directory is group-writable", () => chmodSync(join(setup.dir, "cache/plans"), 0o770)],
    ["the cache directory itself is writable by others", () => chmodSync(join(setup.dir, "cache"), 0o757)],
    ["the cache directory belongs to another user", () => execFileSync("chown", ["nobody", join(setup.dir, "cache")])],
    ["its directory belongs to another user", () => execFileSync("chown", ["nobody", join(data(), "..")])],
  ])("is not sourced where %s", (_, loosen) => {
    rmSync(join(setup.dir, "cache/plans"), { recursive: true, force: true });
    seed();
    expect(fast("before")).toEqual(["--overlay2=root:self", "state", "c1"]);
    loosen();
    expect(fast(`loose-${_}`)).toBeUndefined();
    execFileSync("chmod", ["-R", "go-w", join(setup.dir, "cache")]);
    execFileSync("chown", ["-R", "root", join(setup.dir, "cache")]);
  });

  it("runs nothing that another user wrote into it after chmod -R a+rwX of the cache, and root's next call keeps the overlay", () => {
    rmSync(join(setup.dir, "cache/plans"), { recursive: true, force: true });
    seed();
    execFileSync("chmod", ["-R", "a+rwX", join(setup.dir, "cache")]);
    execFileSync("chmod", ["a+x", setup.dir]);
    const planted = join(setup.dir, "planted-by-nobody");
    // As the user nobody: rewrite root's plans file in place, to run a command and pick a memory overlay.
    const attack = `printf '%s\\n' "touch ${planted}" >> "$0" && sed -i "s|rso_insert='--overlay2=root:self'|rso_insert='--overlay2=root:memory'|" "$0"`;
    execFileSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/sh", "-c", attack, data()]);
    expect(readFileSync(data(), "utf8")).toContain("root:memory");
    const record = join(setup.dir, "after");
    execFileSync(normal, ["state", "c1"], { env: env(record) });
    expect(readRecord(record)?.argv).toEqual(["--overlay2=root:self", "state", "c1"]);
    expect(existsSync(planted)).toBe(false);
  });
});
