/**
 * `runsc-overlay-ctl node uninstall`: undoes `node install`, byte for byte. The label goes first, so
 * that no new pod of the handler is scheduled on a node that is losing it.
 */
import { Refusal, describe } from "../../runtime/errors.js";
import { withoutBlock, withoutHandler } from "../containerd-config.js";
import type { Output } from "../output.js";
import { type Change, apply } from "./install.js";
import type { KubeApi } from "./kube-api.js";
import { type NodeOptions, nodeOf, tell } from "./options.js";
import { restartContainerd, untilListening } from "./restart.js";
import { nodeLayout, removeRuntimeFiles, unlinkShim } from "./runtime-files.js";
import { SHIM_BINARY } from "../containerd-config.js";

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

/** The changes that take the handler out of every file install put it in. */
function handlerRemovals(o: NodeOptions, node: ReturnType<typeof nodeOf>): Change[] {
  const changes: Change[] = [];
  const current = node.read(node.configFile);
  if (node.distribution.name === "containerd") {
    if (current !== undefined) changes.push({ file: node.configFile, old: current, text: withoutHandler(current, node.configFile, o.name) });
    return changes;
  }
  // The target as install chose it: the version of the config containerd runs now.
  const version = current === undefined ? 2 : /^version\s*=\s*3\s*$/m.test(current) ? 3 : 2;
  const target = node.distribution.target(o.name, version, node.read);
  if (target.form === "main") throw new Refusal(`internal: ${node.distribution.name} has no file of its own for the handler`);
  const old = node.read(target.file);
  if (old === undefined) return changes;
  const text = withoutBlock(old, target.file, o.name);
  // A file holding nothing but what install created goes, as install created it.
  changes.push({ file: target.file, old, text: text === target.created || (target.form === "drop-in" && text !== old) ? "" : text });
  return changes;
}
