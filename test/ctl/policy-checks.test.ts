import { describe, expect, it } from "vitest";
import { annotationsCheck, inventoryCheck, podAnnotationsCheck, restartsCheck, sizeCheck } from "../../src/ctl/policy-checks.js";
import { parseConfig } from "../../src/runtime/config.js";
import { fixtureCapabilities } from "../helpers/capabilities.js";

const F = "/etc/runsc-overlay/config.toml";
const config = (toml = "") => parseConfig(toml, F);
const current = fixtureCapabilities("20260817");

describe("inventoryCheck", () => {
  it.each([
    ["0.0~20221219.0", "ok"],
    ["0.0~20240729.0", "ok"],
    ["release-20260817.0-70-g3c5eee17dc45", "ok"],
    ["release-20261102.0", "warn"],
    ["0.0.0-dev", "warn"],
  ])("runsc %s: %s", (version, status) => {
    const verdict = inventoryCheck({ ...current, version });
    expect(verdict.status).toBe(status);
    if (status === "warn") expect(verdict.detail).toMatch(/removed from bundles as unknown .* Upgrade runsc-overlay$/);
  });
});

describe("sizeCheck", () => {
  it.each([
    ["", current, "warn", /has no size cap: .* set overlay\.overlay2 = "root:self,size=N" in \/etc\/runsc-overlay\/config\.toml$/],
    ["", fixtureCapabilities("20240729"), "warn", /has no size cap: .* runsc 0\.0~20240729\.0 has no ,size= suffix/],
    ['[overlay]\noverlay2 = "root:self,size=1g"', current, "ok", /capped at 1g: a write past it gets ENOSPC inside$/],
    ['[overlay]\noverlay2 = "root:dir=/srv/fs"', current, "warn", /has no size cap/],
  ])("%j", (toml, caps, status, detail) => {
    expect(sizeCheck(config(toml), F, caps)).toEqual({ status, detail: expect.stringMatching(detail) });
  });

  it.each(['[overlay]\noverlay2 = "none"', '[overlay]\noverlay2 = "root:memory"'])("says nothing for %j: nothing on disk", (toml) => {
    expect(sizeCheck(config(toml), F, current)).toBeUndefined();
  });
});

describe("annotationsCheck", () => {
  it("names what enforce removes or refuses", () => {
    expect(annotationsCheck(config(), F)).toEqual({ status: "ok", detail: "enforce: bundles' overlay-flags, other-flags, rootfs-hint, config-bundle, rootfs-tar, fs-checkpoint, checkpoint, unknown annotations are removed or refused" });
  });

  it("warns of each family the operator allows, saying what it lets bundles do", () => {
    const verdict = annotationsCheck(config('[overlay]\nallow_annotations = ["rootfs-tar"]'), F);
    expect(verdict.status).toBe("warn");
    expect(verdict.detail).toMatch(/; allowed by overlay\.allow_annotations in \/etc\/runsc-overlay\/config\.toml: rootfs-tar \(unpacks a host tar file/);
  });

  it("warns under allow", () => {
    expect(annotationsCheck(config('[overlay]\nannotations = "allow"'), F).status).toBe("warn");
  });
});

describe("podAnnotationsCheck", () => {
  it.each([
    [["dev.gvisor.*"], "", "ok", /hands pods dev\.gvisor\.flag\.overlay2, .*dev\.gvisor\.spec\.rootfs\.\*.*rootfs-hint: refused, config-bundle: removed.*To hand pods less, pass only what pods need, such as 'dev\.gvisor\.spec\.mount\.\*'/],
    [["*"], '[overlay]\nannotations = "allow"', "warn", /overlay\.annotations = "allow" lets it/],
    [["dev.gvisor.tar.*"], '[overlay]\nallow_annotations = ["rootfs-tar"]', "ok", /rootfs-tar: kept, as overlay\.allow_annotations asks/],
  ])("%j with %j: %s", (patterns, toml, status, detail) => {
    expect(podAnnotationsCheck(patterns, config(toml))).toEqual({ status, detail: expect.stringMatching(detail) });
  });

  it.each([[[]], [["dev.gvisor.spec.mount.*"]], [["io.kubernetes.cri.*"]], [["dev.gvisor.flag.debug"]]])("says nothing for %j: nothing that touches the root", (patterns) => {
    expect(podAnnotationsCheck(patterns, config())).toBeUndefined();
  });
});

describe("restartsCheck", () => {
  it.each(["root:self", "root:memory", "root:dir=/srv/fs"])("says once, for %s, what a restart loses", (overlay2) => {
    expect(restartsCheck(config(`[overlay]\noverlay2 = "${overlay2}"`))).toEqual({ status: "ok", detail: expect.stringMatching(/are gone when it restarts .* keep data in volumes, or use the "shared" profile/) });
  });

  it("says nothing where the root has no overlay", () => {
    expect(restartsCheck(config('[overlay]\noverlay2 = "none"'))).toBeUndefined();
  });
});
