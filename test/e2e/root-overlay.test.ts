/**
 * The root overlay as the sandbox really has it, for every family of the inventory (policy.ts) on
 * every runsc the suite has: a bundle carrying the family's annotations runs through runsc-overlay
 * under `enforce`, and the oracle looks at the sandbox itself (where the file the container wrote
 * landed, which host file holds its writes, the sandbox's --gofer-mount-confs), or the call was
 * refused with a message naming the key and nothing started. Cases under `allow` show that the
 * oracle sees the overlay lost where runsc alone would lose it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseOf } from "../../src/runtime/policy.js";
import { LAUNCHER, REAL_RUNSC, RUNSC } from "../helpers/paths.js";
import { busyboxBundle, spawnBytes, spawnWithFiles, unmountUnder, workdir, writeConfig } from "../helpers/runtime.js";
import { overlayHeld, rootTruth } from "./oracle.js";

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Version = (typeof REAL_RUNSC)[number];
type Outcome = "held" | "lost" | "capped" | "tar-inside" | RegExp;

interface Case {
  name: string;
  annotations: Record<string, string>;
  /** Rewrites config.json's text, for spellings JSON.stringify does not make. */
  spell?: (text: string) => string;
  flags?: (version: Version) => string[];
  overlay?: string;
  expected: (version: Version) => Outcome;
}

const release = (version: Version) => releaseOf(`0.0~${version}.0`)!;
/** Where each family starts being read (policy.ts): a runsc before it ignores the keys, as it would alone. */
const from = (since: number, outcome: Outcome) => (version: Version) => (release(version) >= since ? outcome : "held");
const OBEYING = () => ["--allow-flag-override"];

const CASES: Case[] = [
  { name: "no annotation", annotations: {}, expected: () => "held" },
  { name: "dev.gvisor.flag.overlay2=root:memory, to a runsc that would obey it", annotations: { "dev.gvisor.flag.overlay2": "root:memory" }, flags: OBEYING, expected: () => "held" },
  { name: "dev.gvisor.flag.overlay2=none, under a field name Go folds (annotationſ)", annotations: { "dev.gvisor.flag.overlay2": "none" }, spell: (text) => text.replace('"annotations"', '"annotation\u017f"'), flags: OBEYING, expected: () => "held" },
  {
    name: "a rootfs hint, source and type",
    annotations: { "dev.gvisor.spec.rootfs.source": "@ROOTFS@", "dev.gvisor.spec.rootfs.type": "bind" },
    expected: from(20231113, /dev\.gvisor\.spec\.rootfs\.source, dev\.gvisor\.spec\.rootfs\.type: a rootfs hint: .*\(family "rootfs-hint"\)/),
  },
  {
    name: "a rootfs hint spelled with an escape, in an Annotations object",
    annotations: { "dev.gvisor.spec.rootfs.source": "@ROOTFS@", "dev.gvisor.spec.rootfs.type": "bind" },
    spell: (text) => text.replace('"annotations"', '"Annotations"').replace("rootfs.source", "rootfs.sourc\\u0065"),
    expected: from(20231113, /has dev\.gvisor\.spec\.rootfs\.source, /),
  },
  { name: "a rootfs hint's overlay key alone", annotations: { "dev.gvisor.spec.rootfs.overlay": "memory" }, expected: from(20231113, /dev\.gvisor\.spec\.rootfs\.overlay: a rootfs hint/) },
  { name: "the rootfs hint, under annotations = \"allow\" (runsc alone)", annotations: { "dev.gvisor.spec.rootfs.source": "@ROOTFS@", "dev.gvisor.spec.rootfs.type": "bind" }, overlay: 'annotations = "allow"', expected: from(20231113, "lost") },
  { name: "a config bundle", annotations: { "dev.gvisor.bundle.experimental-high-performance": "true" }, expected: () => "held" },
  {
    name: "a config bundle, with a size cap it would drop",
    annotations: { "dev.gvisor.bundle.experimental-high-performance": "true" },
    overlay: 'overlay2 = "root:self,size=16m"',
    expected: (version) => (release(version) >= 20250611 ? "capped" : /has no `,size=` suffix \(added in release-20250611\.0\)/),
  },
  { name: "a size cap", annotations: {}, overlay: 'overlay2 = "root:self,size=16m"', expected: (version) => (release(version) >= 20250611 ? "capped" : /has no `,size=` suffix/) },
  {
    name: "a tar as the root's upper layer",
    annotations: { "dev.gvisor.tar.rootfs.upper": "@TAR@" },
    flags: (version) => (release(version) >= 20260223 ? ["--allow-rootfs-tar-annotation"] : []),
    expected: from(20250915, /dev\.gvisor\.tar\.rootfs\.upper: unpacks a host tar file .*\(family "rootfs-tar"\)/),
  },
  {
    name: "a tar as the root's upper layer, its family allowed by the operator",
    annotations: { "dev.gvisor.tar.rootfs.upper": "@TAR@" },
    flags: (version) => (release(version) >= 20260223 ? ["--allow-rootfs-tar-annotation"] : []),
    overlay: 'allow_annotations = ["rootfs-tar"]',
    expected: from(20250915, "tar-inside"),
  },
  { name: "filesystem checkpoints", annotations: { "dev.gvisor.internal.fscheckpoint.enable": "true", "dev.gvisor.internal.fscheckpoint.path": "@DIR@/fsck" }, expected: from(20260622, /dev\.gvisor\.internal\.fscheckpoint\.enable, dev\.gvisor\.internal\.fscheckpoint\.path: lets the workload write/) },
  { name: "flags outside gVisor's allowlist, and a key no inventory knows", annotations: { "dev.gvisor.flag.file-access": "exclusive", "dev.gvisor.flag.directfs": "false", "dev.gvisor.spec.rootfs2.source": "/" }, flags: OBEYING, expected: () => "held" },
];

