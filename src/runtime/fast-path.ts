/**
 * The fast path: a shell fragment that plans, without Node, the calls that read no bundle.
 *
 * Such a call's plan depends only on the argv, the config and the runsc binary: our flags go in front
 * of the subcommand, whatever else the command line says (see globalPlan). So once Node has planned
 * one call for a config and a runsc, it writes this fragment, and the launcher sources it on every
 * later call. The fragment walks the global flags the way argv.ts does, checks that nothing it was
 * made from has changed (the config file's and runsc's identity, PATH where runsc was searched for,
 * the filestore directory), and execs runsc itself. Anything it is not sure of (a bundle
 * call, `features`, a flag it does not know, one of the flags the plan judges, a changed input) makes
 * it return to the launcher, which runs Node. test/runtime/fast-path.test.ts runs every command line
 * of the plan table through both paths.
 */
import { statSync } from "node:fs";
import { BUNDLE_SUBCOMMANDS, type FlagSyntax } from "./argv.js";
import { flagSyntax } from "./capabilities.js";
import type { Seen } from "./pipeline.js";
import { due } from "./report.js";
import { readCache, writeCache } from "./cache-file.js";
import { PLANNER } from "./planner.js";
import { STAT_FORMAT, settledIdentity } from "./identity.js";
import { type GlobalPlan, JUDGED_FLAGS, globalPlan } from "./plan.js";
import { quote } from "./shell.js";

export interface FastPathInput {
  /** The planner that made it (planner.ts): the launcher runs the fragment only if it is its own. */
  planner: string;
  /** The config file the plan was made from (present, or the absent default). */
  configFile: string;
  /** The files the plan was made from, with their identity (identity.ts). */
  identities: { file: string; identity: string }[];
  /** Files that must still not exist: the config file, where absent, and runsc candidates passed over. */
  absent: string[];
  /** The PATH runsc was searched in, or undefined where runsc.path names it. */
  path: string | undefined;
  stat: string;
  runsc: string;
  syntax: FlagSyntax;
  global: GlobalPlan;
  /** Subcommands Node must see (bundle calls, `features`). */
  nodeSubcommands: readonly string[];
  /** Caller flags Node must see (the plan judges them). */
  nodeFlags: readonly string[];
}

export function fastPathFragment(input: FastPathInput): string {
  const { planner, identities, absent, path, stat, runsc, syntax, global, nodeSubcommands, nodeFlags } = input;
  const spellings = (names: Iterable<string>, suffix = "") => [...names].flatMap((name) => [`--${name}`, `-${name}`]).map((word) => casePattern(word) + suffix).join("|");
  const valued = [...syntax.valued].filter((name) => !nodeFlags.includes(name));
  const booleans = [...syntax.booleans].filter((name) => !nodeFlags.includes(name));
  const body = [
    // Go's flag rules, as in argv.ts: flags until the first word that is not one, or after `--`.
    "at=0 value= dashdash= sub=",
    "for word do",
    '  if [ -n "$dashdash" ]; then sub=$word; break; fi',
    '  if [ -n "$value" ]; then value= at=$((at + 1)); continue; fi',
    '  case $word in',
    "    --) dashdash=1; continue ;;",
    ...(valued.length > 0 ? [`    ${spellings(valued)}) value=1 ;;`, `    ${spellings(valued, "=*")}) ;;`] : []),
    ...(booleans.length > 0 ? [`    ${spellings(booleans)}|${spellings(booleans, "=*")}) ;;`] : []),
    "    -?*) return 0 ;;",
    "    *) sub=$word; break ;;",
    "  esac",
    "  at=$((at + 1))",
    "done",
    // No subcommand, a flag missing its value, or a call Node must plan.
    '[ -n "$dashdash$sub" ] && [ -z "$value" ] || return 0',
    '[ -n "$dashdash" ] && [ "$#" -le $((at + 1)) ] && return 0',
    `case $sub in ${nodeSubcommands.map(casePattern).join("|")}) return 0 ;; esac`,
    // Checked last, so that a call left to Node does not pay for the stat.
    ...(path === undefined ? [] : [`[ "$PATH" = ${quote(path)} ] || return 0`]),
    ...absent.map((file) => `[ ! -e ${quote(file)} ] || return 0`),
    // Node refuses a config that RUNSC_OVERLAY_CONFIG names and that is not there; only the default may be absent.
    ...(absent.includes(input.configFile) ? ['[ -z "${RUNSC_OVERLAY_CONFIG:-}" ] || return 0'] : []),
    `[ "$(${quote(stat)} -L -c '${STAT_FORMAT}' -- ${identities.map((id) => quote(id.file)).join(" ")} 2>/dev/null)" = ${quote(identities.map((id) => id.identity).join("\n"))} ] || return 0`,
    ...global.dirs.map((dir) => `[ -d ${quote(dir)} ] || return 0`),
    "n=0 total=$#",
    "for word do",
    `  [ "$n" = "$at" ] && set -- "$@" ${global.inserted.map(quote).join(" ")}`,
    '  set -- "$@" "$word"',
    "  n=$((n + 1))",
    "done",
    'shift "$total"',
    `exec ${quote(runsc)} "$@"`,
  ];
  // A function, then the end marker: a fragment cut short is a syntax error (which the launcher's
  // `command .` survives) or lacks the marker, and either way is never run.
  return [
    "# runsc-overlay fast path, written by the runtime (src/runtime/fast-path.ts); sourced by the launcher.",
    "rso_fast() {",
    ...body.map((line) => `  ${line}`),
    "}",
    `rso_end=${planner}`,
    "",
  ].join("\n");
}

