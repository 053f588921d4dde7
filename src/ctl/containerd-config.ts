/**
 * containerd's config.toml and the runtime handler runsc-overlay adds to it. Pure: text in, text out.
 *
 * The handler runs pods through gVisor's own shim (io.containerd.runsc.v1), whose options file names
 * the launcher as runsc's binary: the runc shim hangs a pod's second container (runsc gives it
 * `start`'s own stdio, which that shim reads to EOF) and cannot stop a pod (it takes runsc's "sandbox
 * is not running" for a failure).
 *
 * The handler is a marked block in the main file itself, not a drop-in: containerd 1.x replaces a
 * plugin's whole section with an imported file's, so a drop-in would wipe the CRI plugin's settings
 * (default runtime, sandbox image, CNI, registries). In config version 2 a `runtimes` table in the
 * file also replaces containerd's default runtimes, so the block restates those the file leaves to
 * the defaults (runc, as `containerd config dump` shows it).
 */
import { isDeepStrictEqual } from "node:util";
import { dirname, join } from "node:path";
import { stringify } from "smol-toml";
import { Refusal } from "../runtime/errors.js";
import { parseToml, tomlHolds } from "./files.js";

export type ConfigVersion = 2 | 3;
export type Table = Record<string, unknown>;

export const CRI_RUNTIME_PLUGIN: Record<ConfigVersion, string> = { 2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime" };

export const SHIM_RUNTIME_TYPE = "io.containerd.runsc.v1";
export const SHIM_OPTIONS_TYPE_URL = "io.containerd.runsc.v1.options";
/** The binary containerd runs for SHIM_RUNTIME_TYPE. */
export const SHIM_BINARY = "containerd-shim-runsc-v1";

const WRITTEN_BY = "Written by runsc-overlay-ctl install containerd; runsc-overlay-ctl uninstall containerd removes it.";

/** The config version the handler must be written in: the main file's own, else the running containerd's. */
export function configVersion(config: Table, file: string, fileExists: boolean, containerdMajor: number | undefined): ConfigVersion {
  if (!fileExists) {
    if (containerdMajor === undefined) throw new Refusal(`${file} does not exist and containerd's version is unknown: pass --config-version 2 (containerd 1.x) or 3 (containerd 2.x)`);
    return containerdMajor >= 2 ? 3 : 2;
  }
  const version = config.version;
  if (version === 2 || version === 3) return version;
  throw new Refusal(
    `${file} has ${version === undefined ? "no version line, so containerd reads it as" : "config"} version ${String(version ?? 1)}, which runsc-overlay-ctl cannot extend: ` +
      `migrate it (containerd config migrate) to version 2 (containerd 1.x) or 3 (containerd 2.x) first`,
  );
}

/** The CRI runtimes of a config (a file, or containerd's dump of one) in the version it is written in. */
export function runtimesOf(config: Table): Table {
  const plugin = CRI_RUNTIME_PLUGIN[config.version as ConfigVersion] ?? CRI_RUNTIME_PLUGIN[2];
  const runtimes = dig(config, ["plugins", plugin, "containerd", "runtimes"]);
  return runtimes && typeof runtimes === "object" ? (runtimes as Table) : {};
}

/** gVisor's shim reads its options (binary_name, root, runsc_config...) from this file, beside the main file. */
export function shimOptionsFile(configFile: string, name: string): string {
  return join(dirname(configFile), `${name}.toml`);
}

/** The shim's options: only the binary. The launcher owns every overlay flag, so no [runsc_config] here. */
export function shimOptions(launcher: string): string {
  return `# ${WRITTEN_BY}\n${stringify({ binary_name: launcher })}\n`;
}

/** Whether a file is one that install wrote (and so uninstall may remove). */
export function writtenByInstall(text: string): boolean {
  return text.startsWith(`# ${WRITTEN_BY}\n`);
}

export interface Handler {
  version: ConfigVersion;
  name: string;
  shimOptionsFile: string;
  podAnnotations: string[];
  /** The shim's path, where it is not on containerd's PATH (a node install keeps it in its own directory). */
  runtimePath?: string | undefined;
  /** Runtimes that containerd has by default and the file does not state, which a version 2 file would lose. */
  restated: Table;
}

/** The runtime table of the handler, as containerd's config holds it. */
export function handlerRuntime(handler: Handler): Table {
  return {
    runtime_type: SHIM_RUNTIME_TYPE,
    ...(handler.runtimePath ? { runtime_path: handler.runtimePath } : {}),
    ...(handler.podAnnotations.length > 0 ? { pod_annotations: handler.podAnnotations } : {}),
    options: { TypeUrl: SHIM_OPTIONS_TYPE_URL, ConfigPath: handler.shimOptionsFile },
  };
}

const begin = (name: string) => `# BEGIN runsc-overlay runtime ${name}. ${WRITTEN_BY}\n`;
const end = (name: string) => `# END runsc-overlay runtime ${name}\n`;

export function handlerBlock(handler: Handler): string {
  const runtimes = { ...handler.restated, [handler.name]: handlerRuntime(handler) };
  const toml = stringify({ plugins: { [CRI_RUNTIME_PLUGIN[handler.version]]: { containerd: { runtimes } } } });
  return `${begin(handler.name)}${toml}\n${end(handler.name)}`;
}

/** A main file for a host that has none: just the version and the handler. */
export function newMainConfig(handler: Handler): string {
  return `${createdHeader(handler.version)}\n${handlerBlock(handler)}`;
}

const createdHeader = (version: unknown) => `# ${WRITTEN_BY}\nversion = ${String(version)}\n`;

/**
 * The main file with the handler's block, in place of an earlier one or at the end, checked by
 * parsing: the result must hold exactly the file's own tables plus the block's, or it is refused
 * (a layout that defines the runtimes inline, say) rather than damaged.
 */
export function withHandler(text: string, file: string, handler: Handler): string {
  const config = parseToml(text, file);
  const found = findBlock(text, handler.name, file);
  if (!found && handler.name in runtimesOf(config)) {
    throw new Refusal(`${file} already defines a runtime ${handler.name} of its own: remove it, or pass another --name; nothing was changed`);
  }
  const own = found ? parseToml(text.slice(0, found.start) + text.slice(found.end), file) : config;
  const block = handlerBlock(handler);
  const out = found ? text.slice(0, found.start) + `\n${block}` + text.slice(found.end) : `${text}\n${block}`;
  const expected = merge(own, parseToml(block, "the runtime block"));
  if (!tomlHolds(out, expected)) {
    throw new Refusal(`${file}: cannot add the runtime table safely (its CRI runtimes are written inline or as dotted keys?): add it by hand; nothing was changed`);
  }
  return out;
}

/** The main file without the handler's block: byte for byte the file before install. "" when nothing else is left. */
export function withoutHandler(text: string, file: string, name: string): string {
  const out = withoutBlock(text, file, name);
  return out !== text && out === createdHeader(parseToml(out, file).version) ? "" : out;
}

/**
 * A file that is not TOML itself (a k3s template, say) with the handler's block in place of an
 * earlier one or at the end; `created` is the text the file starts as when install creates it.
 */
export function spliceBlock(text: string | undefined, file: string, handler: Handler, created: string): string {
  const base = text === undefined ? created : withoutBlock(text, file, handler.name);
  return `${base}\n${handlerBlock(handler)}`;
}

/** The text without the handler's block (and the newline install put before it), byte for byte. */
export function withoutBlock(text: string, file: string, name: string): string {
  const found = findBlock(text, name, file);
  return found ? text.slice(0, found.start) + text.slice(found.end) : text;
}

/** Where the block (and the newline install put before it) stands in `text`. */
function findBlock(text: string, name: string, file: string): { start: number; end: number } | undefined {
  const at = text.indexOf(begin(name));
  if (at < 0) return undefined;
  const endAt = text.indexOf(end(name), at);
  if (endAt < 0) throw new Refusal(`${file}: the runtime block of ${name} has no END line: remove the block by hand; nothing was changed`);
  return { start: at > 0 && text[at - 1] === "\n" ? at - 1 : at, end: endAt + end(name).length };
}

function merge(a: Table, b: Table): Table {
  const out: Table = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    out[key] = isTable(mine) && isTable(value) ? merge(mine, value) : value;
  }
  return out;
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A copy of a config without one of its CRI runtimes. */
export function withoutRuntime(config: Table, name: string): Table {
  const copy = structuredClone(config);
  delete runtimesOf(copy)[name];
  return copy;
}

/** The dotted key paths at which two configs differ. */
export function differences(a: unknown, b: unknown, path = ""): string[] {
  if (isTable(a) && isTable(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => differences(a[key], b[key], path ? `${path}.${key}` : key));
  }
  return isDeepStrictEqual(a, b) ? [] : [path || "(the whole file)"];
}

/** The value at a path of keys, or undefined where any table on the way is missing. */
export function dig(value: unknown, keys: string[]): unknown {
  for (const key of keys) value = value && typeof value === "object" ? (value as Table)[key] : undefined;
  return value;
}
