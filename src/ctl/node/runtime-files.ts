/**
 * The runtime's files on a node: the launcher with its own Node, laid out by the same
 * scripts/install-runtime as `./install` (with DESTDIR, as the node's root is mounted here), gVisor's
 * runsc and shim beside it, and the runtime's config. All under one directory that the installer
 * owns, so that removal takes exactly what it put there.
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { parse, stringify } from "smol-toml";
import { Refusal, describe } from "../../runtime/errors.js";
import { parseConfig } from "../../runtime/config.js";
import { replaceFile } from "../../shared/replace-file.js";
import { SHIM_BINARY } from "../containerd-config.js";
import { direct } from "./host-root.js";

/** Marks a directory as the installer's: only such a directory is ever removed, or installed over. */
const MARKER = ".installed-by-runsc-overlay-ctl-node";

/** The node paths of what the installer puts in `dir`. */
export function nodeLayout(dir: string, name: string) {
  return {
    launcher: join(dir, "bin/runsc-overlay"),
    runsc: join(dir, "bin/runsc"),
    shim: join(dir, `bin/${SHIM_BINARY}`),
    config: join(dir, "etc/config.toml"),
    cache: join(dir, "cache"),
    shimOptions: join(dir, `etc/containerd-shim-${name}.toml`),
  };
}

/**
 * The runtime's config for the node: the operator's (a ConfigMap), validated as the runtime will
 * read it, with runsc.path naming the installed runsc and cache.dir the installer's directory where
 * it names none, so that removing the directory takes the runtime's state with it.
 */
export function nodeConfig(text: string, file: string, layout: { runsc: string; cache: string }): string {
  const config = parseConfig(text, file);
  const raw = parse(text) as { runsc?: Record<string, unknown>; cache?: Record<string, unknown> };
  if (config.runsc.path === "") raw.runsc = { ...raw.runsc, path: layout.runsc };
  if (raw.cache?.dir === undefined) raw.cache = { ...raw.cache, dir: layout.cache };
  return `# Written by runsc-overlay-ctl node install from ${file}: change that file (the ConfigMap), not this one.\n${stringify(raw)}\n`;
}

export interface RuntimeSource {
  /** The installer's own tree: scripts/install-runtime, bin/ and dist/ as install-runtime reads them. */
  tree: string;
  /** gVisor's runsc and containerd-shim-runsc-v1. */
  gvisor: string;
}

/** Puts the runtime, gVisor's binaries and `configText` in `dir` on the node under `root`. */
export async function installRuntimeFiles(root: string, dir: string, name: string, source: RuntimeSource, configText: string): Promise<void> {
  const here = direct(root, dir, "--dir");
  if (existsSync(here) && readdirSync(here).length > 0 && !existsSync(join(here, MARKER))) {
    throw new Refusal(`--dir ${dir} on the node holds files that runsc-overlay-ctl node install did not put there: give an empty or new directory`);
  }
  for (const binary of ["runsc", SHIM_BINARY]) {
    if (!existsSync(join(source.gvisor, binary))) throw new Refusal(`gVisor's ${binary} is not in ${source.gvisor}: this image was built without it`);
  }
  const layout = nodeLayout(dir, name);
  const at = (path: string) => join(root, path);
  mkdirSync(join(here, "etc"), { recursive: true, mode: 0o755 });
  replaceFile(join(here, MARKER), Buffer.from("runsc-overlay-ctl node uninstall removes this directory.\n"));
  const install = await execa("sh", [join(source.tree, "scripts/install-runtime"), dir, layout.cache, layout.config], {
    env: { DESTDIR: root === "/" ? "" : root },
    extendEnv: true,
    reject: false,
    all: true,
  });
  if (install.exitCode !== 0) throw new Refusal(`laying out the runtime in ${dir} on the node failed: ${(install.all ?? install.message).trim()}`);
  for (const [binary, path] of [["runsc", layout.runsc], [SHIM_BINARY, layout.shim]] as const) {
    // Beside the file and renamed over it: a shim or runsc starting meanwhile runs the old or the new one.
    const temp = `${at(path)}.new`;
    try {
      copyFileSync(join(source.gvisor, binary), temp);
      chmodSync(temp, 0o755);
      renameSync(temp, at(path));
    } catch (error) {
      rmSync(temp, { force: true });
      throw new Refusal(`cannot install ${path} on the node: ${describe(error)}`);
    }
  }
  replaceFile(at(layout.config), Buffer.from(configText));
}

/**
 * A link to the shim in `linkDir` (a directory on containerd's PATH), unless a shim is there already:
 * gVisor's own, installed by the administrator, which containerd will then run. Returns a sentence.
 */
export function linkShim(root: string, linkDir: string, shim: string): string {
  const link = join(linkDir, SHIM_BINARY);
  const here = join(direct(root, linkDir, "--shim-link-dir"), SHIM_BINARY);
  if (ourLink(here, shim)) return `${link} links to ${shim} already`;
  if (existsSync(here) || isLink(here)) return `warning: ${link} is there already and not ours: containerd 1.x will run that shim for the handler`;
  mkdirSync(dirname(here), { recursive: true });
  symlinkSync(shim, here);
  return `linked ${link} to ${shim}, where containerd 1.x looks for the shim`;
}

/** Removes the link linkShim made, and nothing else; says whether it did. */
export function unlinkShim(root: string, linkDir: string, shim: string): boolean {
  const here = join(direct(root, linkDir, "--shim-link-dir"), SHIM_BINARY);
  if (!ourLink(here, shim)) return false;
  rmSync(here);
  return true;
}

function ourLink(path: string, shim: string): boolean {
  return isLink(path) && readlinkSync(path) === shim;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Whether the installer has put its files in `dir` already. */
export function installedIn(root: string, dir: string): boolean {
  return existsSync(join(direct(root, dir, "--dir"), MARKER));
}

/** Removes `dir` if the installer made it; says whether it did. */
export function removeRuntimeFiles(root: string, dir: string): boolean {
  const here = direct(root, dir, "--dir");
  if (!installedIn(root, dir)) return false;
  rmSync(here, { recursive: true, force: true });
  return true;
}
