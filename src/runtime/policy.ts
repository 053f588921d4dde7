/**
 * The policy: what runsc-overlay owns, judges and refuses, in one place that the runtime, the fast
 * path, doctor and explain all read. A new gVisor flag or annotation that could choose the root
 * overlay is one entry here.
 */

/** Global flags runsc-overlay owns: the caller's are removed, and its own inserted before the subcommand. */
export const OVERLAY_FLAGS: ReadonlySet<string> = new Set(["overlay2", "overlay"]);

/** Global flags the plan judges (runsc refuses shared file access with an overlaid root). */
export const FILE_ACCESS_FLAG = "file-access";

/** The caller's global flags the plan looks at: a call with none of them gets the plan its config gets. */
export const JUDGED_FLAGS: readonly string[] = [...OVERLAY_FLAGS, FILE_ACCESS_FLAG];

/**
 * The two strings without which a config.json holds no annotation to judge: every such key starts
 * with the prefix, and a JSON escape is the only other way to spell one (Go matches map keys exactly).
 * Both paths screen with them: Node (bundle.ts) and the launcher's `grep -F` (bin/runsc-overlay).
 */
export const ANNOTATION_PREFIX = "dev.gvisor.";
export const ANNOTATION_SCREEN: readonly string[] = [ANNOTATION_PREFIX, "\\u"];

/** The subcommands that read a bundle, and so decide the root container's overlay. */
export const BUNDLE_SUBCOMMANDS = ["create", "run", "restore"] as const;
export type BundleSubcommand = (typeof BUNDLE_SUBCOMMANDS)[number];

export function readsBundle(subcommand: string): subcommand is BundleSubcommand {
  return (BUNDLE_SUBCOMMANDS as readonly string[]).includes(subcommand);
}

/**
 * Subcommands that set the root overlay themselves, whatever `--overlay2` says: runsc-overlay cannot
 * keep its promise for them, so it refuses them. No engine calls them.
 */
export const OWN_OVERLAY_SUBCOMMANDS: Readonly<Record<string, string>> = {
  do: "sets its own overlay (all:memory, or none with -force-overlay=false) over --overlay2 (runsc/cmd/do.go)",
  sandboxexec: "runs its sandbox on root:memory whatever --overlay2 says (runsc/cmd/sandboxexec.go)",
};

/**
 * The newest gVisor release whose source the inventory below was read from (the `go` branch at
 * d53e01b4, release-20260817.0-70). doctor says so when the runsc at hand is newer.
 */
export const INVENTORY_RELEASE = 20260817;

/** Families an operator may let bundles use under `enforce` (overlay.allow_annotations). */
export const ANNOTATION_FAMILY_NAMES = ["overlay-flags", "other-flags", "rootfs-hint", "config-bundle", "rootfs-tar", "fs-checkpoint", "checkpoint", "unknown"] as const;
export type AnnotationFamilyName = (typeof ANNOTATION_FAMILY_NAMES)[number];

/**
 * One family of bundle annotations runsc reads, as gVisor's source has it. `keys` are exact keys, or
 * prefixes where they end in "."; the longest match decides, so an exact key wins over its prefix.
 */
export interface AnnotationFamily {
  name: AnnotationFamilyName | "safe";
  keys: readonly string[];
  /** The first gVisor release whose runsc reads them (0: every runsc with --overlay2); an older one ignores them. */
  since: number;
  /** What they do to the root, in one line: the reason shown with a removal or a refusal. */
  effect: string;
  /**
   * Under `annotations = "enforce"`: removed from config.json (runsc then applies --overlay2), or the
   * call refused, where removing would start the container on another root than it asked for.
   */
  enforce: "remove" | "refuse" | "keep";
  /** Where gVisor reads them. */
  source: string;
}

/** gVisor's flags that a container may set by annotation without --allow-flag-override, but for overlay2 (runsc/config/flags.go, overrideAllowlist). */
const SAFE_FLAGS = [
  "debug", "debug-command", "debug-to-user-log", "strace", "strace-syscalls", "strace-log-size", "host-uds", "net-disconnect-ok",
  "reproduce-nftables", "oci-seccomp", "pause-external-networking", "allow-connected-on-save", "qdisc", "qdisc-tbf-rate", "qdisc-tbf-burst", "mount-cgroup-v2",
];

/**
 * The inventory: every `dev.gvisor.` annotation runsc (or gVisor's shim) reads, read from gVisor's
 * source for Debian's 0.0~20221219 and 0.0~20240729 and for release-20260817. Under `enforce` a key in
 * no family is `unknown`, and removed: gVisor adds keys with its releases, and one this list does not
 * know must not reach runsc until someone has read what it does.
 */
