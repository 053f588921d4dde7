/**
 * `node install` and `node uninstall` on scratch node roots, judged by the real containerd (1.6 for
 * config version 2, 2.1 for version 3) run in the root with chroot, as on a node. No containerd is
 * restarted (noRestart), no cluster is told: the files are the outcome.
 *
 * The files install writes are compared with golden files in fixtures/golden/. After a deliberate
 * change, regenerate them with UPDATE_GOLDEN=1 scripts/with-node npx vitest run test/ctl/node/install.test.ts
 * and read the diff before committing it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { execa } from "execa";
import { parse } from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import { type Table, dig, runtimesOf } from "../../../src/ctl/containerd-config.js";
import { type DistributionName } from "../../../src/ctl/node/distribution.js";
import { handlerChanges, nodeInstall } from "../../../src/ctl/node/install.js";
import { type NodeOptions, nodeOf } from "../../../src/ctl/node/options.js";
import { nodeUninstall } from "../../../src/ctl/node/uninstall.js";
import { Refusal } from "../../../src/runtime/errors.js";
import { BUSYBOX, CONTAINERD } from "../../helpers/paths.js";
import { NO_CONTAINERD, NO_DIST, TREE, nodeRoot, standInGvisor, tree } from "./node-root.js";

const FIXTURES = new URL("fixtures/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const NAME = "runsc-overlay";
const DIR = "/opt/runsc-overlay";
const SHIM = `${DIR}/bin/containerd-shim-runsc-v1`;
const SHIM_OPTIONS = `${DIR}/etc/containerd-shim-${NAME}.toml`;

/** The exact bytes of a file install wrote, against fixtures/golden/<name>; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(text: string, name: string): void {
  const file = join(FIXTURES, "golden", name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, "utf8"));
}

let gvisor: string;
beforeAll(() => {
  gvisor = standInGvisor();
});

function options(root: string, more: Partial<NodeOptions> = {}): NodeOptions {
  return {
    hostRoot: root,
    dir: DIR,
    distribution: undefined,
    containerdConfig: undefined,
    containerd: undefined,
    name: NAME,
    podAnnotations: ["dev.gvisor.spec.mount.*"],
    shimLinkDir: "/usr/local/bin",
    config: undefined,
    noRestart: true,
    restartCommand: undefined,
    nodeName: undefined,
    label: "runsc-overlay/installed",
    source: { tree: TREE, gvisor },
    ...more,
  };
}

function recorder() {
  const lines: string[] = [];
  return { lines, out: { print: (text: string) => lines.push(text), say: (line: string) => lines.push(line) } };
}

/** containerd's own merge of a node file, run in the node's root. */
async function dump(root: string, containerd: string, file: string): Promise<Table> {
  const run = await execa("chroot", [root, containerd, "--config", file, "config", "dump"], { env: ENV, extendEnv: false });
  return parse(run.stdout) as Table;
}

/** The handler as containerd shows it: the shim by path, its options file, and the pod annotations. */
function expectHandler(config: Table): void {
  expect(runtimesOf(config)[NAME]).toMatchObject({
    runtime_type: "io.containerd.runsc.v1",
    runtime_path: SHIM,
    pod_annotations: ["dev.gvisor.spec.mount.*"],
    options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: SHIM_OPTIONS },
  });
}

const RANCHER = (name: "k3s" | "rke2") => `/var/lib/rancher/${name}/agent/etc/containerd`;
const BINARY: Record<DistributionName, string> = {
  containerd: "/usr/bin/containerd",
  k3s: "/var/lib/rancher/k3s/data/current/bin/containerd",
  rke2: "/var/lib/rancher/rke2/bin/containerd",
  k0s: "/var/lib/k0s/bin/containerd",
};

interface Case {
  name: string;
  distribution: DistributionName;
  version: 2 | 3;
  files: Record<string, string>;
  /** The node file install writes the handler to. */
  written: string;
  socket: string;
  /** What the distribution's documentation and source require of that file, and containerd's view of it. */
  rule(root: string, text: string): Promise<void>;
  /** What the distribution makes of the written file when it next starts containerd, where it does anything. */
  restarted?(root: string, text: string): void;
}

/**
 * k3s and RKE2 render config.toml from the template at each start: rendered here as they would
 * (the base replaced by the generated file's text), the real containerd must accept it, with the
 * handler and without a table declared twice (k3s fails with "toml: table runc already exists").
 */
