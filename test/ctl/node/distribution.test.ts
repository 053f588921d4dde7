/** Which distribution a node runs, and where each one has the installer put the handler. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { DISTRIBUTIONS, containerdBinary, detectDistribution } from "../../../src/ctl/node/distribution.js";
import { Refusal } from "../../../src/runtime/errors.js";
import { workdir } from "../../helpers/runtime.js";

/** A node root holding these node paths (a path ending in / is a directory). */
function rootWith(paths: string[]): string {
  const root = workdir("distribution");
  for (const path of paths) {
    if (path.endsWith("/")) mkdirSync(join(root, path), { recursive: true });
    else {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), "");
    }
  }
  return root;
}

/** A reader of node files from a table of them. */
const reader = (files: Record<string, string>) => (file: string) => files[file];

const K3S = "/var/lib/rancher/k3s/agent/etc/containerd";
const K0S_MAIN = "/etc/k0s/containerd.toml";
const MANAGED_V2 = '# k0s_managed=true\nversion = 2\nimports = ["/run/k0s/containerd-cri.toml"]\n';
const MANAGED_V3 = '# k0s_managed=true\nversion = 3\nimports = ["/etc/k0s/containerd.d/*.toml"]\n';

describe("detectDistribution", () => {
  it.each([
    ["k3s", [`${K3S}/config.toml`], "k3s"],
    ["RKE2", ["/var/lib/rancher/rke2/agent/etc/containerd/"], "rke2"],
    ["k0s, by its drop-in directory", ["/etc/k0s/containerd.d/"], "k0s"],
    ["k0s, by its containerd", ["/var/lib/k0s/bin/containerd"], "k0s"],
    ["plain containerd, by no other's marks", ["/etc/containerd/config.toml", "/usr/bin/containerd"], "containerd"],
  ])("%s", (_what, paths, expected) => {
    expect(detectDistribution(rootWith(paths)).name).toBe(expected);
  });

  it("refuses to guess between two", () => {
    expect(() => detectDistribution(rootWith([`${K3S}/`, "/etc/k0s/containerd.d/"]))).toThrow(
      new Refusal("the node has files of k3s and k0s: say which runs its containerd with --distribution"),
    );
  });
});

describe("containerdBinary", () => {
  it("takes the first of the distribution's that the node has", () => {
    expect(containerdBinary(rootWith(["/usr/local/bin/containerd", "/usr/bin/containerd"]), DISTRIBUTIONS.containerd, undefined)).toBe("/usr/local/bin/containerd");
  });

  it.each([
    ["none of the distribution's", undefined, "no containerd binary on the node at /var/lib/rancher/k3s/data/current/bin/containerd: give its path with --containerd"],
    ["a given path the node lacks", "/opt/containerd", "no containerd binary on the node at /opt/containerd: give its path with --containerd"],
  ])("refuses %s", (_what, given, message) => {
    expect(() => containerdBinary(rootWith([]), DISTRIBUTIONS.k3s, given)).toThrow(new Refusal(message));
  });
});

describe("k3s and RKE2 templates", () => {
  const created = '# Written by runsc-overlay-ctl node install; runsc-overlay-ctl node uninstall removes it.\n{{ template "base" . }}\n';
  it.each([
    ["config-v3.toml.tmpl wins when it exists, whatever the version", { [`${K3S}/config-v3.toml.tmpl`]: "", [`${K3S}/config.toml.tmpl`]: "" }, 2, `${K3S}/config-v3.toml.tmpl`],
    ["else config.toml.tmpl when it exists", { [`${K3S}/config.toml.tmpl`]: "" }, 3, `${K3S}/config.toml.tmpl`],
    ["else a new config-v3.toml.tmpl for a version 3 config", {}, 3, `${K3S}/config-v3.toml.tmpl`],
    ["else a new config.toml.tmpl for a version 2 config", {}, 2, `${K3S}/config.toml.tmpl`],
  ])("%s", (_what, files, version, file) => {
    expect(DISTRIBUTIONS.k3s.target("runsc-overlay", version, reader(files))).toEqual({ form: "template", file, created });
  });

  it("judges the config k3s generates, and RKE2 its own", () => {
    expect(DISTRIBUTIONS.k3s.judged(reader({}))).toBe(`${K3S}/config.toml`);
    expect(DISTRIBUTIONS.rke2.judged(reader({}))).toBe("/var/lib/rancher/rke2/agent/etc/containerd/config.toml");
    expect(DISTRIBUTIONS.rke2.target("runsc-overlay", 3, reader({})).form).toBe("template");
  });
});

describe("k0s drop-ins", () => {
  it.each([
    ["≤ 1.35 (version 2): the CRI config k0s generates", MANAGED_V2, "/run/k0s/containerd-cri.toml"],
    ["1.36+ (version 3): containerd.toml, which imports the drop-ins", MANAGED_V3, K0S_MAIN],
  ])("judges %s", (_what, main, judged) => {
    expect(DISTRIBUTIONS.k0s.judged(reader({ [K0S_MAIN]: main }))).toBe(judged);
  });

  it.each([
    ["not there", {}, `${K0S_MAIN} is not there (start k0s once)`],
    ["the administrator's own (no # k0s_managed=true)", { [K0S_MAIN]: "version = 2\n" }, `${K0S_MAIN} is not k0s's own (no # k0s_managed=true): k0s reads no drop-ins then`],
  ])("refuses a containerd.toml %s", (_what, files, message) => {
    expect(() => DISTRIBUTIONS.k0s.judged(reader(files))).toThrow(new Refusal(message));
  });

  it("puts the handler in a drop-in of its name, in the config's version", () => {
    expect(DISTRIBUTIONS.k0s.target("gvisor-x", 3, reader({}))).toEqual({
      form: "drop-in",
      file: "/etc/k0s/containerd.d/gvisor-x.toml",
      created: "# Written by runsc-overlay-ctl node install; runsc-overlay-ctl node uninstall removes it.\nversion = 3\n",
    });
  });
});
