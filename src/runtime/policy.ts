/**
 * The policy: what runsc-overlay owns, judges and refuses, in one place that the runtime, the fast
 * path, doctor and explain all read. A new gVisor flag or annotation that could choose the root
 * overlay is one line here.
 */

/** Global flags runsc-overlay owns: the caller's are removed, and its own inserted before the subcommand. */
export const OVERLAY_FLAGS: ReadonlySet<string> = new Set(["overlay2", "overlay"]);

/** Global flags the plan judges (runsc refuses shared file access with an overlaid root). */
export const FILE_ACCESS_FLAG = "file-access";

/** The caller's global flags the plan looks at: a call with none of them gets the plan its config gets. */
export const JUDGED_FLAGS: readonly string[] = [...OVERLAY_FLAGS, FILE_ACCESS_FLAG];

/** Annotations through which gVisor lets a bundle choose its own root overlay: removed under `annotations = "enforce"`. */
export const OVERLAY_ANNOTATIONS: readonly string[] = ["dev.gvisor.flag.overlay2", "dev.gvisor.flag.overlay", "dev.gvisor.spec.rootfs.overlay"];

/**
 * The two strings without which a config.json holds no annotation to remove: every such key starts
 * with the prefix, and a JSON escape is the only other way to spell one (Go matches map keys exactly).
 * Both paths screen with them: Node (bundle.ts) and the launcher's `grep -F` (bin/runsc-overlay).
 */
export const ANNOTATION_SCREEN: readonly string[] = ["dev.gvisor.", "\\u"];

/** The subcommands that read a bundle, and so decide the root container's overlay. */
export const BUNDLE_SUBCOMMANDS = ["create", "run", "restore"] as const;
export type BundleSubcommand = (typeof BUNDLE_SUBCOMMANDS)[number];

export function readsBundle(subcommand: string): subcommand is BundleSubcommand {
  return (BUNDLE_SUBCOMMANDS as readonly string[]).includes(subcommand);
}