const rancher = (name: "k3s" | "rke2", version: 2 | 3): Case => ({
  name: `${name}-v${version}`,
  distribution: name,
  version,
  files: { [`${RANCHER(name)}/config.toml`]: fixture(`${name}-v${version}.config.toml`) },
  written: `${RANCHER(name)}/${version === 3 ? "config-v3.toml.tmpl" : "config.toml.tmpl"}`,
  socket: "/run/k3s/containerd/containerd.sock",
  restarted(root, text) {
    writeFileSync(join(root, RANCHER(name), "config.toml"), text.replace('{{ template "base" . }}', fixture(`${name}-v${version}.config.toml`)));
  },
  async rule(root, text) {
    expect(text.split("\n").filter((line) => !line.startsWith("#"))[0]).toBe('{{ template "base" . }}');
    // The generated config is never touched: k3s rewrites it at each start.
    expect(readFileSync(join(root, RANCHER(name), "config.toml"), "utf8")).toBe(fixture(`${name}-v${version}.config.toml`));
    writeFileSync(join(root, "rendered.toml"), text.replace('{{ template "base" . }}', fixture(`${name}-v${version}.config.toml`)));
    const rendered = await dump(root, BINARY[name], "/rendered.toml");
    expectHandler(rendered);
    expect(dig(runtimesOf(rendered), ["runc", "options", "SystemdCgroup"])).toBe(true);
  },
});

const CASES: Case[] = [
  rancher("k3s", 2),
  rancher("k3s", 3),
  rancher("rke2", 2),
  rancher("rke2", 3),
  {
    // k0s ≤ 1.35 merges a drop-in's CRI tables into the CRI config it generates (containerd-cri.toml).
    name: "k0s-v2",
    distribution: "k0s",
    version: 2,
    files: { "/etc/k0s/containerd.toml": fixture("k0s-v2.containerd.toml"), "/run/k0s/containerd-cri.toml": fixture("k0s-v2.containerd-cri.toml"), "/etc/k0s/containerd.d/": "" },
    written: `/etc/k0s/containerd.d/${NAME}.toml`,
    socket: "/run/k0s/containerd.sock",
    // k0s merges the drop-in's CRI tables into the CRI config it writes (no comments of ours survive).
    restarted(root, text) {
      const tables = text.split("\n").filter((line) => !line.startsWith("#") && !line.startsWith("version"));
      writeFileSync(join(root, "run/k0s/containerd-cri.toml"), `${fixture("k0s-v2.containerd-cri.toml")}\n${tables.join("\n")}`);
    },
    async rule(root, text) {
      const dropIn = parse(text) as Table;
      expect(dropIn.version).toBe(2);
      expect(Object.keys(dropIn.plugins as Table)).toEqual(["io.containerd.grpc.v1.cri"]);
      expectHandler(dropIn);
      expectHandler(await dump(root, BINARY.k0s, `/etc/k0s/containerd.d/${NAME}.toml`));
    },
  },
  {
    // k0s 1.36+ has containerd import the drop-ins itself, and refuses one with a grpc.v1.cri table.
    name: "k0s-v3",
    distribution: "k0s",
    version: 3,
    files: { "/etc/k0s/containerd.toml": fixture("k0s-v3.containerd.toml"), "/etc/k0s/containerd.d/": "" },
    written: `/etc/k0s/containerd.d/${NAME}.toml`,
    socket: "/run/k0s/containerd.sock",
    async rule(root, text) {
      const dropIn = parse(text) as Table;
      expect(dropIn.version).toBe(3);
      expect(text).not.toContain("io.containerd.grpc.v1.cri");
      const merged = await dump(root, BINARY.k0s, "/etc/k0s/containerd.toml");
      expectHandler(merged);
      expect(dig(runtimesOf(merged), ["runc", "runtime_type"])).toBe("io.containerd.runc.v2");
    },
  },
  ...([2, 3] as const).map(
    (version): Case => ({
      name: `containerd-v${version}`,
      distribution: "containerd",
      version,
      files: { "/etc/containerd/config.toml": fixture(`containerd-v${version}.config.toml`) },
      written: "/etc/containerd/config.toml",
      socket: "/run/containerd/containerd.sock",
      async rule(root, text) {
        expect(text.startsWith(fixture(`containerd-v${version}.config.toml`))).toBe(true);
        const merged = await dump(root, BINARY.containerd, "/etc/containerd/config.toml");
        expectHandler(merged);
        expect(dig(runtimesOf(merged), ["runc", "options", "SystemdCgroup"])).toBe(true);
      },
    }),
  ),
];

