/**
 * The decision: which runsc command line to exec for this call. Pure: everything it needs has been
 * read by the steps before it, and everything it wants done comes back as data.
 */
import type { ParsedArgv, GlobalFlag } from "./argv.js";
import { lastValue } from "./argv.js";
import type { Capabilities } from "./capabilities.js";
import type { Config } from "../schema/config.schema.js";
import { type Bundle, stripAnnotations } from "./bundle.js";
import { FILE_ACCESS_FLAG, OVERLAY_FLAGS, OWN_OVERLAY_SUBCOMMANDS, annotationFamily, judgeAnnotation, releaseOf } from "./policy.js";
import { Refusal } from "./errors.js";
import { featuresDocument } from "./features.js";
import { type Overlay2, overlayEnabled, parseOverlay2, renderOverlay2 } from "./overlay.js";

/** A word of the new command line: one of the caller's, passed by position, or one of ours. */
export type Word = { arg: number } | { text: string };

export interface Note {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
}

export type Plan =
  | {
      kind: "exec";
      words: Word[];
      /** Directories to create (0700) before runsc starts: a `dir=` filestore. */
      dirs: string[];
      /** config.json with the overlay annotations removed, to write before runsc reads it. */
      bundleEdit: { bundle: Bundle; bytes: Buffer; removed: string[] } | undefined;
      notes: Note[];
    }
  /** runsc-overlay answers the call itself: print this on stdout and exit 0. */
  | { kind: "print"; text: string };

export interface PlanInput {
  argc: number;
  parsed: ParsedArgv;
  config: Config;
  configFile: string;
  runsc: string;
  caps: Capabilities;
  /** The bundle of a create/run/restore call. */
  bundle: Bundle | undefined;
}

/** What every call of a given config and runsc gets, whatever else its command line says. */
export interface GlobalPlan {
  /** Our global flags, inserted before the subcommand: runsc.flags, then --overlay2. */
  inserted: string[];
  dirs: string[];
  notes: Note[];
  /** The --file-access that runsc will run with, where runsc.flags or the caller sets one. */
  fileAccess: string | undefined;
}

export function globalPlan(config: Config, configFile: string, caps: Capabilities, callerFlags: GlobalFlag[]): GlobalPlan {
  const overlay = planOverlay(config, configFile, caps);
  const ours = configFlags(config, configFile, caps);
  const fromConfig = ours.filter((flag) => flag.name === FILE_ACCESS_FLAG).at(-1);
  const fileAccess = fromConfig?.value ?? lastValue(callerFlags, FILE_ACCESS_FLAG);
  checkFileAccess(fileAccess, fromConfig !== undefined, overlay.value ?? caps.overlay2?.default ?? "none", configFile);
  const inserted = [...ours.map((flag) => flag.text), ...(overlay.value === undefined ? [] : [`--overlay2=${overlay.value}`])];
  return { inserted, dirs: overlay.dirs, notes: overlay.notes, fileAccess };
}

export function makePlan({ argc, parsed, config, configFile, runsc, caps, bundle }: PlanInput): Plan {
  const callerWords = (from: number, to: number): { arg: number }[] => Array.from({ length: to - from }, (_, i) => ({ arg: from + i }));
  const untouched: Plan = { kind: "exec", words: [{ text: runsc }, ...callerWords(0, argc)], dirs: [], bundleEdit: undefined, notes: [] };
  // runsc rejects what it cannot parse before it does anything: let it say so in its own words.
  if (parsed.kind !== "command") return untouched;
  if (parsed.subcommand === "features") {
    return caps.features ? untouched : { kind: "print", text: featuresDocument(caps) };
  }
  // Own keys only: a subcommand word such as `toString` names no entry.
  const own = Object.hasOwn(OWN_OVERLAY_SUBCOMMANDS, parsed.subcommand) ? OWN_OVERLAY_SUBCOMMANDS[parsed.subcommand] : undefined;
  if (own !== undefined) throw new Refusal(`runsc ${parsed.subcommand} ${own}, so runsc-overlay cannot apply overlay.overlay2 of ${configFile}: run it with runsc itself`);
  const global = globalPlan(config, configFile, caps, parsed.flags);
  const removed = new Set(parsed.flags.filter((flag) => OVERLAY_FLAGS.has(flag.name)).flatMap((flag) => [flag.index, flag.index + flag.words - 1]));
  const edit = bundle && config.overlay.annotations === "enforce" ? enforceAnnotations(bundle, config, configFile, caps) : undefined;
  const stripped = edit !== undefined && edit.removed.length > 0;
  return {
    kind: "exec",
    words: [
      { text: runsc },
      ...callerWords(0, parsed.insertAt).filter((word) => !removed.has(word.arg)),
      ...global.inserted.map((text) => ({ text })),
      ...callerWords(parsed.insertAt, argc),
    ],
    dirs: global.dirs,
    bundleEdit: stripped ? { bundle: bundle!, ...edit } : undefined,
    notes: [
      ...global.notes,
      ...(stripped ? removalNotes(edit.removed, bundle!.file) : []),
    ],
  };
}

