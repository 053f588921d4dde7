/**
 * How each kind of node runs containerd: where its config is, which file the installer may write
 * without the distribution overwriting it, its containerd binary, and the systemd units that
 * restart it. k3s and RKE2 generate containerd's config at each start from a template of their own;
 * k0s merges drop-ins into the config it generates. Writing the generated file itself would be lost
 * at the next start.
 */
import { existsSync } from "node:fs";
import { Refusal } from "../../runtime/errors.js";
import { parseToml } from "../files.js";
import { onNode } from "./host-root.js";

export const DISTRIBUTION_NAMES = ["containerd", "k3s", "rke2", "k0s"] as const;
export type DistributionName = (typeof DISTRIBUTION_NAMES)[number];

/** Where the installer puts the handler. */
export type Target =
  /** In containerd's config itself, which the administrator owns. */
  | { form: "main" }
  /** In a template the distribution renders containerd's config from; `created` is a new template's text. */
  | { form: "template"; file: string; created: string }
  /** In a file of its own, in a directory the distribution merges into containerd's config. */
  | { form: "drop-in"; file: string; created: string };

export interface Distribution {
  name: DistributionName;
  /** Node paths whose presence shows this distribution. */
  marks: string[];
  /** containerd's binary, the first of these that the node has. */
  containerd: string[];
  /** systemd units that restart containerd, the first active one; none where the distribution restarts it on its own. */
  units: string[];
  /** The socket the distribution starts containerd on (its --address, which wins over the config's); undefined: the config's. */
  socket: string | undefined;
  /** The config the handler is judged against (containerd's dump of it with and without), given a reader of node files. */
  judged(read: (file: string) => string | undefined): string;
  /** Where the handler goes, given containerd's config version and a reader of node files. */
  target(name: string, configVersion: number, read: (file: string) => string | undefined): Target;
}

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const WRITTEN = "# Written by runsc-overlay-ctl node install; runsc-overlay-ctl node uninstall removes it.\n";

/**
 * k3s and RKE2 render containerd's config from config-v3.toml.tmpl (containerd 2.x) or
 * config.toml.tmpl (1.x) in the config's directory, where one exists; `{{ template "base" . }}` is
 * the config they would generate without it, to which the handler's tables are added.
 */
function rancher(name: "k3s" | "rke2", units: string[], containerd: string): Distribution {
  const dir = `/var/lib/rancher/${name}/agent/etc/containerd`;
  const [v3, v2] = [`${dir}/config-v3.toml.tmpl`, `${dir}/config.toml.tmpl`];
  return {
    name,
    marks: [dir],
    containerd: [containerd],
    units,
    // RKE2 runs k3s's agent code, socket included.
    socket: "/run/k3s/containerd/containerd.sock",
    judged: () => `${dir}/config.toml`,
    // The template the distribution reads (v3 before v2), else a new one for the config version it renders.
    target: (_name, version, read) => ({
      form: "template",
      file: [v3, v2].find((file) => read(file) !== undefined) ?? (version === 3 ? v3 : v2),
      created: `${WRITTEN}{{ template "base" . }}\n`,
    }),
  };
}

/**
 * k0s reads drop-ins only while its containerd.toml is its own (`# k0s_managed=true`). Up to 1.35
 * (containerd 1.7, config version 2) it merges a drop-in's CRI tables into the CRI config it
 * generates (containerd-cri.toml); from 1.36 (containerd 2, version 3) containerd imports the
 * drop-ins itself. Either way k0s restarts containerd when a drop-in changes.
 */
const K0S_MAIN = "/etc/k0s/containerd.toml";
function k0sVersion(read: (file: string) => string | undefined): number {
  const main = read(K0S_MAIN);
  if (main === undefined || !main.startsWith("# k0s_managed=true")) {
    throw new Refusal(`${K0S_MAIN} ${main === undefined ? "is not there (start k0s once)" : "is not k0s's own (no # k0s_managed=true): k0s reads no drop-ins then"}`);
  }
  return renderedVersion(main, K0S_MAIN);
}

/** The config version a distribution renders containerd's config in: 3 for containerd 2.x, else 2. */
export function renderedVersion(text: string, file: string): 2 | 3 {
  return parseToml(text, file).version === 3 ? 3 : 2;
}

/** Whether a file's text is one the installer created as `target` (its first line says so). */
export function ours(target: Target, text: string | undefined): boolean {
  return target.form !== "main" && text !== undefined && text.startsWith(target.created.split("\n")[0]!);
}

export const DISTRIBUTIONS: Record<DistributionName, Distribution> = {
  containerd: {
    name: "containerd",
    marks: [],
    containerd: SYSTEM_PATH.map((dir) => `${dir}/containerd`),
    units: ["containerd"],
    socket: undefined,
    judged: () => "/etc/containerd/config.toml",
    target: () => ({ form: "main" }),
  },
  k3s: rancher("k3s", ["k3s", "k3s-agent"], "/var/lib/rancher/k3s/data/current/bin/containerd"),
  rke2: rancher("rke2", ["rke2-server", "rke2-agent"], "/var/lib/rancher/rke2/bin/containerd"),
  k0s: {
    name: "k0s",
    marks: ["/etc/k0s/containerd.d", "/var/lib/k0s/bin/containerd"],
    containerd: ["/var/lib/k0s/bin/containerd"],
    units: [],
    // k0s's containerd.toml sets no [grpc] address: k0s passes --address itself.
    socket: "/run/k0s/containerd.sock",
    judged: (read) => (k0sVersion(read) === 3 ? K0S_MAIN : "/run/k0s/containerd-cri.toml"),
    target: (name, version) => ({ form: "drop-in", file: `/etc/k0s/containerd.d/${name}.toml`, created: `${WRITTEN}version = ${version}\n` }),
  },
};

/** The distribution the node under `root` runs: the one whose marks it has, or plain containerd. */
export function detectDistribution(root: string): Distribution {
  const found = Object.values(DISTRIBUTIONS).filter((d) => d.marks.some((mark) => existsSync(onNode(root, mark))));
  if (found.length > 1) throw new Refusal(`the node has files of ${found.map((d) => d.name).join(" and ")}: say which runs its containerd with --distribution`);
  return found[0] ?? DISTRIBUTIONS.containerd;
}

/** The node's containerd binary: `given`, or the first of the distribution's that the node has. */
export function containerdBinary(root: string, distribution: Distribution, given: string | undefined): string {
  const found = given ?? distribution.containerd.find((path) => existsSync(onNode(root, path)));
  if (!found || !existsSync(onNode(root, found))) {
    throw new Refusal(`no containerd binary on the node at ${given ?? distribution.containerd.join(", ")}: give its path with --containerd`);
  }
  return found;
}