/** A word as a literal `case` pattern: quoted unless it has nothing special there. */
function casePattern(word: string): string {
  return /^[\w.-]+$/.test(word) ? word : quote(word);
}

/** `stat`, for the fragment's identity check: the one command it runs. */
const STAT = ["/usr/bin/stat", "/bin/stat"];

/**
 * After Node planned a call, keeps the fragment for this config and runsc, where every later call
 * that reads no bundle would get the same plan from it: none where the plan logs (the fragment
 * cannot), where runsc was found by a search it cannot repeat, where an input changed a moment ago,
 * or where the plan refuses every call. The fragment's first line names its inputs, so that a call
 * whose inputs are unchanged spends one read, not the making of a fragment.
 */
export function refreshFastPath(fragment: { root: string; file: string }, seen: Seen): void {
  const { config, configFile, search, caps } = seen;
  const stat = STAT.find((candidate) => statSync(candidate, { throwIfNoEntry: false }));
  if (!config || !configFile || !search || !caps || search.unusable || stat === undefined) return;
  const configIdentity = settledIdentity(configFile);
  const launchers = search.passed.filter((passed) => passed.launcher).map((passed) => passed.candidate);
  const files = [...(configIdentity === "absent" ? [] : [configFile]), search.runsc, ...launchers];
  const identities = files.map((file) => ({ file, identity: file === configFile ? configIdentity : settledIdentity(file) }));
  if (identities.some((id) => id.identity === undefined || id.identity === "absent")) return;
  const absent = [...(configIdentity === "absent" ? [configFile] : []), ...search.passed.filter((passed) => !passed.launcher).map((passed) => passed.candidate)];
  const inputs = `# inputs: ${JSON.stringify({ planner: PLANNER, identities, absent, path: search.path })}\n`;
  const existing = readCache(fragment.file, fragment.root);
  if (existing?.startsWith(inputs) && existing.endsWith(`\nrso_end=${PLANNER}\n`)) return;
  let global: GlobalPlan;
  try {
    global = globalPlan(config, configFile, caps, []);
  } catch {
    return;
  }
  const debugNote = { level: "debug" as const, msg: "" };
  if (due([...global.notes, debugNote], config.log.file, config.log.level).length > 0) return;
  const text = fastPathFragment({
    planner: PLANNER,
    configFile,
    identities: identities as { file: string; identity: string }[],
    absent,
    path: search.path,
    stat,
    runsc: search.runsc,
    syntax: flagSyntax(caps),
    global,
    nodeSubcommands: [...BUNDLE_SUBCOMMANDS, "features"],
    nodeFlags: JUDGED_FLAGS,
  });
  writeCache(fragment.file, inputs + text, fragment.root);
}
