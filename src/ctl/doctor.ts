/**
 * `runsc-overlay-ctl doctor`: every check that decides whether containers get the root overlay they
 * should, one line each with what to do. The runtime's own steps (config, locate, probe, plan) do the
 * checking, so doctor and the runtime cannot disagree.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmdirSync, statSync, statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../schema/config.schema.js";
import { parseArgv } from "../runtime/argv.js";
import { type Capabilities, flagSyntax } from "../runtime/capabilities.js";
import { configFile, loadConfig } from "../runtime/config.js";
import { Refusal, describe } from "../runtime/errors.js";
import { locateRunsc, searchDirs } from "../runtime/locate.js";
import { globalPlan } from "../runtime/plan.js";
import { OVERLAY_FLAGS } from "../runtime/policy.js";
import { capabilitiesOf } from "../runtime/probe.js";
import { parseDaemonJson } from "./daemon-json.js";
import { dockerInfo } from "./dockerd.js";
import { SHIM_BINARY, SHIM_RUNTIME_TYPE, type Table, dig, runtimesOf } from "./containerd-config.js";
import { dumpConfig, findShim, shimVersion } from "./containerd.js";
import { PODMAN_JSON_RUNTIMES, jsonRuntimesOf } from "./containers-conf.js";
import { parseToml, readIfExists } from "./files.js";
import { podmanConfigFiles } from "./podman.js";
import { processesNamed } from "./processes.js";
import { launcherConfig, notLauncher } from "./launcher.js";
import { annotationsCheck, inventoryCheck, podAnnotationsCheck, restartsCheck, sizeCheck } from "./policy-checks.js";

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
  const add: Add = (check, status, detail) => void checks.push({ check, status, detail });
  const runtime = runtimeChecks(env, add);
  if (runtime) {
    overlayCheck(runtime, [], "overlay", add);
    const size = sizeCheck(runtime.config, runtime.configFile, runtime.caps);
    if (size) add("overlay size", size.status, size.detail);
    const restarts = restartsCheck(runtime.config);
    if (restarts) add("restarts", restarts.status, restarts.detail);
    for (const [check, verdict] of [["annotations", annotationsCheck(runtime.config, runtime.configFile)], ["inventory", inventoryCheck(runtime.caps)]] as const) add(check, verdict.status, verdict.detail);
    writableChecks(runtime, add);
  }
  const launchers: Launchers = {
    Docker: await dockerChecks(options, env, runtime, add),
    containerd: await containerdChecks(options, env, runtime, add),
    Podman: podmanChecks(options, env, add),
  };
  engineConfigCheck(env, launchers, add);
  return checks;
}

/** The launcher each engine has registered, where it has a usable one. */
type Launchers = Record<"Docker" | "containerd" | "Podman", string | undefined>;

/** Records a check; returns undefined, so that a check can end with `return add(...)` whatever it returns. */
type Add = (check: string, status: Status, detail: string) => undefined;

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

async function dockerChecks(options: DoctorOptions, env: NodeJS.ProcessEnv, runtime: Runtime | undefined, add: Add): Promise<string | undefined> {
  const text = readIfExists(options.dockerConfig);
  if (text === undefined && !onPath("dockerd", env)) return add("docker", "ok", "Docker is not installed here");
  let runtimeArgs: string[] = [];
  let launcher: string | undefined;
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
      if (!problem) launcher = entry.path;
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
  return launcher;
}

async function containerdChecks(options: DoctorOptions, env: NodeJS.ProcessEnv, runtime: Runtime | undefined, add: Add): Promise<string | undefined> {
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
    const config = parseToml(text ?? "", file);
    rootfsCheck("containerd rootfs", typeof config.root === "string" ? config.root : "/var/lib/containerd", add);
    if (text === undefined) return add("containerd", "warn", `${file} does not exist, so containerd has no runtime ${name}: run runsc-overlay-ctl install containerd`);
    dump = await dumpConfig(env, file, text);
  } catch (error) {
    return add("containerd", "fail", message(error));
  }
  if (!dump) return add("containerd", "warn", `containerd is not on PATH, so its merge of ${file} cannot be read`);
  const handler = runtimesOf(dump)[name] as Table | undefined;
  const [status, detail, launcher] = registration(handler, name, shim);
  add("containerd", status, `${file}: ${detail}`);
  const patterns = Array.isArray(handler?.pod_annotations) ? handler.pod_annotations.map(String) : [];
  const passed = runtime && podAnnotationsCheck(patterns, runtime.config);
  if (passed) add("pod annotations", passed.status, `runtime ${name}: ${passed.detail}`);
  return launcher;
}

