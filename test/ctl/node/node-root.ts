/**
 * Scratch node roots for the node installer's tests: a directory laid out as a node's `/`, holding
 * a real containerd at the distribution's path with the libraries `ldd` lists and the dynamic loader
 * at the same paths, so that `chroot <root> <containerd> config dump` judges as on a node.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { CONTAINERD } from "../../helpers/paths.js";
import { workdir } from "../../helpers/runtime.js";

/** The repository: the installer's own tree, as the image lays it out (scripts/install-runtime, bin/, dist/). */
export const TREE = fileURLToPath(new URL("../../..", import.meta.url));

export const NO_CONTAINERD = CONTAINERD[2] && CONTAINERD[3] ? undefined : "no containerd 1.6 and 2.1 here: scripts/prepare unpacks Debian's into .tools/test";
export const NO_DIST = existsSync(join(TREE, "dist/ctl.mjs")) ? undefined : "no dist/ here: scripts/with-node npm run build makes what the installer lays out";

/** gVisor's runsc and shim as the installer copies them: two small executables, as nothing here runs them. */
export function standInGvisor(): string {
  const dir = workdir("gvisor");
  for (const binary of ["runsc", "containerd-shim-runsc-v1"]) writeFileSync(join(dir, binary), `#!/bin/sh\necho ${binary} stand-in\n`, { mode: 0o755 });
  return dir;
}

/** Hard-linked where the root shares the file system (these binaries are 40 MB), else copied. */
function put(from: string, root: string, nodePath: string): void {
  const to = join(root, nodePath);
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** The shared objects an executable loads (the loader included), by the paths it loads them from. */
async function libraries(binary: string): Promise<string[]> {
  const { stdout } = await execa("ldd", [binary], { reject: false });
  return [...stdout.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((match) => match[1]!);
}

/**
 * A node root (`--host-root` for the installer) holding each of `executables` (node path to the
 * binary here) with its libraries, and `files` (node path to text; a path ending in / is a directory).
 */
export async function nodeRoot(kind: string, executables: Record<string, string>, files: Record<string, string> = {}): Promise<string> {
  const root = workdir(`node-${kind}`);
  // What every node has, and the installer's directories are made in.
  for (const dir of ["opt", "usr/local/bin", "tmp"]) mkdirSync(join(root, dir), { recursive: true });
  for (const [nodePath, binary] of Object.entries(executables)) {
    put(binary, root, nodePath);
    for (const library of await libraries(binary)) {
      try {
        lstatSync(join(root, library));
      } catch {
        // copyFileSync follows the host's links: the node gets the library itself at the path it is loaded by.
        mkdirSync(join(root, dirname(library)), { recursive: true });
        copyFileSync(library, join(root, library));
      }
    }
  }
  for (const [nodePath, text] of Object.entries(files)) {
    if (nodePath.endsWith("/")) {
      mkdirSync(join(root, nodePath), { recursive: true });
      continue;
    }
    mkdirSync(join(root, dirname(nodePath)), { recursive: true });
    writeFileSync(join(root, nodePath), text);
  }
  return root;
}

/** Every entry under `root`: a directory, a link's target, or a file's mode and bytes; to show what a command changed. */
export function tree(root: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(root, { recursive: true, encoding: "utf8" })
      .sort()
      .map((name) => {
        const file = join(root, name);
        const stat = lstatSync(file);
        if (stat.isDirectory()) return [name, `dir ${(stat.mode & 0o7777).toString(8)}`];
        if (stat.isSymbolicLink()) return [name, `link ${readlinkSync(file)}`];
        // The big binaries by identity (hard links of the test's own), the rest by a digest of their bytes.
        return [name, `${(stat.mode & 0o7777).toString(8)} ${stat.size > 1 << 20 ? `${stat.ino}:${stat.size}` : createHash("sha256").update(readFileSync(file)).digest("hex")}`];
      }),
  );
}
