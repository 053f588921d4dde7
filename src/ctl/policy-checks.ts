/**
 * doctor's word on what the policy leaves open: how far the annotation inventory reaches (policy.ts),
 * what `enforce` and the families an operator allows let through, what a containerd handler's
 * pod_annotations hand to pods, the upper layer's size cap, and what a restart keeps. Pure.
 */
import type { Config } from "../schema/config.schema.js";
import type { Capabilities } from "../runtime/capabilities.js";
import { parseOverlay2 } from "../runtime/overlay.js";
import { ANNOTATION_FAMILIES, ANNOTATION_FAMILY_NAMES, INVENTORY_RELEASE, judgeAnnotation, releaseOf } from "../runtime/policy.js";
import type { Status } from "./doctor.js";

export interface Verdict {
  status: Status;
  detail: string;
}

/** Whether the inventory covers this runsc: one newer than it may read keys runsc-overlay does not know. */
export function inventoryCheck(caps: Capabilities): Verdict {
  const release = releaseOf(caps.version);
  const newest = `gVisor release-${INVENTORY_RELEASE}`;
  if (release !== undefined && release <= INVENTORY_RELEASE) return { status: "ok", detail: `runsc ${caps.version}: every annotation it reads is in runsc-overlay's inventory (up to ${newest})` };
  const which = release === undefined ? `names no release runsc-overlay can date` : `is newer than ${newest}, the newest whose annotations runsc-overlay's inventory covers`;
  return {
    status: "warn",
    detail:
      `runsc ${caps.version} ${which}: keys it added are removed from bundles as unknown under overlay.annotations = "enforce" (what they turn on stays off), ` +
      `and any new way to choose the root is not known to be covered. Upgrade runsc-overlay`,
  };
}

/** What bundles may still do to the root under this config. */
export function annotationsCheck(config: Config, configFile: string): Verdict {
  if (config.overlay.annotations === "allow") {
    return { status: "warn", detail: `overlay.annotations = "allow" in ${configFile}: any bundle may choose its own root (rootfs hints, flag and bundle annotations, a tar upper layer): set "enforce"` };
  }
  const allowed = config.overlay.allow_annotations;
  const families = ANNOTATION_FAMILY_NAMES.filter((name) => !allowed.includes(name));
  const given = allowed.map((name) => `${name} (${ANNOTATION_FAMILIES.find((family) => family.name === name)?.effect ?? "keys no inventory knows"})`);
  return {
    status: allowed.length > 0 ? "warn" : "ok",
    detail: `enforce: bundles' ${families.join(", ")} annotations are removed or refused` + (given.length > 0 ? `; allowed by overlay.allow_annotations in ${configFile}: ${given.join("; ")}` : ""),
  };
}

/** What a restart keeps, where the root has an overlay: said once, as information. */
export function restartsCheck(config: Config): Verdict | undefined {
  const overlay = parseOverlay2(config.overlay.overlay2);
  if (typeof overlay === "string" || overlay.kind === "none") return undefined;
  return {
    status: "ok",
    detail:
      "files a container writes live in its root overlay and are gone when it restarts (docker restart, docker stop and start, podman restart) and missing from docker commit; " +
      'keep data in volumes, or use the "shared" profile (README, "What a restart keeps")',
  };
}

/** `self` without `,size=`: the upper layer grows until the host's disk under the rootfs is full. */
export function sizeCheck(config: Config, configFile: string, caps: Capabilities): Verdict | undefined {
  const overlay = parseOverlay2(config.overlay.overlay2);
  if (typeof overlay === "string" || overlay.kind === "none" || overlay.medium.kind === "memory") return undefined;
  if (overlay.size !== undefined) return { status: "ok", detail: `each container's root upper layer is capped at ${overlay.size}: a write past it gets ENOSPC inside` };
  const how = caps.overlay2?.size
    ? `set overlay.overlay2 = "${config.overlay.overlay2},size=N" in ${configFile}`
    : `runsc ${caps.version} has no ,size= suffix (gVisor release-20250611.0 and later have it)`;
  return { status: "warn", detail: `overlay.overlay2 = "${config.overlay.overlay2}" has no size cap: a container can fill the disk under its rootfs (df / inside shows 8.0E free); ${how}` };
}

/**
 * What a containerd handler's pod_annotations (glob patterns, as containerd matches them) hand to pods
 * that touch the root, and what this config does with it.
 */
export function podAnnotationsCheck(patterns: readonly string[], config: Config): Verdict | undefined {
  const passed = ANNOTATION_FAMILIES.filter((family) => family.enforce !== "keep" && family.keys.some((key) => patterns.some((pattern) => glob(pattern).test(example(key)))));
  if (passed.length === 0) return undefined;
  const keys = passed.map((family) => family.keys.map((key) => (key.endsWith(".") ? `${key}*` : key)).join(", "));
  const narrow = "pass only what pods need, such as 'dev.gvisor.spec.mount.*' for volumes shared in a pod";
  const what = `pod_annotations ${patterns.join(" ")} hands pods ${keys.join(", ")}: with runsc alone a pod could choose its own root (a rootfs hint makes any host path its root, with no overlay)`;
  if (config.overlay.annotations === "allow") return { status: "warn", detail: `${what}, and overlay.annotations = "allow" lets it; ${narrow}` };
  const done = { remove: "removed", refuse: "refused", keep: "kept, as overlay.allow_annotations asks" } as const;
  const actions = passed.map((family) => `${family.name}: ${done[judgeAnnotation(example(family.keys[0]!), undefined, config.overlay.allow_annotations).action]}`);
  return { status: "ok", detail: `${what}. Under enforce runsc-overlay deals with each family: ${actions.join(", ")}. To hand pods less, ${narrow}` };
}

/** A key of a family's pattern: the key itself, or one under the prefix. */
function example(key: string): string {
  return key.endsWith(".") ? `${key}x` : key;
}

/** A containerd pod_annotations pattern (Go's path.Match): `*` is any run of characters but `/`, `?` one. */
function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("*", "[^/]*").replaceAll("?", "[^/]")}$`);
}
