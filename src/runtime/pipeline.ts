/**
 * The pure part of a call, from argv to plan, shared by the runtime (which then hands over) and by
 * `runsc-overlay-ctl explain` (which prints). Each step records what it found in `seen`, so that a
 * refusal can still be reported where the caller looks: its --log, and our own log file.
 */
import { isAbsolute, normalize } from "node:path";
import type { Config } from "../schema/config.schema.js";
import { type ParsedArgv, bundleArg, parseArgv } from "./argv.js";
import { type Capabilities, flagSyntax, subcommandSyntax } from "./capabilities.js";
import { configFile as configFileOf, loadConfig } from "./config.js";
import { type RunscSearch, searchRunsc } from "./locate.js";
import { type Plan, makePlan } from "./plan.js";
import { type Bundle, checkSpec, mayHoldOverlayKeys, readBundle } from "./bundle.js";
import { capabilitiesOf } from "./probe.js";

export interface Seen {
  configFile?: string;
  config?: Config;
  runsc?: string;
  search?: RunscSearch;
  caps?: Capabilities;
  parsed?: ParsedArgv;
  bundle?: Bundle;
}

/**
 * `argv` and `pwd` are byte strings (spec-file.ts): the words runsc will get, and the `$PWD` it will
 * see, from which it finds a bundle given by the working directory.
 */
export function planCall(argv: string[], env: NodeJS.ProcessEnv, pwd: string | undefined, seen: Seen = {}): Plan {
  const cache = planCache(env, configFileOf(env).file);
  const { file: configFile, config } = loadConfig(env, cache && { root: cache.root, file: `${cache.prefix}.json` });
  Object.assign(seen, { configFile, config });
  const search = (seen.search = searchRunsc(config.runsc.path, configFile, env));
  const runsc = (seen.runsc = search.runsc);
  const caps = (seen.caps = capabilitiesOf(runsc, config.cache.dir));
  const parsed = (seen.parsed = parseArgv(argv, flagSyntax(caps)));
  const bundleFlag = bundleArg(argv, parsed, subcommandSyntax(caps));
  // Under "allow" the bundle is runsc's alone to read and judge.
  const bundle = (seen.bundle = bundleFlag === null || config.overlay.annotations !== "enforce" ? undefined : readBundle(bundleFlag, pwd));
  if (bundle && mayHoldOverlayKeys(bundle.raw)) checkSpec(bundle);
  return makePlan({ argc: argv.length, parsed, config, configFile, runsc, caps, bundle });
}

/**
 * Where the launcher keeps what it caches for this config, under the cache directory it names
 * (RUNSC_OVERLAY_CACHE): `<prefix>.sh`, the fast path's data; `<prefix>.json`, the parsed config.
 * Nothing for a config path that is not absolute and normalized, as in the launcher: a `..` would
 * lead out of the cache directory.
 */
export function planCache(env: NodeJS.ProcessEnv, configFile: string): { root: string; prefix: string } | undefined {
  const root = env.RUNSC_OVERLAY_CACHE;
  if (!root || !isAbsolute(configFile) || normalize(configFile) !== configFile) return undefined;
  return { root: `${root}/plans`, prefix: `${root}/plans${configFile}` };
}

/** The command line a plan execs, with the caller's words filled in. */
export function execArgv(plan: Extract<Plan, { kind: "exec" }>, argv: readonly string[]): string[] {
  return plan.words.map((word) => ("arg" in word ? argv[word.arg]! : word.text));
}
