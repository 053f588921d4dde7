/**
 * Node paths seen through the host root: the node's own symlinks followed within the node's root,
 * never out of it to this machine's files.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { direct, onNode } from "../../../src/ctl/node/host-root.js";
import { Refusal } from "../../../src/runtime/errors.js";
import { workdir } from "../../helpers/runtime.js";

/**
 * A node root: /usr/etc/containerd/config.toml, /etc/containerd -> /usr/etc/containerd (absolute),
 * /etc/k0s -> ../usr/etc/k0s (relative), /var/run -> /run, /etc/shadow-link -> /etc/shadow (which
 * this machine has and the node has not), links that climb with `..` (etc/up, etc/sneaky), and a
 * loop /loop/a -> b -> a.
 */
let root: string;
beforeAll(() => {
  root = workdir("host-root");
  for (const dir of ["usr/etc/containerd", "usr/etc/k0s", "etc", "run", "loop"]) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, "usr/etc/containerd/config.toml"), "version = 2\n");
  symlinkSync("/usr/etc/containerd", join(root, "etc/containerd"));
  symlinkSync("../usr/etc/k0s", join(root, "etc/k0s"));
  symlinkSync("/run", join(root, "var-run"));
  symlinkSync("/etc/shadow", join(root, "etc/shadow-link"));
  symlinkSync("../../../../../..", join(root, "etc/up"));
  symlinkSync("/nowhere/../../../../../etc/passwd", join(root, "etc/sneaky"));
  symlinkSync("b", join(root, "loop/a"));
  symlinkSync("a", join(root, "loop/b"));
});

describe("onNode", () => {
  it.each([
    ["a plain path", "/usr/etc/containerd/config.toml", "/usr/etc/containerd/config.toml"],
    ["an absolute symlink, resolved in the node's root", "/etc/containerd/config.toml", "/usr/etc/containerd/config.toml"],
    ["an absolute symlink to a file only this machine has", "/etc/shadow-link", "/etc/shadow"],
    ["a relative symlink", "/etc/k0s/containerd.d/x.toml", "/usr/etc/k0s/containerd.d/x.toml"],
    ["a link as the last part", "/var-run", "/run"],
    ["`..` at the root stays at the root", "/../../etc/containerd", "/usr/etc/containerd"],
    ["`..` after a symlink is taken from the link's target", "/etc/containerd/../k0s", "/usr/etc/k0s"],
    ["a relative link climbing above the root stops at the root", "/etc/up/etc/containerd/config.toml", "/usr/etc/containerd/config.toml"],
    ["a missing tail is kept as written", "/etc/containerd/conf.d/new.toml", "/usr/etc/containerd/conf.d/new.toml"],
    ["`..` in a missing tail never leaves the root", "/missing/../../../../etc/passwd", "/etc/passwd"],
    ["a link climbing through a missing directory stays in the root", "/etc/sneaky", "/etc/passwd"],
    ["a relative node path is taken from the root", "etc/containerd", "/usr/etc/containerd"],
    ["the root itself", "/", "/"],
  ])("%s: %s is %s under the root", (_what, nodePath, expected) => {
    expect(onNode(root, nodePath)).toBe(join(root, expected));
  });

  it("refuses a link loop, naming the path", () => {
    expect(() => onNode(root, "/loop/a/x")).toThrow(Refusal);
    expect(() => onNode(root, "/loop/a/x")).toThrow("/loop/a/x on the node: too many levels of symbolic links");
  });
});

describe("direct", () => {
  it.each([
    ["a plain path", "/usr/etc/containerd/config.toml"],
    ["a missing path", "/opt/runsc-overlay"],
    ["a path written with . and //", "/usr/./etc//containerd"],
  ])("takes %s: %s", (_what, nodePath) => {
    expect(direct(root, nodePath, "--dir")).toBe(join(root, nodePath));
  });

  it.each([
    ["an absolute link", "/etc/containerd/config.toml", "/usr/etc/containerd/config.toml"],
    ["a relative link", "/etc/k0s/containerd.d", "/usr/etc/k0s/containerd.d"],
    ["a link as the last part", "/var-run", "/run"],
  ])("refuses a path through %s, naming where it leads", (_what, nodePath, leadsTo) => {
    expect(() => direct(root, nodePath, "--dir")).toThrow(new Refusal(`--dir ${nodePath} goes through a symbolic link on the node (it is ${leadsTo}): give its real path`));
  });
});
