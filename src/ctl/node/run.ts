/**
 * `runsc-overlay-ctl node run`: the DaemonSet's command. Installs, then holds the node until the pod
 * is stopped (SIGTERM: the DaemonSet deleted, or the pod replaced), then uninstalls, as kata-deploy
 * does. An install that fails exits non-zero, so the pod's restarts and its log show why.
 */
import { once } from "node:events";
import type { Output } from "../output.js";
import { nodeInstall } from "./install.js";
import type { KubeApi } from "./kube-api.js";
import type { NodeOptions } from "./options.js";
import { nodeUninstall } from "./uninstall.js";

export async function nodeRun(o: NodeOptions, api: KubeApi | undefined, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  const stop = Promise.race([once(process, "SIGTERM"), once(process, "SIGINT")]);
  await nodeInstall(o, api, env, out);
  out.say(`installed; uninstalls when this pod is stopped`);
  // A timer that never fires keeps Node's event loop, and so the pod, alive until the signal.
  const alive = setInterval(() => undefined, 1 << 30);
  await stop;
  clearInterval(alive);
  out.say(`stopping: uninstalling`);
  await nodeUninstall(o, api, out);
}
