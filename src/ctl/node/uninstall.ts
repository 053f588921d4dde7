/**
 * `runsc-overlay-ctl node uninstall`: undoes `node install`, byte for byte. The label goes first, so
 * that no new pod of the handler is scheduled on a node that is losing it.
 */
import { describe } from "../../runtime/errors.js";
import { SHIM_BINARY, withoutBlock, withoutHandler } from "../containerd-config.js";
import type { Output } from "../output.js";
import { type Change, apply } from "./install.js";
import type { KubeApi } from "./kube-api.js";
import { ours, renderedVersion } from "./distribution.js";
import { type Node, type NodeOptions, nodeOf, tell } from "./options.js";
import { restartContainerd } from "./restart.js";
import { nodeLayout, removeRuntimeFiles, unlinkShim } from "./runtime-files.js";

export async function nodeUninstall(o: NodeOptions, api: KubeApi | undefined, out: Output): Promise<void> {
  if (api && o.nodeName) {
    try {
      await api.labelNode(o.nodeName, { [o.label]: null });
      out.say(`removed label ${o.label} from node ${o.nodeName}`);
    } catch (error) {
      // The ServiceAccount may be gone already (kubectl delete -k removes it with the DaemonSet); the files still go.
      out.say(`warning: could not remove label ${o.label} from node ${o.nodeName}: ${describe(error)}; remove it with kubectl label node ${o.nodeName} ${o.label}-`);
    }
  }
  const node = nodeOf(o);
  const changes = handlerRemovals(o, node);
  const changed = apply(o.hostRoot, changes);
  out.say(changed ? `removed runtime handler ${o.name} from ${changes.map((c) => c.file).join(", ")}` : `no config on the node registers runtime handler ${o.name}`);
  if (changed && node.restart.how !== "none") {
    try {
      out.say(await restartContainerd(o.hostRoot, node.restart));
    } catch (error) {
      await tell(api, o.nodeName, "Warning", "RunscOverlayUninstallFailed", `containerd did not restart without handler ${o.name}: ${describe(error)}`, out.say);
      throw error;
    }
  }
  const { shim } = nodeLayout(o.dir, o.name);
  if (unlinkShim(o.hostRoot, o.shimLinkDir, shim)) out.say(`removed the link ${o.shimLinkDir}/${SHIM_BINARY}`);
  out.say(removeRuntimeFiles(o.hostRoot, o.dir) ? `removed ${o.dir}` : `${o.dir} is not the installer's: left alone`);
  await tell(api, o.nodeName, "Normal", "RunscOverlayUninstalled", `runtime handler ${o.name} removed from the node`, out.say);
}

/** The changes that take the handler out of the file install put it in: the target install chose, for the config containerd runs now. */
function handlerRemovals(o: NodeOptions, node: Node): Change[] {
  const current = node.read(node.configFile);
  const target = node.distribution.target(o.name, current === undefined ? 2 : renderedVersion(current, node.configFile), node.read);
  if (target.form === "main") return current === undefined ? [] : [{ file: node.configFile, old: current, text: withoutHandler(current, node.configFile, o.name) }];
  const old = node.read(target.file);
  if (old === undefined) return [];
  const text = withoutBlock(old, target.file, o.name);
  // A drop-in is wholly the installer's; a template it created goes once only what it created is left.
  return [{ file: target.file, old, text: (target.form === "drop-in" ? ours(target, old) : text === target.created) ? "" : text }];
}
