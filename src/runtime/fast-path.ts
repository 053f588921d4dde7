/**
 * The fast path: what the launcher needs to plan a call without Node, written by Node as data.
 *
 * A call's plan depends only on the argv, the config and the runsc binary, plus, for create, run and
 * restore, whether the bundle holds anything to remove: our flags go in front of the subcommand,
 * whatever else the command line says (see globalPlan). So once Node has planned one call for a config
 * and a runsc, it writes this data, and the launcher's own, checked-in function (`rso_fast` in
 * bin/runsc-overlay) plans later calls from it: it walks the global flags (and a bundle call's own) by
 * Go's rules from the flag tables here, checks that nothing the plan was made from has changed (the
 * identities of the config file and runsc, PATH where runsc was searched for, absent files, the
 * filestore directory), screens a bundle's config.json for anything that could spell a key to remove,
 * and execs runsc. Anything it is not sure of returns the call to Node.
 *
 * The data is shell assignments of single-quoted values, ending with the planner's identity: the
 * launcher sources it (one read, where dash's `read` takes a system call a byte) and uses it only if
 * that last line names its own planner. test/runtime/fast-path.test.ts runs every command line of the
 * plan table through both paths.
 */
import { statSync } from "node:fs";
import type { FlagSyntax } from "./argv.js";
import { type Capabilities, flagSyntax, subcommandSyntax } from "./capabilities.js";
import { readCache, writeCache } from "./cache-file.js";
import { featuresDocument } from "./features.js";
import { settledIdentity } from "./identity.js";
import type { Seen } from "./pipeline.js";
import { PLANNER } from "./planner.js";
import { type GlobalPlan, globalPlan } from "./plan.js";
import { ANNOTATION_SCREEN, BUNDLE_SUBCOMMANDS, type BundleSubcommand, JUDGED_FLAGS, OWN_OVERLAY_SUBCOMMANDS } from "./policy.js";
import { due } from "./report.js";
import { quote } from "./shell.js";

export interface FastPathInput {
  planner: string;
  runsc: string;
  /** `grep`, which the fast path runs for a bundle call; `stat`, which every call runs, is the launcher's own. */
  grep: string;
  /** What the data was made from, as one line: a call whose inputs are unchanged spends one read. */
  inputs: string;
  /** The files the plan was made from, with their identity (identity.ts). */
  identities: { file: string; identity: string }[];
  /** Files that must still not exist: runsc candidates passed over, and the config file where absent. */
  absent: string[];
  /** The default config was absent: a call that names a config (which Node requires to exist) goes to Node. */
  configAbsent: boolean;
  /** The PATH runsc was searched in, or undefined where runsc.path names it. */
  path: string | undefined;
  syntax: FlagSyntax;
  subcommands: Partial<Record<BundleSubcommand, FlagSyntax>>;
  global: GlobalPlan;
  /** Caller flags Node must see (the plan judges them). */
  nodeFlags: readonly string[];
  /** `features`: the document to print, or undefined where runsc answers it itself. */
  features: string | undefined;
}

/** The data, or undefined where a value cannot be carried (a newline in a path or word: the lists are lines). */
export function fastPathData(input: FastPathInput): string | undefined {
  const lines = (values: readonly string[]) => (values.some((value) => value.includes("\n") || value === "") ? undefined : values.join("\n"));
  // Flag names go in space-separated lists the launcher matches with `case`: only plain names.
  const names = (set: Iterable<string>, judged: readonly string[] = []) => [...set].filter((name) => /^[\w.-]+$/.test(name) && !judged.includes(name)).join(" ");
  const files = lines(input.identities.map((id) => id.file));
  const absent = lines(input.absent);
  const dirs = lines(input.global.dirs);
  const inserted = lines(input.global.inserted);
  if ([files, absent, dirs, inserted].includes(undefined) || (input.path ?? "").includes("\n")) return undefined;
  const values: [string, string][] = [
    ["rso_runsc", input.runsc],
    ["rso_grep", input.grep],
    ["rso_identities", input.identities.map((id) => id.identity).join("\n")],
    ["rso_absent", absent!],
    ["rso_config_absent", input.configAbsent ? "1" : ""],
    ["rso_path_searched", input.path === undefined ? "" : "1"],
    ["rso_path", input.path ?? ""],
    ["rso_dirs", dirs!],
    ["rso_insert", inserted!],
    ["rso_valued", names(input.syntax.valued, input.nodeFlags)],
    ["rso_booleans", names(input.syntax.booleans, input.nodeFlags)],
    // A line per subcommand that reads a bundle: its name, its valued flags, its boolean flags. One
    // without a table (its listing unclear) is named with none, and its calls go to Node.
    ["rso_bundle_subcommands", BUNDLE_SUBCOMMANDS.join(" ")],
    ["rso_refused_subcommands", Object.keys(OWN_OVERLAY_SUBCOMMANDS).join(" ")],
    ["rso_bundle_tables", BUNDLE_SUBCOMMANDS.flatMap((sub) => (input.subcommands[sub] ? [`${sub}|${names(input.subcommands[sub]!.valued)}|${names(input.subcommands[sub]!.booleans)}`] : [])).join("\n")],
    ["rso_screen", ANNOTATION_SCREEN.join("\n")],
    ["rso_features", input.features ?? ""],
    ["rso_features_runsc", input.features === undefined ? "1" : ""],
  ];
  return `${dataHead(input)}${values.map(([name, value]) => `${name}=${quote(value)}`).join("\n")}\nrso_end=${quote(input.planner)}\n`;
}

