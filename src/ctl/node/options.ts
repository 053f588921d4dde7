/** What `runsc-overlay-ctl node install|uninstall|run` are told: the node, its containerd, and the cluster. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ContainerdCommand } from "../containerd.js";
import { type Distribution, type DistributionName, DISTRIBUTIONS, containerdBinary, detectDistribution } from "./distribution.js";
import type { KubeApi } from "./kube-api.js";
import type { Restart } from "./restart.js";
import { readIfExists } from "../files.js";
import { onNode } from "./host-root.js";
import type { RuntimeSource } from "./runtime-files.js";

export interface NodeOptions {
  /** Where the node's `/` is mounted in this container. */
  hostRoot: string;
  /** The node path of the installer's directory. */
  dir: string;
  distribution: DistributionName | undefined;
  containerdConfig: string | undefined;
  containerd: string | undefined;
  name: string;
  podAnnotations: string[];
  /** A node directory on containerd's PATH, for the link to the shim that containerd 1.x needs. */
  shimLinkDir: string;
  /** The runtime's config.toml to install (a file in this container), or undefined for the defaults. */
  config: string | undefined;
  /** Leave the restart to the caller. */
  noRestart: boolean;
  /** The node's own command to restart containerd, where it has no systemd. */
  restartCommand: string | undefined;
  nodeName: string | undefined;
  label: string;
  source: RuntimeSource;
}

/** The installer's tree, as the image lays it out: dist/ctl.mjs is in it. */
const TREE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_SOURCE: RuntimeSource = { tree: TREE, gvisor: join(TREE, "gvisor") };

export interface Node {
  distribution: Distribution;
  /** The config the handler is judged against: containerd's own, or the one the distribution generates. */
  configFile: string;
  /** The node's containerd, run in the node's root. */
  containerd: ContainerdCommand;
  restart: Restart;
  /** Reads a node file; undefined where there is none. */
  read(file: string): string | undefined;
}

/** The node as these options describe it. */
export function nodeOf(o: NodeOptions): Node {
  const read = (file: string) => readIfExists(onNode(o.hostRoot, file));
  const distribution = o.distribution ? DISTRIBUTIONS[o.distribution] : detectDistribution(o.hostRoot);
  const binary = containerdBinary(o.hostRoot, distribution, o.containerd);
  const restart: Restart = o.noRestart
    ? { how: "none" }
    : o.restartCommand !== undefined
      ? { how: "command", command: o.restartCommand }
      : distribution.units.length > 0
        ? { how: "systemd", units: distribution.units }
        : { how: "self" };
  return { distribution, configFile: o.containerdConfig ?? distribution.judged(read), containerd: { argv: ["chroot", o.hostRoot, binary], root: o.hostRoot }, restart, read };
}

/** Tells the cluster, where there is one: an event on the node, and never a reason to fail the node's own work. */
export async function tell(api: KubeApi | undefined, node: string | undefined, type: "Normal" | "Warning", reason: string, message: string, say: (line: string) => void): Promise<void> {
  if (!api || !node) return;
  try {
    await api.nodeEvent(node, type, reason, message);
  } catch (error) {
    say(`warning: could not record event ${reason} on node ${node}: ${(error as Error).message}`);
  }
}
