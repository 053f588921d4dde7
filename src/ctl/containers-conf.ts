/**
 * Podman's containers.conf and the runtime runsc-overlay adds to it: `[engine.runtimes] NAME =
 * [launcher]`, so that `podman --runtime NAME` finds it, and NAME in `[engine] runtime_supports_json`,
 * so that Podman passes `--log-format=json --log FILE` and reads our error from it (otherwise it shows
 * the JSON line raw). Pure: text in, text out.
 *
 * Edited as lines, so that every other line, comment and order stays: each line install adds carries
 * MARK, and a line it changes keeps the original after `was: `, so that uninstall gives back the file
 * as it was. The result is checked by parsing: it must hold exactly the file's own settings plus ours.
 */
import { Refusal } from "../runtime/errors.js";
import { parseToml, tomlHolds } from "./files.js";

/** Podman 4's built-in runtime_supports_json: a file that sets the list replaces these. */
export const PODMAN_JSON_RUNTIMES = ["crun", "runc", "kata", "runsc", "krun"];

const MARK = "# runsc-overlay-ctl";
const WAS = `${MARK} was: `;

type Table = Record<string, unknown>;

/** The runtime_supports_json a file sets, if it sets one. */
export function jsonRuntimesOf(config: Table): string[] | undefined {
  const value = (config.engine as Table | undefined)?.runtime_supports_json;
  return Array.isArray(value) && value.every((entry) => typeof entry === "string") ? value : undefined;
}

/**
 * The file with runtime `name` = `launcher`, and `name` among the runtimes whose JSON errors Podman
 * reads: added to the file's own list, or to `inherited` (what Podman would otherwise use) where the
 * file sets none, since a list in the file replaces the inherited one. With `makeDefault`, also
 * Podman's default runtime.
 */
export function withPodmanRuntime(original: string, file: string, runtime: { name: string; launcher: string; makeDefault: boolean }, inherited: readonly string[]): string {
  const { name, launcher, makeDefault } = runtime;
  const registered = registeredName(original);
  if (registered !== undefined && registered !== name) {
    throw new Refusal(`${file} already has runtime ${registered} from runsc-overlay-ctl install podman: run uninstall podman first, or pass another --config; nothing was changed`);
  }
  const text = withoutPodmanRuntime(original);
  const config = parseToml(text, file);
  const engine = (config.engine ?? {}) as Table;
  if (name in ((engine.runtimes ?? {}) as Table)) throw new Refusal(`${file} already defines a runtime ${name} of its own: remove it, or pass another --name; nothing was changed`);
  const settings: Table = { runtime_supports_json: [...new Set([...(jsonRuntimesOf(config) ?? inherited), name])], ...(makeDefault ? { runtime: name } : {}) };
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const appended: string[] = [];

  const engineAt = headerIndex(lines, "engine");
  const engineEnd = nextHeader(lines, engineAt);
  const inserted: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const line = `${key} = ${tomlValue(value as string | string[])} ${MARK}`;
    const at = engineAt < 0 ? -1 : lines.findIndex((candidate, index) => index > engineAt && index < engineEnd && new RegExp(`^\\s*${key}\\s*=`).test(candidate));
    if (key in engine && at < 0) throw new Refusal(`${file}: cannot find its ${key} line under [engine]: set it by hand; nothing was changed`);
    if (at >= 0) lines[at] = `${line.slice(0, -MARK.length)}${WAS}${lines[at]}`;
    else inserted.push(line);
  }
  if (engineAt >= 0) lines.splice(engineAt + 1, 0, ...inserted);
  else if (inserted.length > 0) appended.push(`[engine] ${MARK}`, ...inserted);
  const entry = `${/^[\w-]+$/.test(name) ? name : JSON.stringify(name)} = ${tomlValue([launcher])} ${MARK}`;
  const runtimesAt = headerIndex(lines, "engine.runtimes");
  if (runtimesAt >= 0) lines.splice(runtimesAt + 1, 0, entry);
  else appended.push(`[engine.runtimes] ${MARK}`, entry);

  const out = `${[...lines, ...appended].join("\n")}\n`;
  const expected = { ...config, engine: { ...engine, ...settings, runtimes: { ...((engine.runtimes ?? {}) as Table), [name]: [launcher] } } };
  if (!tomlHolds(out, expected)) {
    throw new Refusal(`${file}: cannot add the runtime safely (its engine settings are written inline or as dotted keys?): add it by hand; nothing was changed`);
  }
  return out;
}

/** The runtime a file holds from install, if any: one a file, as uninstall removes every line install added. */
function registeredName(text: string): string | undefined {
  const keys = [...text.matchAll(new RegExp(`^("(?:[^"\\\\]|\\\\.)*"|[\\w-]+) = \\[.*\\] ${MARK}$`, "gm"))].map((match) => match[1]!);
  const key = keys.find((candidate) => candidate !== "runtime_supports_json");
  return key === undefined ? undefined : key.startsWith('"') ? (JSON.parse(key) as string) : key;
}

/** The file without what withPodmanRuntime added: the lines it added removed, the line it changed as it was. */
export function withoutPodmanRuntime(text: string): string {
  if (!text.includes(MARK)) return text;
  return text
    .split("\n")
    .flatMap((line) => {
      const was = line.indexOf(WAS);
      if (was >= 0) return [line.slice(was + WAS.length)];
      return line.trimEnd().endsWith(MARK) ? [] : [line];
    })
    .join("\n");
}

/** A string or an array of strings, in TOML: JSON's string escapes are TOML's too. */
function tomlValue(value: string | string[]): string {
  return Array.isArray(value) ? `[${value.map((entry) => JSON.stringify(entry)).join(", ")}]` : JSON.stringify(value);
}

/** The line of a `[table]` header, or -1. */
function headerIndex(lines: string[], table: string): number {
  const pattern = new RegExp(`^\\s*\\[\\s*${table.split(".").join("\\s*\\.\\s*")}\\s*\\]\\s*(#.*)?$`);
  return lines.findIndex((line) => pattern.test(line));
}

function nextHeader(lines: string[], after: number): number {
  const at = lines.findIndex((line, index) => index > after && /^\s*\[/.test(line));
  return at < 0 ? lines.length : at;
}