/**
 * The data's first lines: the files to stat, in comment lines the launcher reads before it trusts the
 * rest (rso_trust), then what the data was made from.
 */
function dataHead({ identities, inputs }: Pick<FastPathInput, "identities" | "inputs">): string {
  return [`# files ${identities.length}`, ...identities.map((id) => `# ${id.file}`), `# inputs: ${inputs}`, ""].join("\n");
}

/** The two commands the fast path runs, where this machine has them. */
const STAT = ["/usr/bin/stat", "/bin/stat"];
const GREP = ["/usr/bin/grep", "/bin/grep"];

/**
 * After Node planned a call, keeps the data for this config and runsc, where every later call would
 * get the same plan from it: none where the plan logs (the launcher cannot), where runsc was found by a
 * search it cannot repeat, where an input changed a moment ago, or where the plan refuses every call.
 * The data's head names its inputs, so that a call whose inputs are unchanged spends one read.
 */
export function refreshFastPath(cache: { root: string; file: string }, seen: Seen): void {
  const { config, configFile, search, caps } = seen;
  const [stat, grep] = [STAT, GREP].map((candidates) => candidates.find((candidate) => statSync(candidate, { throwIfNoEntry: false })));
  if (!config || !configFile || !search || !caps || search.unusable || stat === undefined || grep === undefined) return;
  const configIdentity = settledIdentity(configFile);
  const launchers = search.passed.filter((passed) => passed.launcher).map((passed) => passed.candidate);
  const files = [...(configIdentity === "absent" ? [] : [configFile]), search.runsc, ...launchers];
  const settled = files.map((file) => ({ file, identity: file === configFile ? configIdentity : settledIdentity(file) }));
  if (settled.some((id) => id.identity === undefined || id.identity === "absent")) return;
  const identities = settled as { file: string; identity: string }[];
  const absent = [...(configIdentity === "absent" ? [configFile] : []), ...search.passed.filter((passed) => !passed.launcher).map((passed) => passed.candidate)];
  const inputs = JSON.stringify({ planner: PLANNER, identities, absent, path: search.path });
  const existing = readCache(cache.file, cache.root);
  if (existing?.startsWith(dataHead({ identities, inputs })) && existing.endsWith(`\nrso_end=${quote(PLANNER)}\n`)) return;
  let global: GlobalPlan;
  try {
    global = globalPlan(config, configFile, caps, []);
  } catch {
    return;
  }
  const debugNote = { level: "debug" as const, msg: "" };
  if (due([...global.notes, debugNote], config.log.file, config.log.level).length > 0) return;
  const data = fastPathData({
    planner: PLANNER,
    inputs,
    runsc: search.runsc,
    grep,
    identities,
    absent,
    configAbsent: configIdentity === "absent",
    path: search.path,
    syntax: flagSyntax(caps),
    subcommands: subcommandSyntax(caps),
    global,
    nodeFlags: JUDGED_FLAGS,
    features: featuresOf(caps),
  });
  if (data !== undefined) writeCache(cache.file, data, cache.root);
}

function featuresOf(caps: Capabilities): string | undefined {
  return caps.features ? undefined : featuresDocument(caps);
}
