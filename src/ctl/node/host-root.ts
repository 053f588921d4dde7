/**
 * A node's files as the installer sees them: the node's `/` mounted at a host root (the DaemonSet's
 * hostPath volume). A node path read through the mount must follow the node's own symlinks, within
 * the node's root: an absolute link such as /etc/containerd -> /usr/etc/containerd means the node's
 * /usr/etc, not this container's.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { Refusal } from "../../runtime/errors.js";

/** Linux's own limit on links followed in one lookup. */
const MAX_LINKS = 40;

/** Where `nodePath` is under `root`, its symlinks resolved as the node resolves them. A missing tail is kept as written. */
export function onNode(root: string, nodePath: string): string {
  let done = "/";
  let rest = parts(nodePath);
  for (let links = 0; rest.length > 0; ) {
    const [part, ...after] = rest as [string, ...string[]];
    rest = after;
    if (part === "..") {
      done = posix.dirname(done);
      continue;
    }
    const next = posix.join(done, part);
    const target = linkTarget(join(root, next));
    if (target === undefined) {
      // Not a link, or not there (yet): kept as written, its `..` taken lexically, never above the root.
      done = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new Refusal(`${nodePath} on the node: too many levels of symbolic links`);
    rest = [...parts(target), ...rest];
    if (target.startsWith("/")) done = "/";
  }
  return join(root, done);
}

/** Refuses a node path that reaches through a symlink: one the installer writes, and names in files the node reads as written. */
export function direct(root: string, nodePath: string, what: string): string {
  const resolved = onNode(root, nodePath);
  if (resolved !== join(root, posix.normalize(nodePath))) {
    throw new Refusal(`${what} ${nodePath} goes through a symbolic link on the node (it is ${resolved.slice(root.length) || "/"}): give its real path`);
  }
  return resolved;
}

/** What the link at `file` points to; undefined where `file` is no link, or is not there. */
function linkTarget(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

function parts(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}
