/** `runsc-overlay-ctl install docker|containerd`: registers the runtime with an engine. */
import { dirname } from "node:path";
import { Refusal } from "../runtime/errors.js";
import { makeDirs } from "../runtime/dirs.js";
import { addDockerRuntime } from "./daemon-json.js";
import { dockerInfo, reloadDockerd } from "./dockerd.js";
import { isDeepStrictEqual } from "node:util";
import {
  type ConfigVersion,
  type Handler,
  SHIM_BINARY,
  type Table,
  configVersion,
  differences,
  handlerRuntime,
  newMainConfig,
  runtimesOf,
  shimOptions,
  shimOptionsFile,
  withHandler,
  withoutHandler,
  withoutRuntime,
} from "./containerd-config.js";
import { type ContainerdCommand, LOCAL_CONTAINERD, containerdMajor, dumpConfig, findShim } from "./containerd.js";
import { withPodmanRuntime } from "./containers-conf.js";
import { backupOf, parseToml, readIfExists, update } from "./files.js";
import { jsonRuntimesAround, podmanConfigFiles } from "./podman.js";
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
  podAnnotations: string[];
  dryRun: boolean;
}

export async function installContainerd(options: ContainerdInstall, env: NodeJS.ProcessEnv, out: Output): Promise<void> {
  const { configFile, name, runtime } = options;
  checkRuntime(runtime);
  const shim = findShim(env);
  if (!shim) {
    throw new Refusal(
      `containerd would not find gVisor's shim ${SHIM_BINARY} (on its PATH, or beside containerd): install it beside runsc (gVisor's releases ship it; Debian's runsc package does not). ` +
        `The runc shim (io.containerd.runc.v2) is no substitute for pods: it waits for EOF on runsc start's output, which the sandbox keeps open, so a pod's second container never starts, and it cannot stop a pod whose sandbox is gone`,
    );
  }
  const old = readIfExists(configFile);
  const request = { name, podAnnotations: options.podAnnotations, shimOptionsFile: shimOptionsFile(configFile, name), configVersion: options.configVersion };
  const { handler, text: mainText } = await checkedHandler(configFile, old, request, LOCAL_CONTAINERD, env);
  const optionsText = shimOptions(runtime);
  if (options.dryRun) {
    out.print(`# ${handler.shimOptionsFile}\n${optionsText}\n# ${configFile}\n${mainText}`);
    return;
  }
  const changed = [update(handler.shimOptionsFile, readIfExists(handler.shimOptionsFile), optionsText, false), update(configFile, old, mainText, true)];
  out.say(
    changed.some(Boolean)
      ? `registered runtime ${name} for containerd in ${configFile}: gVisor's shim (${shim}), with ${runtime} as its runsc (${handler.shimOptionsFile})`
      : `${configFile} already registers runtime ${name} as asked: nothing to change`,
  );
  out.say(`containerd config dump: runtime ${name} added, the rest of containerd's configuration as it was`);
  out.say(
    `containerd reads its configuration only when it starts: restart it (systemctl restart containerd). ` +
      `runsc-overlay-ctl does not signal it, because containerd exits on SIGHUP`,
  );
}

export interface HandlerRequest {
  name: string;
  podAnnotations: string[];
  shimOptionsFile: string;
  runtimePath?: string;
  configVersion?: ConfigVersion | undefined;
}

/**
 * The handler for a containerd config file (`old`: its text, undefined where there is none), and
 * the file's text with it, checked by containerd's own dump of both before anything is written.
 * `replacing`: containerd already reads the handler from a file of an earlier install (a k0s
 * drop-in it imports), which the new one replaces.
 */
