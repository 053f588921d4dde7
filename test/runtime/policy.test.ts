import { describe, expect, it } from "vitest";
import { ANNOTATION_FAMILIES, ANNOTATION_FAMILY_NAMES, ANNOTATION_PREFIX, annotationFamily, judgeAnnotation, releaseOf } from "../../src/runtime/policy.js";
import { readmeTable } from "../helpers/readme.js";

describe("judgeAnnotation", () => {
  it.each([
    // key, runsc release, allowed families, action, family
    ["dev.gvisor.flag.overlay2", 20240729, [], "remove", "overlay-flags"],
    ["dev.gvisor.flag.overlay", 20221219, [], "remove", "overlay-flags"],
    ["dev.gvisor.flag.file-access", 20260817, [], "remove", "overlay-flags"],
    ["dev.gvisor.flag.debug", 20260817, [], "keep", "safe"],
    ["dev.gvisor.flag.oci-seccomp", 20260817, [], "keep", "safe"],
    ["dev.gvisor.flag.directfs", 20260817, [], "remove", "other-flags"],
    ["dev.gvisor.flag.directfs", 20260817, ["other-flags"], "keep", "other-flags"],
    ["dev.gvisor.spec.rootfs.source", 20260817, [], "refuse", "rootfs-hint"],
    ["dev.gvisor.spec.rootfs.overlay", 20240729, [], "refuse", "rootfs-hint"],
    ["dev.gvisor.spec.rootfs.options", undefined, [], "refuse", "rootfs-hint"],
    // Debian 12's runsc has no rootfs hints: it ignores the keys, as it would alone.
    ["dev.gvisor.spec.rootfs.source", 20221219, [], "keep", "rootfs-hint"],
    ["dev.gvisor.spec.rootfs.type", 20260817, ["rootfs-hint"], "keep", "rootfs-hint"],
    ["dev.gvisor.bundle.experimental-high-performance", 20260817, [], "remove", "config-bundle"],
    ["dev.gvisor.bundle.experimental-high-performance", 20221219, [], "keep", "config-bundle"],
    ["dev.gvisor.tar.rootfs.upper", 20260817, [], "refuse", "rootfs-tar"],
    ["dev.gvisor.tar.rootfs.upper.app", 20260817, [], "refuse", "rootfs-tar"],
    ["dev.gvisor.tar.rootfs.upper", 20240729, [], "keep", "rootfs-tar"],
    ["dev.gvisor.tar.rootfs.upper", 20260817, ["rootfs-tar"], "keep", "rootfs-tar"],
    ["dev.gvisor.internal.fscheckpoint.path", 20260817, [], "refuse", "fs-checkpoint"],
    ["dev.gvisor.internal.checkpoint.path", 20260817, [], "refuse", "checkpoint"],
    ["dev.gvisor.spec.mount.data.share", 20260817, [], "keep", "safe"],
    ["dev.gvisor.spec.cgroup-parent", 20260817, [], "keep", "safe"],
    ["dev.gvisor.internal.seccomp.app", 20260817, [], "keep", "safe"],
    ["dev.gvisor.empty-dir.cache", 20260817, [], "keep", "safe"],
    // Keys the inventory does not know fail closed, on every runsc.
    ["dev.gvisor.spec.rootfs2.source", 20260817, [], "remove", "unknown"],
    ["dev.gvisor.internal.something-new", 20221219, [], "remove", "unknown"],
    ["dev.gvisor.", 20260817, [], "remove", "unknown"],
    ["dev.gvisor.x", 20260817, ["unknown"], "keep", "unknown"],
    // Not gVisor's: never touched.
    ["io.kubernetes.cri.container-type", 20260817, [], "keep", undefined],
    ["Dev.gvisor.flag.overlay2", 20260817, [], "keep", undefined],
  ] as const)("%s on runsc %s with %j allowed: %s (%s)", (key, release, allowed, action, family) => {
    const verdict = judgeAnnotation(key, release, allowed);
    expect(verdict.action).toBe(action);
    expect(verdict.family?.name).toBe(family);
  });

  it("names every family an operator can allow, and every one of them can touch the root", () => {
    const named = new Set(ANNOTATION_FAMILIES.map((family) => family.name).filter((name) => name !== "safe"));
    expect([...named, "unknown"].sort()).toEqual([...ANNOTATION_FAMILY_NAMES].sort());
    for (const family of ANNOTATION_FAMILIES) expect(family.enforce === "keep").toBe(family.name === "safe");
  });

  it("matches a prefix only at a dot, and an exact key only whole", () => {
    expect(annotationFamily("dev.gvisor.flag.overlay2x")?.name).toBe("other-flags");
    expect(annotationFamily("dev.gvisor.tar.rootfs.upperx")?.name).toBe("unknown");
    expect(annotationFamily("dev.gvisor.spec.mount")?.name).toBe("unknown");
  });
});

describe("releaseOf", () => {
  it.each([
    ["0.0~20221219.0", 20221219],
    ["0.0~20240729.0", 20240729],
    ["release-20260817.0", 20260817],
    ["release-20260817.0-70-g3c5eee17dc45", 20260817],
    ["0.0.0-dev", undefined],
    ["", undefined],
  ])("%j is %s", (version, release) => {
    expect(releaseOf(version)).toBe(release);
  });
});

describe("README.md's inventory table", () => {
  /** The table README.md must hold, rendered from policy.ts's data, so that the two cannot drift. */
  const table = () => {
    const releases = [20221219, 20240729, 20260817];
    const families = [...ANNOTATION_FAMILIES, annotationFamily(ANNOTATION_PREFIX)!];
    const keys = (family: (typeof families)[number]) => family.keys.map((key) => `\`${key}${key.endsWith(".") ? "*" : ""}\``).join(", ");
    const enforce = { remove: "removed", refuse: "refused", keep: "kept" } as const;
    return [
      "| keys | family (`overlay.allow_annotations`) | read by runsc 0.0~20221219 / 0.0~20240729 / release-20260817 | what it does to the root | under `enforce` | where gVisor reads it |",
      "| --- | --- | --- | --- | --- | --- |",
      ...families.map((family) =>
        [
          keys(family),
          family.name === "safe" ? "(always kept)" : `\`${family.name}\``,
          // Kept keys are read from various releases on; that they are kept is what matters.
          family.enforce === "keep" ? "(never the root)" : releases.map((release) => (release >= family.since ? "yes" : "no")).join(" / ") + (family.since > 0 ? ` (from release-${family.since})` : ""),
          family.effect,
          enforce[family.enforce],
          family.source === "" ? "" : family.source.split(", ").map((source) => `\`${source}\``).join(", "),
        ].join(" | "),
      ).map((row) => `| ${row} |`),
    ].join("\n");
  };

  it("is policy.ts's inventory", () => {
    expect(readmeTable("inventory", "rendered from src/runtime/policy.ts by test/runtime/policy.test.ts", table())).toBe(table());
  });
});
