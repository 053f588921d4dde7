/**
 * `runsc-overlay-ctl node install`: what a node needs for pods of the handler, from inside the
 * DaemonSet's container. Every change is judged before the first is made (containerd's own dump of
 * the config it would read), so a node whose containerd rejects it is left as it was; a restart that
 * fails puts the old config back.
 */
import { readFileSync } from "node:fs";
import { Refusal, describe } from "../../runtime/errors.js";
import { checkedHandler } from "../install.js";
import { stringify } from "smol-toml";
import { type Table, handlerBlock, runtimesOf, shimOptions, spliceBlock, withoutRuntime } from "../containerd-config.js";
import { parseToml, update } from "../files.js";
import type { Output } from "../output.js";
import { onNode } from "./host-root.js";
import { ours } from "./distribution.js";
import type { KubeApi } from "./kube-api.js";
import { type Node, type NodeOptions, nodeOf, tell } from "./options.js";
import { restartContainerd, untilListening } from "./restart.js";
import { installRuntimeFiles, installedIn, linkShim, nodeConfig, nodeLayout, removeRuntimeFiles, unlinkShim } from "./runtime-files.js";

/** One file the install changes: its node path, what it held (undefined: nothing), and what it will hold ("" : nothing). */
export interface Change {
  file: string;
  old: string | undefined;
  text: string;
}

export async function nodeInstall(o: NodeOptions, api: KubeApi | undefined, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  try {
    await install(o, api, env, out);
  } catch (error) {
    await tell(api, o.nodeName, "Warning", "RunscOverlayInstallFailed", `runsc-overlay was not installed: ${describe(error)}`, out.say);
    throw error;
  }
}

async function install(o: NodeOptions, api: KubeApi | undefined, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  const node = nodeOf(o);
  const layout = nodeLayout(o.dir, o.name);
  out.say(`node: ${node.distribution.name}; containerd's config ${node.configFile}, judged by ${node.containerd.argv.at(-1)}`);
  const { changes, socket, version } = await handlerChanges(o, node, env);
  const configText = nodeConfig(o.config === undefined ? "" : readFileSync(o.config, "utf8"), o.config ?? "the defaults", layout);

  const fresh = !installedIn(o.hostRoot, o.dir);
  await installRuntimeFiles(o.hostRoot, o.dir, o.name, o.source, configText);
  update(onNode(o.hostRoot, layout.shimOptions), node.read(layout.shimOptions), shimOptions(layout.launcher), false);
  out.say(`installed the runtime and gVisor's runsc and shim in ${o.dir}`);
  // containerd 1.x starts a pod's shim by name alone, whatever runtime_path says: it must be on containerd's PATH.
  if (version === 2) out.say(linkShim(o.hostRoot, o.shimLinkDir, layout.shim));
  const files = changes.map((c) => c.file).join(", ");
  out.say(apply(o.hostRoot, changes) ? `registered runtime handler ${o.name} in ${files}` : `${files} already registers runtime handler ${o.name}: nothing to change`);

  if (node.restart.how === "none") {
    out.say(`containerd was not restarted (--no-restart): it runs without handler ${o.name} until it is, and the node is not labelled`);
    return;
  }
  try {
    out.say(await restartContainerd(o.hostRoot, node.restart));
    await untilListening(o.hostRoot, socket);
  } catch (error) {
    apply(o.hostRoot, changes.map((c) => ({ ...c, old: node.read(c.file), text: c.old ?? "" })));
    await restartContainerd(o.hostRoot, node.restart).catch(() => undefined);
    // A first install takes its files away again; an update leaves them for the config put back.
    if (fresh) {
      unlinkShim(o.hostRoot, o.shimLinkDir, layout.shim);
      removeRuntimeFiles(o.hostRoot, o.dir);
    }
    throw new Refusal(`${describe(error)}; the node was put back as it was`);
  }
  if (!api || !o.nodeName) {
    out.say(`not in a cluster (no KUBERNETES_SERVICE_HOST, or no --node-name): no node to label`);
    return;
  }
  await api.labelNode(o.nodeName, { [o.label]: "true" });
  out.say(`labelled node ${o.nodeName} ${o.label}=true: pods of the RuntimeClass that selects it may now run there`);
  await tell(api, o.nodeName, "Normal", "RunscOverlayInstalled", `runtime handler ${o.name} installed in ${o.dir}; containerd restarted`, out.say);
}

/**
 * The files that register the handler, each judged by the node's containerd before any is written,
 * and containerd's socket: the distribution's, else as that config sets it.
 */
export async function handlerChanges(o: NodeOptions, node: Node, env: NodeJS.ProcessEnv): Promise<{ changes: Change[]; socket: string; version: number }> {
  const layout = nodeLayout(o.dir, o.name);
  const request = { name: o.name, podAnnotations: o.podAnnotations, shimOptionsFile: layout.shimOptions, runtimePath: layout.shim };
  const current = node.read(node.configFile);
  if (current === undefined && node.distribution.name !== "containerd") {
    throw new Refusal(`${node.configFile} is not there: start ${node.distribution.name} once, so that it writes containerd's config, then install`);
  }
  // An earlier install's drop-in is in what containerd reads already (k0s ≤ 1.35 merged it into the CRI
  // config judged here; containerd imports it from 1.36): the handler is judged as its replacement.
  const earlier = node.distribution.target(o.name, 2, node.read);
  const replacing = earlier.form === "drop-in" && ours(earlier, node.read(earlier.file));
  const judged = replacing && current !== undefined && o.name in runtimesOf(parseToml(current, node.configFile)) ? stringify(withoutRuntime(parseToml(current, node.configFile), o.name)) : current;
  const { handler, text, before } = await checkedHandler(node.configFile, judged, request, node.containerd, env, replacing);
  const socket = node.distribution.socket ?? (((before.grpc as Table | undefined)?.address as string | undefined) || "/run/containerd/containerd.sock");
  const target = node.distribution.target(o.name, handler.version, node.read);
  if (target.form === "main") return { changes: [{ file: node.configFile, old: current, text }], socket, version: handler.version };
  const old = node.read(target.file);
  if (target.form === "drop-in" && old !== undefined && !ours(target, old)) {
    throw new Refusal(`${target.file} on the node is not one that runsc-overlay-ctl wrote: remove it, or give another --name; nothing was changed`);
  }
  const targetText = target.form === "template" ? spliceBlock(old, target.file, handler, target.created) : `${target.created}\n${handlerBlock(handler)}`;
  return { changes: [{ file: target.file, old, text: targetText }], socket, version: handler.version };
}

/** Writes each change; says whether any file changed. */
export function apply(root: string, changes: Change[]): boolean {
  return changes.map((c) => update(onNode(root, c.file), c.old, c.text, false)).some(Boolean);
}