export async function checkedHandler(
  configFile: string,
  old: string | undefined,
  request: HandlerRequest,
  containerd: ContainerdCommand,
  env: NodeJS.ProcessEnv,
  replacing = false,
): Promise<{ handler: Handler; text: string; before: Table }> {
  // The administrator's own file: what install found, less the block of an earlier install.
  const own = (old === undefined ? undefined : withoutHandler(old, configFile, request.name)) || undefined;
  const config = parseToml(own ?? "", configFile);
  const version = request.configVersion ?? configVersion(config, configFile, own !== undefined, own === undefined ? await containerdMajor(env, containerd) : undefined);
  const before = await dumpConfig(env, configFile, own ?? `version = ${version}\n`, containerd);
  if (!before) throw new Refusal(`containerd is not on PATH: install checks the registration with containerd's own config dump, so run it where containerd is installed`);
  // containerd 1.x: a runtimes table in the file replaces the default runtimes, so restate those the file relies on.
  const defaults = before.version === 2 ? runtimesOf(before) : {};
  const restated = Object.fromEntries(Object.entries(defaults).filter(([runtimeName]) => !(runtimeName in runtimesOf(config))));
  const handler: Handler = { version, name: request.name, shimOptionsFile: request.shimOptionsFile, podAnnotations: request.podAnnotations, runtimePath: request.runtimePath, restated };
  const text = own === undefined ? newMainConfig(handler) : withHandler(old!, configFile, handler);
  checkDumps(replacing ? withoutRuntime(before, handler.name) : before, await dumpConfig(env, configFile, text, containerd), handler, configFile);
  return { handler, text, before };
}

/**
 * containerd's own merge after the change must be the one before plus the handler, exactly: nothing
 * of the administrator's may be lost (as a containerd 1.x import would lose the whole CRI section).
 */
function checkDumps(before: Table, after: Table | undefined, handler: Handler, configFile: string): void {
  const got = after && (runtimesOf(after)[handler.name] as Table | undefined);
  const expected = handlerRuntime(handler);
  if (!got || got.runtime_type !== expected.runtime_type || (got.runtime_path || undefined) !== expected.runtime_path || !isDeepStrictEqual(got.options, expected.options) || !isDeepStrictEqual(got.pod_annotations ?? [], handler.podAnnotations)) {
    throw new Refusal(`containerd config dump of the new ${configFile} does not show runtime ${handler.name} as written: an imported file sets it, or (containerd 1.x) replaces the whole CRI section; nothing was changed`);
  }
  const changed = differences(before, withoutRuntime(after!, handler.name));
  if (changed.length > 0) throw new Refusal(`the new ${configFile} would change containerd's configuration beyond runtime ${handler.name} (${changed.slice(0, 5).join(", ")}): nothing was changed`);
}

export interface PodmanInstall {
  configFile: string;
  name: string;
  runtime: string;
  makeDefault: boolean;
  dryRun: boolean;
}

/** Podman reads its configuration on every command: nothing to reload. */
export function installPodman(options: PodmanInstall, env: NodeJS.ProcessEnv, out: Output): void {
  const { configFile, name, runtime } = options;
  checkRuntime(runtime);
  const files = podmanConfigFiles(env);
  if (!files.includes(configFile) && !env.CONTAINERS_CONF) {
    out.say(`note: Podman reads ${files.join(", ")}; ${configFile} is none of them`);
  }
  const { inherited, overriddenBy } = jsonRuntimesAround(configFile, files);
  const old = readIfExists(configFile);
  const text = withPodmanRuntime(old ?? "", configFile, { name, launcher: runtime, makeDefault: options.makeDefault }, inherited);
  if (options.dryRun) return out.print(text);
  makeDirs(dirname(configFile), 0o755);
  if (update(configFile, old, text, true)) {
    out.say(`registered runtime ${name} (${runtime}) for Podman in ${configFile}${old === undefined ? "" : `; the previous file is ${backupOf(configFile)}`}`);
  } else {
    out.say(`${configFile} already registers runtime ${name} as asked: nothing to change`);
  }
  for (const later of overriddenBy) {
    out.say(`warning: ${later} sets runtime_supports_json after ${configFile}, so Podman will show runsc-overlay's errors as raw JSON: add ${JSON.stringify(name)} to it`);
  }
  out.say(`podman --runtime ${name} uses it from the next podman command on${options.makeDefault ? `, and so does every podman run without --runtime` : ""}`);
}

/** An engine given runsc itself, or a path that is not there, would run containers without our policy. */
function checkRuntime(runtime: string): void {
  const problem = notLauncher(runtime);
  if (problem) throw new Refusal(`--runtime ${runtime} ${problem}: give the runsc-overlay that install put in PREFIX/bin`);
}
