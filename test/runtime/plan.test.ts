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
  const bundle: Bundle = { dir: "/b", file: "/b/config.json", raw: Buffer.from('{"annotations":{"dev.gvisor.flag.overlay2":"root:memory","k":"v"}}') };
  const plan = (config: string) => makePlan(planInput(argv, caps, config, bundle));

  it("strips overlay annotations from the bundle under enforce, and says so", () => {
    expect(plan("")).toMatchObject({
      bundleEdit: { bundle, bytes: Buffer.from('{"annotations":{"k":"v"}}'), removed: ["dev.gvisor.flag.overlay2"] },
      notes: [{ level: "warn", msg: 'removed dev.gvisor.flag.overlay2 from /b/config.json (overlay.annotations = "enforce")' }],
    });
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
