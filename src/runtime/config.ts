/**
 * runsc-overlay's config.toml: read, validated against the JSON Schema (src/schema/config.schema.ts),
 * and checked for values the schema cannot express. Every message names the file and the key.
 */
import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import type { ErrorObject } from "ajv";
import type { Config } from "../schema/config.schema.js";
import { validateConfig } from "../schema/validators.generated.mjs";
import { Refusal, describe } from "./errors.js";
import { parseOverlay2 } from "./overlay.js";
import { readCache, writeCache } from "./cache-file.js";
import { currentIdentity, settledIdentity } from "./identity.js";
import { PLANNER } from "./planner.js";

export const DEFAULT_CONFIG_FILE = "/etc/runsc-overlay/config.toml";

export interface LoadedConfig {
  /** The file read, or the default path that was absent. */
  file: string;
  config: Config;
}

/**
 * The config a call reads: the one RUNSC_OVERLAY_CONFIG names (which must exist), else the one the
 * launcher was installed with (RUNSC_OVERLAY_DEFAULT_CONFIG, set by the launcher), where absence means
 * the defaults.
 */
export function configFile(env: NodeJS.ProcessEnv): { file: string; explicit: boolean } {
  const named = env.RUNSC_OVERLAY_CONFIG;
  return named ? { file: named, explicit: true } : { file: env.RUNSC_OVERLAY_DEFAULT_CONFIG || DEFAULT_CONFIG_FILE, explicit: false };
}

/**
 * The config, from `cache` (a JSON copy made by an earlier call of this planner) while the file's
 * identity is unchanged: parsing and validating TOML on every call costs milliseconds. Without
 * `cache`, read every time.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cache?: { root: string; file: string }): LoadedConfig {
  const { file } = configFile(env);
  const now = currentIdentity(file);
  // No copy of a file that is not there: one named by RUNSC_OVERLAY_CONFIG must be refused each time.
  if (cache === undefined || now === "absent") return readConfig(env);
  try {
    const cached = JSON.parse(readCache(cache.file, cache.root) ?? "null") as { planner: string; file: string; identity: string; config: Config } | null;
    if (cached?.planner === PLANNER && cached.file === file && cached.identity === now) return { file, config: cached.config };
  } catch {
    // A copy that cannot be read: read the file.
  }
  const loaded = readConfig(env);
  const settled = settledIdentity(file);
  if (settled !== undefined && settled !== "absent") {
    try {
      writeCache(cache.file, JSON.stringify({ planner: PLANNER, file, identity: settled, config: loaded.config }), cache.root);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
  return loaded;
}

function readConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const { file, explicit } = configFile(env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No config file at the default place means the defaults; a file named on purpose must exist.
    if (code === "ENOENT" && !explicit) text = "";
    else throw new Refusal(`cannot read config ${file} (named by RUNSC_OVERLAY_CONFIG): ${describe(error)}`);
  }
  return { file, config: parseConfig(text, file) };
}

/** Pure: TOML text to a validated config with every default filled in. */
export function parseConfig(text: string, file: string): Config {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    throw new Refusal(`config ${file} is not valid TOML: ${describe(error).split("\n")[0]}`);
  }
  if (!validateConfig(data)) throw new Refusal(`config ${file}: ${schemaMessage(validateConfig.errors?.[0])}`);
  const config = data as Config;
  const overlay = parseOverlay2(config.overlay.overlay2);
  if (typeof overlay === "string") throw new Refusal(`config ${file}: overlay.overlay2 = ${overlay}`);
  for (const flag of config.runsc.flags) {
    if (/^--?overlay2?(=|$)/.test(flag)) {
      throw new Refusal(`config ${file}: runsc.flags has "${flag}": set the overlay with overlay.overlay2, which runsc-overlay enforces`);
    }
  }
  if (config.runsc.path !== "" && !config.runsc.path.startsWith("/")) {
    throw new Refusal(`config ${file}: runsc.path = "${config.runsc.path}" must be an absolute path, or "" to search for runsc`);
  }
  return config;
}

function schemaMessage(error: ErrorObject | undefined): string {
  if (!error) return "invalid";
  const key = error.instancePath.slice(1).replaceAll("/", ".");
  if (error.keyword === "additionalProperties") {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `unknown key ${key ? `${key}.` : ""}${extra}`;
  }
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
    return `${key} must be one of ${allowed.join(", ")}`;
  }
  if (error.keyword === "pattern") {
    return key.startsWith("runsc.flags") ? `${key} must be a flag such as "--network=host"` : `${key} must be an absolute path`;
  }
  return `${key || "the file"} ${error.message ?? "is invalid"}`;
}
