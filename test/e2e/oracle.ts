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
 * an engine, its writable layer), `written` the name of a file the container wrote in `/`, and
 * `fallbackDir` where a `dir=` filestore would be (runsc without `self`), held open and unlinked.
 */
export async function rootTruth(id: string, rootfs: string, written: string, fallbackDir?: string): Promise<RootTruth> {
  const pid = await sandboxPid(id);
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const flag = (name: string) => argv.find((word) => word.startsWith(`--${name}=`))?.slice(name.length + 3);
  const beside = readdirSync(rootfs)
    .filter((name) => name.startsWith(".gvisor.filestore."))
    .map((name) => ({ file: join(rootfs, name), allocated: statSync(join(rootfs, name)).blocks * 512 }));
  const held = fallbackDir === undefined ? [] : heldOpen(pid, fallbackDir);
  return { goferRoot: flag("gofer-mount-confs")?.split(",")[0], overlay2: flag("overlay2"), writtenOnHost: existsSync(join(rootfs, written)), filestores: [...beside, ...held] };
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
  return !truth.writtenOnHost && truth.filestores.length === 1 && truth.filestores[0]!.allocated >= bytes && (truth.goferRoot ?? "lisafs:self") !== "lisafs:none";
}