/** What containerd's merged configuration makes of runtime `name`. */
function registration(runtime: Table | undefined, name: string, shim: string | undefined): [Status, string, launcher?: string] {
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
  const binary = parseToml(options, configPath as string).binary_name;
  if (typeof binary !== "string") return ["fail", `runtime ${name}: ${String(configPath)} sets no binary_name, so gVisor's shim runs runsc itself, without runsc-overlay`];
  const problem = notLauncher(binary);
  if (problem) return ["fail", `runtime ${name}: gVisor's shim runs binary_name ${binary} (${String(configPath)}), which ${problem}`];
  return ["ok", `runtime ${name} runs gVisor's shim with runsc-overlay ${binary} (${String(configPath)})`, binary];
}

/** What Podman's configuration files make of runtime `name`, merged as Podman merges them. */
function podmanChecks(options: DoctorOptions, env: NodeJS.ProcessEnv, add: Add): string | undefined {
  const files = podmanConfigFiles(env).filter((file) => readIfExists(file) !== undefined);
  if (files.length === 0 && !onPath("podman", env)) return add("podman", "ok", "Podman is not installed here");
  let launcher: unknown;
  let jsonRuntimes = PODMAN_JSON_RUNTIMES;
  try {
    for (const file of files) {
      const config = parseToml(readIfExists(file)!, file);
      launcher = (((config.engine as Record<string, unknown> | undefined)?.runtimes ?? {}) as Record<string, unknown>)[options.name] ?? launcher;
      jsonRuntimes = jsonRuntimesOf(config) ?? jsonRuntimes;
    }
  } catch (error) {
    return add("podman", "fail", message(error));
  }
  const path = Array.isArray(launcher) ? launcher.find((entry) => typeof entry === "string" && notLauncher(entry) === undefined) ?? launcher[0] : undefined;
  if (launcher === undefined) return add("podman", "warn", `Podman has no runtime ${options.name} (${files.join(", ") || "no containers.conf"}): run runsc-overlay-ctl install podman`);
  const problem = notLauncher(typeof path === "string" ? path : undefined);
  if (problem) return add("podman", "fail", `Podman's runtime ${options.name} is ${String(path)}, which ${problem}`);
  if (!jsonRuntimes.includes(options.name)) return add("podman", "warn", `runtime_supports_json does not name ${options.name}, so Podman shows its errors as raw JSON: run runsc-overlay-ctl install podman`);
  add("podman", "ok", `Podman's runtime ${options.name} is ${String(path)}, with JSON errors (${files.join(", ")})`);
  return path as string;
}

/**
 * Which config each engine's calls read: the one RUNSC_OVERLAY_CONFIG names in the running
 * containerd's environment (which its shims, and so Docker's and Kubernetes' calls, inherit), else the
 * one fixed in the launcher the engine registered. Podman passes no environment: always the launcher's.
 */
function engineConfigCheck(env: NodeJS.ProcessEnv, launchers: Launchers, add: Add): void {
  const own = configFile({ RUNSC_OVERLAY_DEFAULT_CONFIG: env.RUNSC_OVERLAY_DEFAULT_CONFIG }).file;
  const fixed = (launcher: string | undefined) => (launcher && launcherConfig(launcher)) || own;
  const checked = configFile(env).file;
  const containerds = runningProcesses("containerd");
  const reads = [
    ...containerds.map(({ pid, environ }) => ({ who: `containerd (pid ${pid}) and the Docker and Kubernetes calls through it`, file: environ.RUNSC_OVERLAY_CONFIG || fixed(launchers.containerd ?? launchers.Docker) })),
    ...(containerds.length > 0 ? [] : (["Docker", "containerd"] as const).filter((engine) => launchers[engine]).map((engine) => ({ who: engine, file: fixed(launchers[engine]) }))),
    ...(launchers.Podman ? [{ who: "Podman", file: fixed(launchers.Podman) }] : []),
  ];
  if (reads.length === 0) return;
  const other = reads.filter((read) => read.file !== checked);
  add(
    "engine configs",
    other.length > 0 ? "warn" : "ok",
    `${reads.map((read) => `${read.who}: ${read.file}`).join("; ")}${other.length > 0 ? `. This run checked ${checked}: run doctor with RUNSC_OVERLAY_CONFIG=${other[0]!.file} too` : ""}`,
  );
}

/** Running processes named `name`, with their environment. */
function runningProcesses(name: string): { pid: number; environ: Record<string, string> }[] {
  return processesNamed(name).flatMap((pid) => {
    try {
      const pairs = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]);
      return [{ pid, environ: Object.fromEntries(pairs) as Record<string, string> }];
    } catch {
      return []; // gone meanwhile
    }
  });
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
