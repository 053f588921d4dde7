/**
 * The oracle: what a running sandbox really does with its root, seen from the host, not from the
 * command line it was given. Where a file the container wrote lands, which host file backs the
 * root's upper layer and how much it holds, and the sandbox's own `--gofer-mount-confs` (runsc's
 * decision for each mount, the root first: `lisafs:self`, `lisafs:memory`, `lisafs:none`).
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { sandboxPid } from "./sandbox.js";

export interface RootTruth {
  /** The root's entry of the sandbox's --gofer-mount-confs, where this runsc passes them (0.0~20240729 and later). */
  goferRoot: string | undefined;
  /** The sandbox's own --overlay2. */
  overlay2: string | undefined;
  /** The file the container wrote inside is in the host's rootfs directory: no overlay. */
  writtenOnHost: boolean;
  /** Host files backing the root's upper layer, with the bytes each has allocated. */
  filestores: { file: string; allocated: number }[];
}

/**
 * What sandbox `id` does with its root. `rootfs` is the container's rootfs directory on the host (for
 * an engine, its writable layer), as bytes (latin1), `written` the name of a file the container wrote in `/`, and
 * `fallbackDir` where a `dir=` filestore would be (runsc without `self`), held open and unlinked.
 * The sandbox's flags describe its first container: for a pod's app container, `sandbox` is the pod's
 * sandbox ID, and --gofer-mount-confs (the pause container's) is not read.
 */
export async function rootTruth(id: string, rootfs: string, written: string, fallbackDir?: string, sandbox = id): Promise<RootTruth> {
  const pid = await sandboxPid(sandbox);
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const flag = (name: string) => argv.find((word) => word.startsWith(`--${name}=`))?.slice(name.length + 3);
  // The rootfs as bytes (latin1), for a path that is not UTF-8.
  const at = (name: string) => Buffer.from(join(rootfs, name), "latin1");
  const beside = readdirSync(Buffer.from(rootfs, "latin1"), { encoding: "latin1" })
    .filter((name) => name.startsWith(".gvisor.filestore."))
    .map((name) => ({ file: join(rootfs, name), allocated: statSync(at(name)).blocks * 512 }));
  const held = fallbackDir === undefined ? [] : heldOpen(pid, fallbackDir);
  return { goferRoot: sandbox === id ? flag("gofer-mount-confs")?.split(",")[0] : undefined, overlay2: flag("overlay2"), writtenOnHost: existsSync(at(written)), filestores: [...beside, ...held] };
}

/** Unlinked files under `dir` that the sandbox holds open, with what each has allocated. */
function heldOpen(pid: number, dir: string): { file: string; allocated: number }[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    return target.startsWith(`${dir}/`) ? [{ file: target, allocated: statSync(`/proc/${pid}/fd/${fd}`).blocks * 512 }] : [];
  });
}

/** The overlay held: nothing written reached the rootfs, and one host file holds at least `bytes` of the writes. */
export function overlayHeld(truth: RootTruth, bytes: number): boolean {
  return !truth.writtenOnHost && truth.filestores.length === 1 && truth.filestores[0]!.allocated >= bytes && (truth.goferRoot === undefined || truth.goferRoot === "lisafs:self");
}

/** What a container runs for the oracle: a file written in `/`, 8 MiB of writes, then a mark that it is done. */
export const ORACLE_SCRIPT = "echo hi > /written; dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null; echo > /done; sleep 600";
export const ORACLE_BYTES = 8 * 1024 * 1024;

/**
 * Annotations as an engine passes them into a bundle (`docker run --annotation`, Podman's
 * `--annotation`, a pod's annotations through the handler's pod_annotations), and what `enforce`
 * makes of them on a runsc of this release: the refusal (runsc-overlay's, or runsc's own where it
 * keeps a key runsc refuses), or nothing (the overlay must hold). The
 * runsc is given --allow-flag-override, so that it would obey the flag annotation where it reached it.
 */
export function engineCases(release: number): { name: string; annotations: Record<string, string>; refusal: RegExp | undefined }[] {
  return [
    {
      name: "a rootfs hint",
      annotations: { "dev.gvisor.spec.rootfs.source": "/", "dev.gvisor.spec.rootfs.type": "bind" },
      refusal: release >= 20231113 ? /has dev\.gvisor\.spec\.rootfs\.source, dev\.gvisor\.spec\.rootfs\.type: a rootfs hint: .*\(family "rootfs-hint"\)/ : undefined,
    },
    { name: "a config bundle and dev.gvisor.flag.overlay2=none", annotations: { "dev.gvisor.bundle.experimental-high-performance": "true", "dev.gvisor.flag.overlay2": "none" }, refusal: undefined },
    {
      name: "a tar as the upper layer",
      annotations: { "dev.gvisor.tar.rootfs.upper": "/var/tmp/upper.tar" },
      refusal: release >= 20250915 ? /has dev\.gvisor\.tar\.rootfs\.upper: unpacks a host tar file/ : undefined,
    },
    {
      name: "filesystem checkpoints",
      annotations: { "dev.gvisor.internal.fscheckpoint.enable": "true" },
      refusal: release >= 20260622 ? /has dev\.gvisor\.internal\.fscheckpoint\.enable: lets the workload write its filesystems/ : undefined,
    },
    { name: "a flag outside gVisor's allowlist and a key no inventory knows", annotations: { "dev.gvisor.flag.file-access": "exclusive", "dev.gvisor.spec.rootfs2.source": "/" }, refusal: undefined },
    // Kept (gVisor lets any container set it), and refused by runsc itself: how runsc's own refusal reaches the user.
    { name: "a debug flag runsc itself refuses", annotations: { "dev.gvisor.flag.debug": "notabool" }, refusal: /error setting flag debug=\\?"notabool\\?": parse error/ },
  ];
}
