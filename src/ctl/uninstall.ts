/** `runsc-overlay-ctl uninstall docker|containerd`: removes exactly what install added. */
import { Refusal } from "../runtime/errors.js";
import { removeDockerRuntime } from "./daemon-json.js";
import { reloadDockerd } from "./dockerd.js";
import { dropInFile, removeImport } from "./containerd-config.js";
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
  const dropIn = dropInFile(configFile, name);
  const old = readIfExists(configFile);
  const removed = [update(dropIn, readIfExists(dropIn), "", false), old !== undefined && update(configFile, old, removeImport(old, configFile, dropIn), true)];
  if (!removed.some(Boolean)) {
    out.say(`${configFile} does not import ${dropIn}: nothing to remove`);
    return;
  }
  out.say(`removed runtime ${name}: ${dropIn} and its import in ${configFile}`);
  out.say(`containerd still runs with it until it is restarted (systemctl restart containerd)`);
}
