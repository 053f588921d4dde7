/** `runsc-overlay-ctl install docker|containerd`: registers the runtime with an engine. */
import { dirname } from "node:path";
import { Refusal } from "../runtime/errors.js";
import { makeDirs } from "../runtime/dirs.js";
import { addDockerRuntime } from "./daemon-json.js";
import { dockerInfo, reloadDockerd } from "./dockerd.js";
import { type ConfigVersion, addImport, configVersion, dropInConfig, dropInFile, newMainConfig, parseContainerdConfig, runcSystemdCgroup } from "./containerd-config.js";
import { containerdMajor, dumpedBinary } from "./containerd.js";
import { backupOf, readIfExists, update } from "./files.js";
import { notLauncher } from "./launcher.js";
import type { Output } from "./output.js";

export interface DockerInstall {
  configFile: string;
  name: string;
  runtime: string;
  runtimeArgs: string[];
  makeDefault: boolean;
  dryRun: boolean;
}

export async function installDocker(options: DockerInstall, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  const { configFile, name, runtime, runtimeArgs } = options;
  checkRuntime(runtime);
  const old = readIfExists(configFile);
  const entry = { path: runtime, ...(runtimeArgs.length > 0 ? { runtimeArgs } : {}) };
  const text = addDockerRuntime(old, configFile, name, entry, options.makeDefault);
  if (options.dryRun) return out.print(text);
  makeDirs(dirname(configFile), 0o755);
  if (update(configFile, old, text, true)) {
    out.say(`registered runtime ${name} (${runtime}) in ${configFile}${old === undefined ? "" : `; the previous file is ${backupOf(configFile)}`}`);
  } else {
    out.say(`${configFile} already registers runtime ${name} as asked: nothing to change`);
    if ((await dockerInfo(env))?.runtimes.includes(name)) return out.say(`docker info lists runtime ${name}`);
  }
  const reload = await reloadDockerd(env, configFile, name, true);
  if (!reload.ok) throw new Refusal(reload.message);
  out.say(reload.message);
}

export interface ContainerdInstall {
  configFile: string;
  name: string;
  runtime: string;
  configVersion: ConfigVersion | undefined;
  dryRun: boolean;
}

export async function installContainerd(options: ContainerdInstall, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  const { configFile, name, runtime } = options;
  checkRuntime(runtime);
  const old = readIfExists(configFile);
  const config = parseContainerdConfig(old ?? "", configFile);
  const version = options.configVersion ?? configVersion(config, configFile, old !== undefined, old === undefined ? await containerdMajor(env) : undefined);
  const dropInPath = dropInFile(configFile, name);
  const dropInText = dropInConfig(version, name, runtime, runcSystemdCgroup(config, version));
  const mainText = old === undefined ? newMainConfig(version, dropInPath) : addImport(old, configFile, dropInPath);
  if (options.dryRun) {
    out.print(`# ${dropInPath}\n${dropInText}\n# ${configFile}\n${mainText}`);
    return;
  }
  makeDirs(dirname(dropInPath), 0o755);
  const changed = [update(dropInPath, readIfExists(dropInPath), dropInText, false), update(configFile, old, mainText, true)];
  out.say(
    changed.some(Boolean)
      ? `registered runtime ${name} (${runtime}) for containerd: ${dropInPath}, imported by ${configFile}`
      : `${configFile} already imports ${dropInPath} as asked: nothing to change`,
  );
  const dump = await dumpedBinary(env, configFile, name);
  if (dump.kind === "error") throw new Refusal(`containerd config dump fails with ${configFile}: ${dump.error}`);
  if (dump.kind === "dumped") {
    if (dump.binary === undefined) {
      throw new Refusal(`containerd config dump shows no runtime ${name}: this containerd does not read config version ${version} (version 2 is for containerd 1.x, 3 for 2.x)`);
    }
    if (dump.binary !== runtime) throw new Refusal(`containerd config dump gives runtime ${name} the binary ${dump.binary}, not ${runtime}: another imported file sets it too`);
    out.say(`containerd config dump shows runtime ${name} with BinaryName ${runtime}`);
  }
  out.say(
    `containerd reads its configuration only when it starts: restart it (systemctl restart containerd). ` +
      `runsc-overlay-ctl does not signal it, because containerd exits on SIGHUP`,
  );
}

/** An engine given runsc itself, or a path that is not there, would run containers without our policy. */
function checkRuntime(runtime: string): void {
  const problem = notLauncher(runtime);
  if (problem) throw new Refusal(`--runtime ${runtime} ${problem}: give the runsc-overlay that install put in PREFIX/bin`);
}
