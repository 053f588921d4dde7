/** Podman's configuration files, as containers/common reads them, and what they make of our runtime. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PODMAN_JSON_RUNTIMES, jsonRuntimesOf } from "./containers-conf.js";
import { parseToml, readIfExists } from "./files.js";

/** Where `install podman` writes by default: a drop-in of its own, or the one file CONTAINERS_CONF names. */
export function podmanConfigFile(env: NodeJS.ProcessEnv): string {
  return env.CONTAINERS_CONF || "/etc/containers/containers.conf.d/50-runsc-overlay.conf";
}

/**
 * The files Podman reads, in order, each overriding the one before: only CONTAINERS_CONF where it is
 * set; else the packaged defaults, /etc/containers/containers.conf and its drop-ins, sorted.
 */
export function podmanConfigFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.CONTAINERS_CONF) return [env.CONTAINERS_CONF];
  const dropIns = "/etc/containers/containers.conf.d";
  let names: string[] = [];
  try {
    names = readdirSync(dropIns).filter((name) => name.endsWith(".conf")).sort();
  } catch {
    // No drop-in directory.
  }
  return ["/usr/share/containers/containers.conf", "/etc/containers/containers.conf", ...names.map((name) => join(dropIns, name))];
}

/**
 * runtime_supports_json as Podman would have it without `file`, and the files read after `file` that
 * set it again (which would drop our runtime from it).
 */
export function jsonRuntimesAround(file: string, files: string[]): { inherited: string[]; overriddenBy: string[] } {
  const at = files.indexOf(file);
  const lists = (names: string[]) => names.flatMap((name) => {
    const text = readIfExists(name);
    const list = text === undefined ? undefined : jsonRuntimesOf(parseToml(text, name));
    return list ? [{ name, list }] : [];
  });
  const before = lists(at < 0 ? files : files.slice(0, at));
  return { inherited: before.at(-1)?.list ?? PODMAN_JSON_RUNTIMES, overriddenBy: at < 0 ? [] : lists(files.slice(at + 1)).map(({ name }) => name) };
}