describe.each(REAL_RUNSC)("the root overlay on real runsc %s", (version) => {
  const dir = workdir(`root-overlay-${version}`);
  const started: { root: string; id: string }[] = [];

  afterAll(async () => {
    for (const { root, id } of started) await spawnWithFiles(RUNSC[version], ["--root", root, "delete", "--force", id], join(dir, "cleanup"));
    unmountUnder(dir);
  });

  it.each(CASES)("$name", async ({ name, annotations, spell, flags, overlay, expected }) => {
    const here = join(dir, name.replace(/[^\w]+/g, "-"));
    const [root, out, fallback, tar] = ["state", "out", "filestore", "upper.tar"].map((part) => join(here, part)) as [string, string, string, string];
    mkdirSync(out, { recursive: true });
    plantTar(here, tar);
    const config = writeConfig(here, RUNSC[version], { flags: ["--network=none", ...(flags?.(version) ?? [])], extra: `[overlay]\nfallback_dir = ${JSON.stringify(fallback)}\n${overlay ?? ""}` });
    const outcome = expected(version);
    const size = outcome === "capped" ? 32 : 8;
    const script = `echo hi > /written; dd if=/dev/zero of=/big bs=1M count=${size} 2>/out/dd.err; echo $? > /out/dd.status; head -n 1 /proc/mounts > /out/root; ls /from-tar > /out/tar 2>&1; echo > /out/ready; sleep 600`;
    const bundle = busyboxBundle(here, ["sh", "-c", script], { annotations });
    const file = join(bundle, "config.json");
    const spec = JSON.parse(readFileSync(file, "utf8"));
    spec.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind", "rw"] });
    const text = JSON.stringify(spec, null, 2).replaceAll("@ROOTFS@", join(bundle, "rootfs")).replaceAll("@TAR@", tar).replaceAll("@DIR@", here);
    writeFileSync(file, spell ? spell(text) : text);

    const id = `overlay-${version}-${started.length}`;
    started.push({ root, id });
    const call = (args: string[], base: string) => spawnWithFiles(LAUNCHER, ["--root", root, "--log", join(here, `${base}.log.json`), "--log-format", "json", ...args], join(here, base), { env: { RUNSC_OVERLAY_CONFIG: config } });
    const created = await call(["create", "--bundle", bundle, id], "create");
    const stderr = readFileSync(join(here, "create.stderr"), "utf8");

    if (outcome instanceof RegExp) {
      expect(created.exitCode, stderr).toBe(1);
      expect(stderr).toMatch(outcome);
      expect(JSON.parse(readFileSync(join(here, "create.log.json"), "utf8")).msg).toMatch(outcome);
      expect(existsSync(root), "runsc never ran").toBe(false);
      return;
    }
    expect(created.exitCode, stderr).toBe(0);
    expect((await call(["start", id], "start")).exitCode).toBe(0);
    for (let i = 0; i < 100 && !existsSync(join(out, "ready")); i++) await sleep(100);
    expect(existsSync(join(out, "ready")), "the container reported").toBe(true);
    const truth = await rootTruth(id, join(bundle, "rootfs"), "written", fallback);
    const inside = (name: string) => readFileSync(join(out, name), "utf8").trim();

    if (outcome === "lost") {
      expect(truth.writtenOnHost).toBe(true);
      expect(truth.goferRoot).toBe("lisafs:none");
      return;
    }
    expect(inside("root")).toBe(outcome === "capped" ? "none / overlay rw,size=16384k 0 0" : "none / overlay rw 0 0");
    expect(truth.writtenOnHost).toBe(false);
    if (outcome === "tar-inside") {
      expect(inside("tar")).toBe("planted");
      return;
    }
    expect(inside("tar")).not.toBe("planted");
    if (outcome === "capped") {
      expect(inside("dd.status")).not.toBe("0");
      expect(inside("dd.err")).toMatch(/No space left on device/);
      expect(truth.filestores).toHaveLength(1);
      expect(truth.filestores[0]!.allocated).toBeLessThan(20 * MiB);
      return;
    }
    expect(inside("dd.status")).toBe("0");
    expect(overlayHeld(truth, 8 * MiB), JSON.stringify(truth)).toBe(true);
    if (version !== "20221219") expect(truth.overlay2).toBe("root:self");
  });
});

