/**
 * `runsc-overlay-ctl doctor`: every check that decides whether containers get the root overlay they
 * should, one line each with what to do. The runtime's own steps (config, locate, probe, plan) do the
 * checking, so doctor and the runtime cannot disagree.
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmdirSync, statSync, statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../schema/config.schema.js";
import { parseArgv } from "../runtime/argv.js";
import { type Capabilities, flagSyntax } from "../runtime/capabilities.js";
import { loadConfig } from "../runtime/config.js";
import { Refusal, describe } from "../runtime/errors.js";
import { locateRunsc, searchDirs } from "../runtime/locate.js";
import { OVERLAY_FLAGS, globalPlan } from "../runtime/plan.js";
import { capabilitiesOf } from "../runtime/probe.js";
import { parseDaemonJson } from "./daemon-json.js";
import { dockerInfo } from "./dockerd.js";
import { SHIM_BINARY, SHIM_RUNTIME_TYPE, type Table, dig, parseContainerdConfig, runtimesOf } from "./containerd-config.js";
import { dumpConfig, findShim, shimVersion } from "./containerd.js";
import { readIfExists } from "./files.js";
import { notLauncher } from "./launcher.js";

export type Status = "ok" | "warn" | "fail";

export interface Check {
  check: string;
  status: Status;
  detail: string;
}

export interface DoctorOptions {
  name: string;
  dockerConfig: string;
  containerdConfig: string;
}

interface Runtime {
  configFile: string;
  config: Config;
  runsc: string;
  caps: Capabilities;
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

export async function doctor(options: DoctorOptions, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (check: string, status: Status, detail: string) => void checks.push({ check, status, detail });
  const runtime = runtimeChecks(env, add);
  if (runtime) {
    overlayCheck(runtime, [], "overlay", add);
    writableChecks(runtime, add);
  }
  await dockerChecks(options, env, runtime, add);
  await containerdChecks(options, env, add);
  return checks;
}

type Add = (check: string, status: Status, detail: string) => void;

function runtimeChecks(env: NodeJS.ProcessEnv, add: Add): Runtime | undefined {
  let configFile: string;
  let config: Config;
  try {
    ({ file: configFile, config } = loadConfig(env));
    add("config", "ok", existsSync(configFile) ? `${configFile} parses and validates` : `${configFile} does not exist: the defaults apply`);
  } catch (error) {
    add("config", "fail", message(error));
    return undefined;
  }
  try {
    const runsc = locateRunsc(config.runsc.path, configFile, env);
    const caps = capabilitiesOf(runsc, config.cache.dir);
    const grammar = caps.overlay2 === null ? "no --overlay2 flag" : `--overlay2 ${caps.overlay2.self ? "with" : "without"} the self medium, default ${caps.overlay2.default}`;
    add("runsc", "ok", `${runsc}: ${caps.version}, ${grammar}`);
    return { configFile, config, runsc, caps };
  } catch (error) {
    add("runsc", "fail", message(error));
    return undefined;
  }
}

/** Plans what every call gets with these caller flags (the runtime's own globalPlan), as Docker's runtimeArgs or the shim would pass them. */
function overlayCheck({ config, configFile, caps }: Runtime, callerFlags: string[], check: string, add: Add): void {
  const argv = [...callerFlags, "create", "doctor"];
  const parsed = parseArgv(argv, flagSyntax(caps));
  if (parsed.kind === "invalid") return add(check, "fail", `runsc would reject ${callerFlags.join(" ")}: ${parsed.reason}`);
  try {
    const global = globalPlan(config, configFile, caps, parsed.flags);
    const overlay = global.inserted.filter((flag) => flag.startsWith("--overlay2=")).at(-1);
    const notes = global.notes.map((note) => note.msg).join("; ");
    const replaced = parsed.flags.filter((flag) => OVERLAY_FLAGS.has(flag.name));
    if (replaced.length > 0) {
      add(check, "warn", `${replaced.map((flag) => callerFlags[flag.index]).join(" ")} is replaced by runsc-overlay's ${overlay ?? "overlay"}: remove it`);
    } else if (overlay === undefined || overlay === "--overlay2=none") {
      const off = `the root overlay is off (overlay.overlay2 = "none" in ${configFile})`;
      const shared = `${off}, with --file-access=shared: host and sandbox see the same rootfs (the "shared" profile)`;
      add(check, config.overlay.overlay2 === "none" ? "ok" : "warn", notes || (global.fileAccess === "shared" ? shared : off));
    } else if (notes) {
      add(check, "warn", `${overlay}: ${notes}`);
    } else {
      add(check, "ok", `${overlay}${overlay.includes(":self") ? ": each container's root overlay is backed by a file beside its rootfs" : ""}`);
    }
  } catch (error) {
    add(check, "fail", message(error));
  }
}

