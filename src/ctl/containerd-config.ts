/**
 * containerd's config.toml and our drop-in. containerd 1.x reads config version 2, where the CRI
 * runtimes live under "io.containerd.grpc.v1.cri"; containerd 2.x reads version 3, where they live
 * under "io.containerd.cri.v1.runtime". The runtime goes into a drop-in of its own, named by an
 * `imports` line in the main file, so the administrator's file changes by one line. Pure: text in, text out.
 */
import { isDeepStrictEqual } from "node:util";
import { dirname, join, matchesGlob } from "node:path";
import { parse as parseToml, stringify } from "smol-toml";
import { Refusal, describe } from "../runtime/errors.js";

export type ConfigVersion = 2 | 3;

export const CRI_RUNTIME_PLUGIN: Record<ConfigVersion, string> = { 2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime" };

const HEADER = "# Written by runsc-overlay-ctl install containerd; runsc-overlay-ctl uninstall containerd removes it.\n";

type Table = Record<string, unknown>;

export function parseContainerdConfig(text: string, file: string): Table {
  try {
    return parseToml(text) as Table;
  } catch (error) {
    throw new Refusal(`${file} is not valid TOML (${describe(error).split("\n")[0]}): fix it first; nothing was changed`);
  }
}

/** The config version the drop-in must be written in: the main file's own, else the running containerd's. */
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

/** The runc runtime's SystemdCgroup, which a runtime beside it must match on a systemd-managed host. */
export function runcSystemdCgroup(config: Table, version: ConfigVersion): boolean | undefined {
  const value = dig(config, ["plugins", CRI_RUNTIME_PLUGIN[version], "containerd", "runtimes", "runc", "options", "SystemdCgroup"]);
  return typeof value === "boolean" ? value : undefined;
}

/** The drop-in sits in conf.d beside the main file: /etc/containerd/conf.d/NAME.toml. */
export function dropInFile(configFile: string, name: string): string {
  return join(dirname(configFile), "conf.d", `${name}.toml`);
}

export function dropInConfig(version: ConfigVersion, name: string, binary: string, systemdCgroup: boolean | undefined): string {
  const options = { BinaryName: binary, ...(systemdCgroup === undefined ? {} : { SystemdCgroup: systemdCgroup }) };
  const runtime = { runtime_type: "io.containerd.runc.v2", options };
  // The version line is not optional: containerd 2.x reads an imported file without one as version 1.
  return HEADER + stringify({ version, plugins: { [CRI_RUNTIME_PLUGIN[version]]: { containerd: { runtimes: { [name]: runtime } } } } });
}

/** A main file for a host that has none: just the version and the import. */
export function newMainConfig(version: ConfigVersion, dropInFile: string): string {
  return `${HEADER}version = ${version}\nimports = [${JSON.stringify(dropInFile)}]\n`;
}

/** The main file with `dropInFile` among its imports; unchanged when an import already covers it. */
export function addImport(text: string, file: string, dropInFile: string): string {
  const config = parseContainerdConfig(text, file);
  const imports = importsOf(config, file);
  if (imports.some((entry) => entry === dropInFile || matchesGlob(dropInFile, entry))) return text;
  return withImports(text, file, config, [...imports, dropInFile]);
}

/** The main file without `dropInFile` among its imports; "" when nothing but what install wrote is left. */
export function removeImport(text: string, file: string, dropInFile: string): string {
  const config = parseContainerdConfig(text, file);
  const imports = importsOf(config, file);
  if (!imports.includes(dropInFile)) return text;
  const out = withImports(text, file, config, imports.filter((entry) => entry !== dropInFile));
  return out === `${HEADER}version = ${String(config.version)}\n` ? "" : out;
}

function importsOf(config: Table, file: string): string[] {
  const imports = config.imports ?? [];
  if (!Array.isArray(imports) || !imports.every((entry) => typeof entry === "string")) throw new Refusal(`${file}: imports must be an array of paths`);
  return imports;
}

/**
 * Rewrites the top-level `imports` (or adds it after `version`), then checks by parsing that nothing
 * else changed: a layout this edit does not understand is refused rather than damaged.
 */
function withImports(text: string, file: string, config: Table, imports: string[]): string {
  const line = imports.length === 0 ? "" : `imports = [${imports.map((entry) => JSON.stringify(entry)).join(", ")}]\n`;
  const topLevel = text.slice(0, firstTableHeader(text));
  const existing = /^[ \t]*imports[ \t]*=[^\n]*\]?[^\n]*(?:\n|$)/m.exec(topLevel);
  let out: string;
  if (existing) {
    out = text.slice(0, existing.index) + line + text.slice(existing.index + existing[0].length);
  } else {
    const version = /^[ \t]*version[ \t]*=[^\n]*\n/m.exec(topLevel);
    const at = version ? version.index + version[0].length : 0;
    out = text.slice(0, at) + line + text.slice(at);
  }
  const { imports: _, ...rest } = config;
  const expected = imports.length === 0 ? rest : { ...rest, imports };
  let result: Table | undefined;
  try {
    result = parseToml(out) as Table;
  } catch {
    result = undefined;
  }
  // structuredClone: smol-toml's tables have no prototype, which a strict comparison would count.
  if (!isDeepStrictEqual(structuredClone(result), structuredClone(expected))) {
    throw new Refusal(`${file}: cannot edit its imports line safely (it spans several lines?): set imports = ${JSON.stringify(imports)} by hand; nothing was changed`);
  }
  return out;
}

/** Offset of the first `[table]` header: top-level keys such as imports must come before it. */
function firstTableHeader(text: string): number {
  const header = /^[ \t]*\[/m.exec(text);
  return header ? header.index : text.length;
}

/** The value at a path of keys, or undefined where any table on the way is missing. */
export function dig(value: unknown, keys: string[]): unknown {
  for (const key of keys) value = value && typeof value === "object" ? (value as Table)[key] : undefined;
  return value;
}
