/** `runsc-overlay-ctl uninstall docker|containerd`: removes exactly what install added. */
import { Refusal } from "../runtime/errors.js";
import { removeDockerRuntime } from "./daemon-json.js";
import { reloadDockerd } from "./dockerd.js";
import { shimOptionsFile, withoutHandler, writtenByInstall } from "./containerd-config.js";
import { withoutPodmanRuntime } from "./containers-conf.js";
import { readIfExists, update } from "./files.js";
import type { Output } from "./output.js";

export async function uninstallDocker(configFile: string, name: string, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  const old = readIfExists(configFile);
  if (old === undefined || !update(configFile, old, removeDockerRuntime(old, configFile, name), true)) {
    out.say(`${configFile} does not register runtime ${name}: nothing to remove`);
    return;
  }
  out.say(`removed runtime ${name} from ${configFile}`);
  const reload = await reloadDockerd(env, configFile, name, false);
  if (!reload.ok) throw new Refusal(reload.message);
  out.say(reload.message);
}

export function uninstallContainerd(configFile: string, name: string, out: Output): void {
  const optionsFile = shimOptionsFile(configFile, name);
  const old = readIfExists(configFile);
  const options = readIfExists(optionsFile);
  const removed = [
    old !== undefined && update(configFile, old, withoutHandler(old, configFile, name), true),
    // Only the options file install wrote: one of the administrator's by that name stays.
    options !== undefined && writtenByInstall(options) && update(optionsFile, options, "", false),
  ];
  if (!removed.some(Boolean)) {
    out.say(`${configFile} does not register runtime ${name}: nothing to remove`);
    return;
  }
  out.say(`removed runtime ${name}: its table in ${configFile} and ${optionsFile}`);
  out.say(`containerd still runs with it until it is restarted (systemctl restart containerd)`);
}

export function uninstallPodman(configFile: string, out: Output): void {
  const old = readIfExists(configFile);
  const text = old === undefined ? undefined : withoutPodmanRuntime(old);
  // A file that held nothing but what install wrote is removed, as install created it.
  if (old === undefined || !update(configFile, old, text!.trim() === "" ? "" : text!, true)) {
    out.say(`${configFile} does not register runsc-overlay: nothing to remove`);
    return;
  }
  out.say(`removed runsc-overlay from ${configFile}`);
}