function writableChecks({ config, caps }: Runtime, add: Add): void {
  const log = config.log.file;
  if (log === "") add("log file", "ok", "off (log.file is empty)");
  else {
    const problem = unwritable(existsSync(log) ? log : dirname(log));
    add("log file", problem ? "warn" : "ok", problem ? `${log}: ${problem}; runsc-overlay logs nothing meanwhile (containers still run)` : `${log} is writable`);
  }
  const inUse = config.overlay.fallback === "dir" && caps.overlay2 !== null && !caps.overlay2.self && config.overlay.overlay2.includes(":self");
  if (!inUse) return;
  const dir = config.overlay.fallback_dir;
  let existing = dir;
  while (!existsSync(existing)) existing = dirname(existing);
  const problem = unwritable(existing);
  add("fallback dir", problem ? "fail" : "ok", problem ? `${dir}: ${existing} ${problem}, so no container can start` : `${dir} is writable (the filestore of every container, as this runsc has no self)`);
}

async function dockerChecks(options: DoctorOptions, env: NodeJS.ProcessEnv, runtime: Runtime | undefined, add: Add): Promise<void> {
  const text = readIfExists(options.dockerConfig);
  if (text === undefined && !onPath("dockerd", env)) return add("docker", "ok", "Docker is not installed here");
  let runtimeArgs: string[] = [];
  let dataRoot = "/var/lib/docker";
  try {
    const daemon = parseDaemonJson(text ?? "{}", options.dockerConfig);
    if (typeof daemon["data-root"] === "string") dataRoot = daemon["data-root"];
    const entry = (daemon.runtimes as Record<string, { path?: string; runtimeArgs?: string[] }> | undefined)?.[options.name];
    if (!entry) {
      add("docker", "warn", `${options.dockerConfig} does not register runtime ${options.name}: run runsc-overlay-ctl install docker`);
    } else {
      runtimeArgs = entry.runtimeArgs ?? [];
      const problem = notLauncher(entry.path);
      add("docker", problem ? "fail" : "ok", problem ? `${options.dockerConfig}: runtime ${options.name} has path ${entry.path ?? "(none)"}, which ${problem}` : `${options.dockerConfig} registers runtime ${options.name} (${entry.path})`);
    }
  } catch (error) {
    add("docker", "fail", message(error));
  }
  const info = await dockerInfo(env);
  if (info) {
    const loaded = info.runtimes.includes(options.name);
    add("docker engine", loaded ? "ok" : "warn", loaded ? `dockerd has runtime ${options.name} loaded` : `dockerd has not loaded runtime ${options.name}: run runsc-overlay-ctl install docker, which reloads it`);
  }
  // The running engine knows its data root best; a stopped one will use daemon.json's, or Docker's default.
  rootfsCheck("docker rootfs", info?.rootDir || dataRoot, add);
  if (runtime && runtimeArgs.length > 0) overlayCheck(runtime, runtimeArgs, "docker runtimeArgs", add);
}