export const ANNOTATION_FAMILIES: readonly AnnotationFamily[] = [
  {
    name: "overlay-flags",
    keys: ["dev.gvisor.flag.overlay2", "dev.gvisor.flag.overlay", "dev.gvisor.flag.file-access"],
    since: 0,
    effect: "sets the container's root overlay (or whether its rootfs is shared) over runsc's flags: any overlay2 value without --allow-flag-override from release-20250106",
    enforce: "remove",
    source: "runsc/specutils/specutils.go FixConfig, runsc/config/flags.go overrideAllowlist",
  },
  {
    name: "safe",
    keys: SAFE_FLAGS.map((flag) => `dev.gvisor.flag.${flag}`),
    since: 0,
    effect: "flags gVisor lets any container set (debugging, strace, networking, seccomp): none of them touches the root",
    enforce: "keep",
    source: "runsc/config/flags.go overrideAllowlist",
  },
  {
    name: "other-flags",
    keys: ["dev.gvisor.flag."],
    since: 0,
    effect: "sets any other runsc flag for the container, where runsc runs with --allow-flag-override",
    enforce: "remove",
    source: "runsc/specutils/specutils.go FixConfig",
  },
  {
    name: "rootfs-hint",
    keys: ["dev.gvisor.spec.rootfs."],
    since: 20231113,
    effect: "a rootfs hint: the root's source, type, overlay medium and size come from these keys alone and --overlay2 is ignored (source and type without overlay: no overlay at all)",
    enforce: "refuse",
    source: "runsc/boot/mount_hints.go NewRootfsHint, runsc/container/container.go initGoferConfs",
  },
  {
    name: "config-bundle",
    keys: ["dev.gvisor.bundle."],
    since: 20230227,
    effect: "a config bundle, applied over runsc's own flags (experimental-high-performance sets --overlay2=root:self, dropping its size cap)",
    enforce: "remove",
    source: "runsc/specutils/specutils.go FixConfig, runsc/config/config_bundles.go",
  },
  {
    name: "rootfs-tar",
    keys: ["dev.gvisor.tar.rootfs.upper", "dev.gvisor.tar.rootfs.upper."],
    since: 20250915,
    effect: "unpacks a host tar file the bundle names as the root's upper layer (gated by --allow-rootfs-tar-annotation from release-20260223)",
    enforce: "refuse",
    source: "runsc/specutils/specutils.go AnnotationRootfsUpperTar, runsc/sandbox/sandbox.go",
  },
  {
    name: "fs-checkpoint",
    keys: ["dev.gvisor.internal.fscheckpoint."],
    since: 20260622,
    effect: "lets the workload write its filesystems, the root's upper layer included, to a host path the bundle names",
    enforce: "refuse",
    source: "runsc/boot/fscheckpoint.go",
  },
  {
    name: "checkpoint",
    keys: ["dev.gvisor.internal.checkpoint."],
    since: 20260622,
    effect: "lets the workload checkpoint the whole sandbox, the root's upper layer included, to a host path the bundle names",
    enforce: "refuse",
    source: "runsc/boot/restore.go",
  },
  {
    name: "safe",
    keys: ["dev.gvisor.spec.mount."],
    since: 0,
    effect: "mount hints: how a pod's volumes are shared; they apply to mounts by source, never to the root",
    enforce: "keep",
    source: "runsc/boot/mount_hints.go NewPodMountHints, runsc/container/container.go initGoferConfs",
  },
  {
    name: "safe",
    keys: [
      "dev.gvisor.spec.cgroup-parent",
      "dev.gvisor.internal.seccomp.",
      "dev.gvisor.internal.nvproxy",
      "dev.gvisor.internal.tpuproxy",
      "dev.gvisor.internal.cpufeatures",
      "dev.gvisor.container-name-remap.",
      "dev.gvisor.empty-dir.",
    ],
    since: 0,
    effect: "cgroup parent, seccomp, GPU and TPU proxies, CPU features, container names on restore, the shim's emptyDir volumes: none of them touches the root",
    enforce: "keep",
    source: "runsc/specutils/specutils.go, runsc/specutils/nvidia.go, runsc/container/container.go, pkg/shim/v1/utils/volumes.go",
  },
];

const UNKNOWN: AnnotationFamily = {
  name: "unknown",
  keys: [ANNOTATION_PREFIX],
  since: 0,
  effect: `a gVisor annotation that runsc-overlay's inventory (gVisor up to release-${INVENTORY_RELEASE}) does not know, so it cannot say that it leaves the root alone`,
  enforce: "remove",
  source: "",
};

/** The family of an annotation key, or undefined for a key that is not gVisor's. */
export function annotationFamily(key: string): AnnotationFamily | undefined {
  if (!key.startsWith(ANNOTATION_PREFIX)) return undefined;
  let best = UNKNOWN;
  let length = ANNOTATION_PREFIX.length;
  for (const family of ANNOTATION_FAMILIES) {
    for (const pattern of family.keys) {
      const matches = pattern.endsWith(".") ? key.startsWith(pattern) : key === pattern;
      if (matches && pattern.length > length) [best, length] = [family, pattern.length];
    }
  }
  return best;
}

export interface AnnotationVerdict {
  action: "keep" | "remove" | "refuse";
  family: AnnotationFamily | undefined;
}

/**
 * What `enforce` does with one key for a runsc of this release (undefined: not known, so taken as the
 * newest): keys of no family, of a safe one, of one the operator allows, or that this runsc does not
 * read yet, stay as they are; the others are removed or refused as their family says.
 */
export function judgeAnnotation(key: string, release: number | undefined, allowed: readonly string[]): AnnotationVerdict {
  const family = annotationFamily(key);
  if (!family || family.enforce === "keep" || allowed.includes(family.name) || (release !== undefined && release < family.since)) return { action: "keep", family };
  return { action: family.enforce, family };
}

/** The gVisor release a runsc version names: 20240729 for `0.0~20240729.0` and for `release-20240729.0-70-g…`. */
export function releaseOf(version: string): number | undefined {
  const match = /(?:^0\.0~|^release-)(\d{8})\b/.exec(version);
  return match ? Number(match[1]) : undefined;
}