/** The bundle's annotations judged by the policy: what to remove, or a refusal naming every key refused and why. */
function enforceAnnotations(bundle: Bundle, config: Config, configFile: string, caps: Capabilities): { bytes: Buffer; removed: string[] } {
  const release = releaseOf(caps.version);
  const edit = stripAnnotations(bundle.raw, (key) => judgeAnnotation(key, release, config.overlay.allow_annotations).action);
  if (edit.refused.length > 0) {
    const reasons = byFamily(edit.refused).map(({ keys, name, effect }) => `${keys.join(", ")}: ${effect} (family "${name}")`);
    throw new Refusal(
      `${bundle.file} has ${reasons.join("; ")}. Under overlay.annotations = "enforce" runsc-overlay refuses it, as removing it would start the container on another root than it asked for: ` +
        `remove it from the container's annotations, or add the family to overlay.allow_annotations in ${configFile}`,
    );
  }
  return edit;
}

function removalNotes(removed: readonly string[], file: string): Note[] {
  return byFamily(removed).map(({ keys, effect }) => ({ level: "warn", msg: `removed ${keys.join(", ")} from ${file} (overlay.annotations = "enforce"): ${effect}` }));
}

/** Keys grouped by their family, in the order of their first key. */
function byFamily(keys: readonly string[]): { name: string; effect: string; keys: string[] }[] {
  const groups = new Map<string, { name: string; effect: string; keys: string[] }>();
  for (const key of new Set(keys)) {
    const family = annotationFamily(key)!;
    const group = groups.get(family.name) ?? { name: family.name, effect: family.effect, keys: [] };
    group.keys.push(key);
    groups.set(family.name, group);
  }
  return [...groups.values()];
}

interface OverlayPlan {
  /** The `--overlay2` value to insert; undefined to insert none. */
  value: string | undefined;
  /** Directories that must exist before runsc starts (a `dir=` filestore). */
  dirs: string[];
  notes: Note[];
}

function planOverlay(config: Config, configFile: string, caps: Capabilities): OverlayPlan {
  const { overlay2, fallback, fallback_dir } = config.overlay;
  const wanted = parseOverlay2(overlay2) as Overlay2; // config.ts has rejected invalid values
  const where = `overlay.overlay2 = "${overlay2}" in ${configFile}`;
  const grammar = caps.overlay2;
  if (grammar === null) {
    if (wanted.kind === "none") return { value: undefined, dirs: [], notes: [] };
    return fallBack(`runsc ${caps.version} has no --overlay2 flag (gVisor before release-20221205.0)`, false);
  }
  const rendered = renderOverlay2(wanted, grammar);
  if ("value" in rendered) return { value: rendered.value, dirs: dirsOf(wanted), notes: [] };
  return fallBack(`runsc ${caps.version} ${rendered.unsupported}`, wanted.kind === "on" && wanted.medium.kind === "self");

  function fallBack(why: string, dirCanHelp: boolean): OverlayPlan {
    if (fallback === "passthrough") {
      return { value: undefined, dirs: [], notes: [{ level: "info", msg: `${why}: ${where} not applied, overlay.fallback = "passthrough" leaves the overlay to runsc` }] };
    }
    if (fallback === "dir" && dirCanHelp && wanted.kind === "on") {
      const substitute: Overlay2 = { ...wanted, medium: { kind: "dir", path: fallback_dir } };
      const rendered = renderOverlay2(substitute, grammar!);
      if ("value" in rendered) {
        return { value: rendered.value, dirs: [fallback_dir], notes: [{ level: "info", msg: `${why}: using the host-backed filestore in ${fallback_dir} (overlay.fallback = "dir")` }] };
      }
      why = `runsc ${caps.version} ${rendered.unsupported}`;
    }
    throw new Refusal(`${why}, so ${where} cannot be applied: install a newer runsc (Debian 13's or gVisor's own), or set overlay.fallback = "passthrough" to accept runsc's default`);
  }
}

function dirsOf(overlay: Overlay2): string[] {
  return overlay.kind === "on" && overlay.medium.kind === "dir" ? [overlay.medium.path] : [];
}

/** runsc.flags, checked against the flags this runsc knows: an unknown flag would kill every call. */
function configFlags(config: Config, configFile: string, caps: Capabilities): { name: string; value: string; text: string }[] {
  return config.runsc.flags.map((text) => {
    const match = /^--?([^=]+)(?:=(.*))?$/s.exec(text);
    const name = match?.[1] ?? text;
    const where = `runsc.flags entry "${text}" in ${configFile}`;
    if (caps.booleans.includes(name)) return { name, value: match?.[2] ?? "true", text };
    if (!caps.valued.includes(name)) throw new Refusal(`${where}: runsc ${caps.version} has no global flag --${name}`);
    if (match?.[2] === undefined) throw new Refusal(`${where}: --${name} takes a value; write it as "--${name}=VALUE"`);
    return { name, value: match[2], text };
  });
}

/** runsc refuses shared file access for an overlaid rootfs on every command; say so before it starts. */
function checkFileAccess(fileAccess: string | undefined, fromConfig: boolean, overlay2: string, configFile: string): void {
  if (fileAccess !== "shared" || !overlayEnabled(overlay2)) return;
  const source = fromConfig ? `runsc.flags in ${configFile}` : "the caller's command line (Docker runtimeArgs or the shim's options)";
  throw new Refusal(
    `--file-access=shared (from ${source}) conflicts with --overlay2=${overlay2}: runsc refuses shared file access for an overlaid root. ` +
      `Remove --file-access=shared, or set overlay.overlay2 = "none" in ${configFile} to give up the root overlay`,
  );
}