async function containerdChecks(options: DoctorOptions, env: NodeJS.ProcessEnv, add: Add): Promise<void> {
  const { containerdConfig: file, name } = options;
  const text = readIfExists(file);
  if (text === undefined && !onPath("containerd", env)) return add("containerd", "ok", "containerd is not installed here");
  const shim = findShim(env);
  if (shim) {
    const version = await shimVersion(shim);
    add("containerd shim", version.ok ? "ok" : "fail", `gVisor's shim ${shim}: ${version.text}`);
  } else {
    add("containerd shim", "warn", `no ${SHIM_BINARY} on containerd's PATH or beside containerd: Kubernetes pods need gVisor's shim; install it beside runsc`);
  }
  let dump: Table | undefined;
  try {
    const config = parseContainerdConfig(text ?? "", file);
    rootfsCheck("containerd rootfs", typeof config.root === "string" ? config.root : "/var/lib/containerd", add);
    if (text === undefined) return add("containerd", "warn", `${file} does not exist, so containerd has no runtime ${name}: run runsc-overlay-ctl install containerd`);
    dump = await dumpConfig(env, file, text);
  } catch (error) {
    return add("containerd", "fail", message(error));
  }
  if (!dump) return add("containerd", "warn", `containerd is not on PATH, so its merge of ${file} cannot be read`);
  const [status, detail] = registration(runtimesOf(dump)[name] as Table | undefined, name, shim);
  add("containerd", status, `${file}: ${detail}`);
}

/** What containerd's merged configuration makes of runtime `name`. */
function registration(runtime: Table | undefined, name: string, shim: string | undefined): [Status, string] {
  if (!runtime) return ["warn", `containerd's configuration has no runtime ${name}: run runsc-overlay-ctl install containerd`];
  const type = String(runtime.runtime_type);
  if (type !== SHIM_RUNTIME_TYPE) {
    return [
      "fail",
      `runtime ${name} runs through ${type}, not gVisor's shim (${SHIM_RUNTIME_TYPE}): under it a pod's second container never starts and pods cannot be stopped. ` +
        `Run runsc-overlay-ctl install containerd again`,
    ];
  }
  if (!shim) return ["fail", `runtime ${name} runs through gVisor's shim, which containerd cannot find: install ${SHIM_BINARY} beside runsc`];
  const configPath = dig(runtime, ["options", "ConfigPath"]);
  const options = typeof configPath === "string" ? readIfExists(configPath) : undefined;
  if (options === undefined) return ["fail", `runtime ${name}: gVisor's shim has no options file (${String(configPath)}), so it runs runsc itself, without runsc-overlay`];
  const binary = parseContainerdConfig(options, configPath as string).binary_name;
  if (typeof binary !== "string") return ["fail", `runtime ${name}: ${String(configPath)} sets no binary_name, so gVisor's shim runs runsc itself, without runsc-overlay`];
  const problem = notLauncher(binary);
  if (problem) return ["fail", `runtime ${name}: gVisor's shim runs binary_name ${binary} (${String(configPath)}), which ${problem}`];
  return ["ok", `runtime ${name} runs gVisor's shim with runsc-overlay ${binary} (${String(configPath)})`];
}

/** `self` puts the filestore beside the rootfs: on tmpfs, that is RAM again. */
function rootfsCheck(check: string, dir: string, add: Add): void {
  if (!existsSync(dir)) return;
  const type = statfsSync(dir).type;
  if (type === TMPFS_MAGIC || type === RAMFS_MAGIC) {
    add(check, "warn", `${dir} is on ${type === TMPFS_MAGIC ? "tmpfs" : "ramfs"}: root:self filestores there use RAM; move the data root to a disk`);
  } else {
    add(check, "ok", `${dir} is on a disk filesystem (type 0x${type.toString(16)})`);
  }
}

/**
 * Why runsc-overlay could not write at `path`: an existing file is opened for appending, a directory
 * gets a scratch entry made and removed. A real attempt, because root passes every access() check,
 * even on /proc.
 */
function unwritable(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) rmdirSync(mkdtempSync(join(path, ".runsc-overlay-doctor-")));
    else closeSync(openSync(path, "a"));
    return undefined;
  } catch (error) {
    return `is not writable (${(error as NodeJS.ErrnoException).code})`;
  }
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return searchDirs(env).some((dir) => existsSync(join(dir, command)));
}

function message(error: unknown): string {
  return error instanceof Refusal ? error.message : `internal error: ${describe(error)}`;
}