describe.skipIf(NO_CONTAINERD !== undefined || NO_DIST !== undefined)(`node install and uninstall${NO_CONTAINERD || NO_DIST ? ` (skipped: ${NO_CONTAINERD ?? NO_DIST})` : ""}`, () => {
  describe.each(CASES)("$name", (c) => {
    const install = async (root: string) => {
      const run = recorder();
      await nodeInstall(options(root), undefined, ENV, run.out);
      return run.lines;
    };

    it("registers the handler where the distribution reads it, and uninstall leaves the root as it was", async () => {
      const root = await nodeRoot(c.name, { [BINARY[c.distribution]]: CONTAINERD[c.version] }, c.files);
      const before = tree(root);

      const node = nodeOf(options(root));
      expect(node.distribution.name).toBe(c.distribution);
      expect((await handlerChanges(options(root), node, ENV)).socket).toBe(c.socket);

      expect(await install(root)).toContain(`registered runtime handler ${NAME} in ${c.written}`);
      const text = readFileSync(join(root, c.written), "utf8");
      expectGolden(text, `${c.name}.${basename(c.written)}`);
      await c.rule(root, text);
      expect(readFileSync(join(root, SHIM_OPTIONS), "utf8")).toContain(`binary_name = "${DIR}/bin/runsc-overlay"`);
      expect(readFileSync(join(root, DIR, "etc/config.toml"), "utf8")).toContain(`path = "${DIR}/bin/runsc"`);
      expect(readFileSync(join(root, SHIM), "utf8")).toBe("#!/bin/sh\necho containerd-shim-runsc-v1 stand-in\n");
      for (const launcher of ["runsc-overlay", "runsc-overlay-ctl"]) expect(existsSync(join(root, DIR, "bin", launcher))).toBe(true);
      // Outside the installer's directory only the handler's file changed (and, for containerd 1.x, the shim's link on its PATH).
      const installed = tree(root);
      const changed = Object.keys(installed).filter((name) => installed[name] !== before[name] && !installed[name]!.startsWith("dir ") && name !== "rendered.toml");
      expect(changed.filter((name) => !name.startsWith(DIR.slice(1)))).toEqual([c.written.slice(1), ...(c.version === 2 ? [`usr/local/bin/${basename(SHIM)}`] : [])].sort());
      if (c.version === 2) expect(installed[`usr/local/bin/${basename(SHIM)}`]).toBe(`link ${SHIM}`);

      const gone = recorder();
      await nodeUninstall(options(root), undefined, gone.out);
      expect(gone.lines).toEqual([`removed runtime handler ${NAME} from ${c.written}`, ...(c.version === 2 ? ["removed the link /usr/local/bin/containerd-shim-runsc-v1"] : []), `removed ${DIR}`]);
      const after = tree(root);
      delete after["rendered.toml"];
      expect(after).toEqual(before);
    });

    it("changes nothing when run again (the DaemonSet's pod restarted), after the distribution read what it wrote", async () => {
      const root = await nodeRoot(c.name, { [BINARY[c.distribution]]: CONTAINERD[c.version] }, c.files);
      await install(root);
      c.restarted?.(root, readFileSync(join(root, c.written), "utf8"));
      const installed = tree(root);
      expect(await install(root)).toContain(`${c.written} already registers runtime handler ${NAME}: nothing to change`);
      expect(tree(root)).toEqual(installed);
    });
  });

  it("appends the block to an operator's own template, keeps it working, and uninstall gives its bytes back", async () => {
    const template = `${RANCHER("k3s")}/config.toml.tmpl`;
    const own = fixture("k3s-v2.operator.config.toml.tmpl");
    const root = await nodeRoot("k3s-operator", { [BINARY.k3s]: CONTAINERD[2] }, { [`${RANCHER("k3s")}/config.toml`]: fixture("k3s-v2.config.toml"), [template]: own });
    const before = tree(root);
    await nodeInstall(options(root), undefined, ENV, recorder().out);
    const text = readFileSync(join(root, template), "utf8");
    expect(text.startsWith(own)).toBe(true);
    expectGolden(text, "k3s-v2-operator.config.toml.tmpl");
    writeFileSync(join(root, "rendered.toml"), text.replace('{{ template "base" . }}', fixture("k3s-v2.config.toml")));
    const rendered = await dump(root, BINARY.k3s, "/rendered.toml");
    expectHandler(rendered);
    expect(dig(runtimesOf(rendered), ["nvidia", "options", "BinaryName"])).toBe("/usr/local/nvidia/toolkit/nvidia-container-runtime");

    await nodeUninstall(options(root), undefined, recorder().out);
    expect(readFileSync(join(root, template), "utf8")).toBe(own);
    const after = tree(root);
    delete after["rendered.toml"];
    expect(after).toEqual(before);
  });

  it("puts the node back as it was when the restart fails: the config, and a first install's files and link", async () => {
    const root = await nodeRoot("restart-fails", { [BINARY.containerd]: CONTAINERD[2], "/bin/sh": BUSYBOX }, { "/etc/containerd/config.toml": fixture("containerd-v2.config.toml") });
    const before = tree(root);
    const refused = nodeInstall(options(root, { noRestart: false, restartCommand: "echo no systemd here >&2; exit 3" }), undefined, ENV, recorder().out);
    await expect(refused).rejects.toThrow("the restart command (echo no systemd here >&2; exit 3) failed with status 3: no systemd here; the node was put back as it was");
    expect(tree(root)).toEqual(before);
  });

  const K0S_V2 = { "/run/k0s/containerd-cri.toml": fixture("k0s-v2.containerd-cri.toml"), "/etc/k0s/containerd.d/": "" };
  it.each([
    [
      "a config that already defines a runtime of that name",
      "containerd",
      { "/etc/containerd/config.toml": `${fixture("containerd-v2.config.toml")}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${NAME}]\n  runtime_type = "io.containerd.runsc.v1"\n` },
      `/etc/containerd/config.toml already defines a runtime ${NAME} of its own: remove it, or pass another --name; nothing was changed`,
    ],
    ["a generated config that is not TOML", "k3s", { [`${RANCHER("k3s")}/config.toml`]: "version = 2\n[plugins\n" }, `${RANCHER("k3s")}/config.toml is not valid TOML`],
    [
      "a generated config containerd rejects",
      "k3s",
      { [`${RANCHER("k3s")}/config.toml`]: 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = 7\n' },
      `containerd config dump fails with ${RANCHER("k3s")}/config.toml`,
    ],
    ["a k3s that has not started yet", "k3s", { [`${RANCHER("k3s")}/`]: "" }, `${RANCHER("k3s")}/config.toml is not there: start k3s once, so that it writes containerd's config, then install`],
    [
      "k0s with a containerd.toml of the administrator's (k0s reads no drop-ins then)",
      "k0s",
      { ...K0S_V2, "/etc/k0s/containerd.toml": fixture("k0s-v2.containerd.toml").replace("# k0s_managed=true\n", "") },
      "/etc/k0s/containerd.toml is not k0s's own (no # k0s_managed=true): k0s reads no drop-ins then",
    ],
    [
      "k0s with a drop-in of that name that runsc-overlay-ctl did not write",
      "k0s",
      { ...K0S_V2, "/etc/k0s/containerd.toml": fixture("k0s-v2.containerd.toml"), [`/etc/k0s/containerd.d/${NAME}.toml`]: "version = 2\n# the administrator's\n" },
      `/etc/k0s/containerd.d/${NAME}.toml on the node is not one that runsc-overlay-ctl wrote: remove it, or give another --name; nothing was changed`,
    ],
  ] as const)("refuses %s and leaves the node root as it was", async (_what, distribution: DistributionName, files: Record<string, string>, message: string) => {
    const root = await nodeRoot(distribution, { [BINARY[distribution]]: CONTAINERD[2] }, files);
    const before = tree(root);
    const refused = nodeInstall(options(root), undefined, ENV, recorder().out);
    await expect(refused).rejects.toThrow(Refusal);
    await expect(refused).rejects.toThrow(message);
    expect(tree(root)).toEqual(before);
  });
});
