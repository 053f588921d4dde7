/** The plan of every command line of the argv contract (command-lines.ts), and its side effects as data. */
import { describe, expect, it } from "vitest";
import type { Bundle } from "../../src/runtime/bundle.js";
import { makePlan } from "../../src/runtime/plan.js";
import { fixtureCapabilities } from "../helpers/capabilities.js";
import { RUNSC_PATH as R, planInput, planned } from "../helpers/plan.js";
import { SELF, rows } from "./command-lines.js";

describe("the runsc command line planned for each call", () => {
  it.each(rows)("$name", ({ argv, version = "20240729", config = "", runsc, refusal }) => {
    const result = planned(argv, version, config);
    if (refusal) {
      expect(result).toHaveProperty("refusal");
      expect((result as { refusal: string }).refusal).toMatch(refusal);
    } else {
      expect(result).toEqual({ argv: [R, ...runsc!] });
    }
  });

  it("has at least 40 command lines", () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(["20221219", "20240729"] as const)("answers features itself for %s, which has no features subcommand", (version) => {
    const result = planned(["features"], version);
    expect(result).toHaveProperty("print");
    const doc = JSON.parse((result as { print: string }).print);
    expect(doc.linux.mountExtensions).toEqual({ idmap: { enabled: false } });
    expect(doc.ociVersionMin).toBe("1.0.0");
  });

  it("answers features even where the overlay could not be applied", () => {
    expect(planned(["features"], "20221219", '[overlay]\nfallback = "fail"')).toHaveProperty("print");
  });
});

describe("the plan's side effects, as data", () => {
  const caps = fixtureCapabilities("20240729");
  const argv = ["create", "--bundle", "/b", "c1"];
  const bundle: Bundle = { path: "/b/config.json", file: "/b/config.json", raw: Buffer.from('{"annotations":{"dev.gvisor.flag.overlay2":"root:memory","k":"v"}}') };
  const plan = (config: string) => makePlan(planInput(argv, caps, config, bundle));

  it("strips overlay annotations from the bundle under enforce, and says so with the reason", () => {
    expect(plan("")).toMatchObject({
      bundleEdit: { bundle, bytes: Buffer.from('{"annotations":{"k":"v"}}'), removed: ["dev.gvisor.flag.overlay2"] },
      notes: [{ level: "warn", msg: expect.stringMatching(/^removed dev\.gvisor\.flag\.overlay2 from \/b\/config\.json \(overlay\.annotations = "enforce"\): sets the container's root overlay/) }],
    });
  });

  const annotated = (annotations: Record<string, string | undefined>): Bundle => ({ path: "/b/config.json", file: "/b/config.json", raw: Buffer.from(JSON.stringify({ annotations })) });
  const outcome = (annotations: Record<string, string | undefined>, config = "", version: "20221219" | "20240729" = "20240729", release?: string) => {
    const runsc = release ? { ...fixtureCapabilities(version), version: release } : fixtureCapabilities(version);
    try {
      const result = makePlan(planInput(argv, runsc, config, annotated(annotations)));
      return result.kind === "exec" ? { removed: result.bundleEdit?.removed ?? [], notes: result.notes.map((note) => note.msg) } : result;
    } catch (error) {
      return { refusal: (error as Error).message };
    }
  };

  it.each([
    { name: "a rootfs hint (source and type: no overlay at all under runsc alone)", annotations: { "dev.gvisor.spec.rootfs.source": "/any/path", "dev.gvisor.spec.rootfs.type": "bind" }, refusal: /^\/b\/config\.json has dev\.gvisor\.spec\.rootfs\.source, dev\.gvisor\.spec\.rootfs\.type: a rootfs hint: .* \(family "rootfs-hint"\)\. Under overlay\.annotations = "enforce" runsc-overlay refuses it, .*add the family to overlay\.allow_annotations in \/etc\/runsc-overlay\/config\.toml$/ },
    { name: "a rootfs hint beside an overlay flag: nothing is removed first", annotations: { "dev.gvisor.flag.overlay2": "root:memory", "dev.gvisor.spec.rootfs.overlay": "memory" }, refusal: /has dev\.gvisor\.spec\.rootfs\.overlay: a rootfs hint/ },
    { name: "a tar upper layer", annotations: { "dev.gvisor.tar.rootfs.upper": "/snap.tar" }, release: "release-20260817.0", refusal: /dev\.gvisor\.tar\.rootfs\.upper: unpacks a host tar file .* \(family "rootfs-tar"\)/ },
    { name: "two refused families, each named", annotations: { "dev.gvisor.tar.rootfs.upper.app": "/t", "dev.gvisor.internal.fscheckpoint.path": "/out" }, release: "release-20260817.0", refusal: /upper\.app: unpacks .*; dev\.gvisor\.internal\.fscheckpoint\.path: lets the workload write its filesystems/ },
  ])("refuses $name, naming each key and why", ({ annotations, release, refusal }) => {
    expect(outcome(annotations, "", "20240729", release)).toEqual({ refusal: expect.stringMatching(refusal) });
  });

  it.each([
    { name: "a config bundle, with one note for its family", annotations: { "dev.gvisor.bundle.experimental-high-performance": "true", k: "v" }, removed: ["dev.gvisor.bundle.experimental-high-performance"], note: /^removed dev\.gvisor\.bundle\.experimental-high-performance from \/b\/config\.json .*: a config bundle, applied over runsc's own flags/ },
    { name: "flags outside gVisor's allowlist, and a key no inventory knows", annotations: { "dev.gvisor.flag.directfs": "false", "dev.gvisor.flag.platform": "ptrace", "dev.gvisor.next": "x" }, removed: ["dev.gvisor.flag.directfs", "dev.gvisor.flag.platform", "dev.gvisor.next"], note: /^removed dev\.gvisor\.flag\.directfs, dev\.gvisor\.flag\.platform from .*: sets any other runsc flag/ },
  ])("removes $name", ({ annotations, removed, note }) => {
    const result = outcome(annotations);
    expect(result).toMatchObject({ removed });
    expect((result as { notes: string[] }).notes[0]).toMatch(note);
  });

  it.each([
    { name: "gVisor's safe flags and mount hints", annotations: { "dev.gvisor.flag.debug": "true", "dev.gvisor.spec.mount.v.share": "pod", "dev.gvisor.spec.mount.v.type": "tmpfs", "dev.gvisor.spec.mount.v.source": "/s" } },
    { name: "a family the operator allows", annotations: { "dev.gvisor.tar.rootfs.upper": "/snap.tar" }, config: '[overlay]\nallow_annotations = ["rootfs-tar"]', release: "release-20260817.0" },
    { name: "a rootfs hint on Debian 12's runsc, which has none and ignores it", annotations: { "dev.gvisor.spec.rootfs.source": "/x", "dev.gvisor.spec.rootfs.type": "bind" }, version: "20221219" as const },
    { name: "everything under annotations = allow", annotations: { "dev.gvisor.spec.rootfs.source": "/x", "dev.gvisor.flag.overlay2": "none" }, config: '[overlay]\nannotations = "allow"' },
  ])("leaves alone $name", ({ annotations, config, version, release }) => {
    const result = outcome(annotations, config, version, release) as { removed: string[]; notes: string[] };
    expect(result.removed).toEqual([]);
    expect(result.notes.filter((note) => note.includes("annotation"))).toEqual([]);
  });

  it("refuses an operator's family name it does not know, naming the key", () => {
    expect(() => plan('[overlay]\nallow_annotations = ["rootfs"]')).toThrow(/overlay\.allow_annotations/);
  });

  it("leaves the bundle alone under allow", () => {
    expect(plan('[overlay]\nannotations = "allow"')).toMatchObject({ bundleEdit: undefined, notes: [] });
  });

  it("asks for the filestore directory to exist", () => {
    expect(plan('[overlay]\noverlay2 = "root:dir=/srv/fs"')).toMatchObject({ dirs: ["/srv/fs"] });
  });

  it("passes features through untouched to a runsc that answers it", () => {
    expect(makePlan(planInput(["features"], { ...caps, features: true }))).toMatchObject({
      kind: "exec",
      words: [{ text: R }, { arg: 0 }],
    });
  });
});

describe("a runsc with no --overlay2 flag at all (before release-20221205.0)", () => {
  const caps = { ...fixtureCapabilities("20221219"), overlay2: null, valued: fixtureCapabilities("20221219").valued.filter((name) => name !== "overlay2") };
  const plan = (config: string) => {
    try {
      return makePlan(planInput(["start", "c1"], caps, config));
    } catch (error) {
      return (error as Error).message;
    }
  };

  it.each(["dir", "fail"])("refuses under fallback = %s: no directory can help", (fallback) => {
    expect(plan(`[overlay]\nfallback = "${fallback}"`)).toMatch(/^runsc 0\.0~20221219\.0 has no --overlay2 flag \(gVisor before release-20221205\.0\), so overlay\.overlay2 = "root:self"/);
  });

  it("inserts nothing under passthrough", () => {
    expect(plan('[overlay]\nfallback = "passthrough"')).toMatchObject({ words: [{ text: R }, { arg: 0 }, { arg: 1 }] });
  });

  it("inserts nothing, and needs nothing, for overlay2 = none", () => {
    expect(plan('[overlay]\noverlay2 = "none"\nfallback = "fail"')).toMatchObject({ words: [{ text: R }, { arg: 0 }, { arg: 1 }] });
  });
});