/**
 * The config.json runsc reads (src/runtime/spec-file.ts), on the sandbox: the real bundle asks for a
 * memory overlay (to a runsc given --allow-flag-override, which would obey), while the file a planner
 * that resolved the path otherwise would find is a clean decoy.
 */
describe.each(REAL_RUNSC)("the config.json runsc reads, on real runsc %s", (version) => {
  const dir = workdir(`config-json-${version}`);
  const started: { root: string; id: string }[] = [];
  const fallback = join(dir, "filestore");
  const config = writeConfig(dir, RUNSC[version], { flags: ["--network=none", "--allow-flag-override"], extra: `[overlay]\nfallback_dir = ${JSON.stringify(fallback)}\n` });

  // The fast path's data, so that both planners are on the way: a call it waves through goes to runsc directly.
  beforeAll(async () => {
    await sleep(2100);
    await spawnWithFiles(LAUNCHER, ["--root", join(dir, "seed"), "state", "seed"], join(dir, "seed"), { env: { RUNSC_OVERLAY_CONFIG: config } });
  });

  afterAll(async () => {
    for (const { root, id } of started) await spawnWithFiles(RUNSC[version], ["--root", root, "delete", "--force", id], join(dir, "cleanup"));
    unmountUnder(dir);
  });

  it.each([
    // Absolute: with a relative --bundle, runsc's own gofer cannot find the rootfs (runsc alone fails too).
    { name: "--bundle @/b/../lnk/../b, where the kernel's reading is a clean decoy", real: "b", decoy: "other/b", bundle: "@/b/../lnk/../b", cwd: [] as string[], pwd: "@" },
    { name: "no --bundle, in the decoy's directory, with $PWD=@/lnk/../b", real: "b", decoy: "other/b", bundle: undefined, cwd: ["other", "b"], pwd: "@/lnk/../b" },
    { name: "--bundle @/b\xff, beside a decoy b\ufffd", real: "b\xff", decoy: "b\xef\xbf\xbd", bundle: "@/b\xff", cwd: [], pwd: "@" },
  ])("$name", async ({ real, decoy, bundle, cwd, pwd }) => {
    const D = join(dir, `case${started.length}`);
    const [root, out] = ["state", "out"].map((part) => join(D, part)) as [string, string];
    mkdirSync(join(D, "other/sub"), { recursive: true });
    mkdirSync(out);
    symlinkSync(join(D, "other/sub"), join(D, "lnk"));
    const place = (name: string, annotations: Record<string, string>) => {
      const made = busyboxBundle(join(D, `made-${annotations["dev.gvisor.flag.overlay2"] ? "real" : "decoy"}`), ["sh", "-c", "echo hi > /written; dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null; echo > /out/ready; sleep 600"], { annotations });
      const spec = JSON.parse(readFileSync(join(made, "config.json"), "utf8"));
      spec.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind", "rw"] });
      writeFileSync(join(made, "config.json"), JSON.stringify(spec));
      renameSync(made, Buffer.from(join(D, name), "latin1"));
    };
    place(real, { "dev.gvisor.flag.overlay2": "root:memory" });
    place(decoy, {});
    const id = `config-json-${version}-${started.length}`;
    started.push({ root, id });
    const at = (word: string) => word.replaceAll("@", D);
    const argv = ["--root", root, "create", ...(bundle === undefined ? [] : ["--bundle", at(bundle)]), id];
    const created = spawnBytes(LAUNCHER, argv, { cwd: [...D.split("/"), ...cwd], pwd: at(pwd), env: { RUNSC_OVERLAY_CONFIG: config } });
    expect(created.status, created.stderr).toBe(0);
    expect((await spawnWithFiles(LAUNCHER, ["--root", root, "start", id], join(D, "start"), { env: { RUNSC_OVERLAY_CONFIG: config } })).exitCode).toBe(0);
    for (let i = 0; i < 100 && !existsSync(join(out, "ready")); i++) await sleep(100);
    const truth = await rootTruth(id, join(D, real, "rootfs"), "written", fallback);
    expect(readFileSync(join(out, "ready"), "utf8")).toBe("\n");
    expect(overlayHeld(truth, 8 * MiB), JSON.stringify(truth)).toBe(true);
    expect(truth.overlay2 ?? "", "the sandbox's own --overlay2").not.toContain("memory");
    expect(readFileSync(Buffer.from(join(D, real, "config.json"), "latin1"), "utf8")).not.toContain("dev.gvisor.flag.overlay2");
    expect(readFileSync(Buffer.from(join(D, decoy, "config.json"), "latin1"), "utf8")).not.toContain("dev.gvisor.flag.overlay2");
  });
});

/** A tar holding /from-tar/planted, for the tar-upper cases. */
function plantTar(dir: string, tar: string): void {
  mkdirSync(join(dir, "tar-src/from-tar"), { recursive: true });
  writeFileSync(join(dir, "tar-src/from-tar/planted"), "x");
  // gVisor unpacks it as `runsc tar rootfs-upper` writes one: every entry under a header for `./`.
  execFileSync("tar", ["-C", join(dir, "tar-src"), "-cf", tar, "."]);
}
