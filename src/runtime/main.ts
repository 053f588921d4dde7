/**
 * The per-call path. The launcher (bin/runsc-overlay) runs this with stdin on /dev/null and stdout on
 * a pipe back to itself; it prints the shell that execs runsc, or reports a refusal and exits 1.
 *
 *   argv -> config -> runsc and its capabilities -> bundle -> plan -> (dirs, bundle edit) -> hand-over
 *
 * Node never creates its stdio stream objects: they would set O_NONBLOCK on file descriptions shared
 * with the container (nodejs/node#42826). It writes to fds 1 and 2 with fs.writeSync only.
 */
import { readFileSync, writeSync } from "node:fs";
import { scanLogFlags } from "./argv.js";
import { rewriteBundle } from "./bundle.js";
import { makeDirs } from "./dirs.js";
import { Refusal, describe } from "./errors.js";
import { refreshFastPath } from "./fast-path.js";
import { execArgv, planCache, planCall, type Seen } from "./pipeline.js";
import type { Note } from "./plan.js";
import { callerLog, logNotes, reportRefusal } from "./report.js";
import { toShell } from "./shell.js";
import { shown } from "./spec-file.js";

async function main(argv: string[]): Promise<number> {
  const seen: Seen = {};
  const notes: Note[] = [];
  const ownLog = () => seen.config?.log ?? { file: "", level: "error" as const };
  try {
    const plan = planCall(argv, process.env, ownEnv("RUNSC_OVERLAY_PWD"), seen);
    if (plan.kind === "exec") {
      notes.push(...plan.notes, { level: "debug", msg: `exec ${JSON.stringify(execArgv(plan, argv).map(shown))}` });
      for (const dir of plan.dirs) makeDirs(dir, 0o700);
      if (plan.bundleEdit) rewriteBundle(plan.bundleEdit);
    }
    const cache = seen.configFile === undefined ? undefined : planCache(process.env, seen.configFile);
    if (plan.kind === "exec" && cache) keepFastPathQuietly({ root: cache.root, file: `${cache.prefix}.sh` }, seen);
    writeSync(1, toShell(plan));
    await logNotes(notes, ownLog().file, ownLog().level, { argv: argv.map(shown) });
    return 0;
  } catch (error) {
    const message = error instanceof Refusal ? error.message : `internal error: ${describe(error)}`;
    const flags = seen.parsed && seen.parsed.kind !== "invalid" ? seen.parsed.flags : scanLogFlags(argv);
    reportRefusal(message, callerLog(flags));
    await logNotes([...notes, { level: "error", msg: message }], ownLog().file, ownLog().level, { argv: argv.map(shown) });
    return 1;
  }
}

/** The fast path only saves time: a cache that cannot be written never fails a call. */
function keepFastPathQuietly(data: { root: string; file: string }, seen: Seen): void {
  try {
    refreshFastPath(data, seen);
  } catch {
    // The next call plans in Node again.
  }
}

/**
 * The caller's words as bytes (a latin1 string each), from the kernel's copy: process.argv decodes
 * them as UTF-8, turning every invalid byte into U+FFFD, so a bundle path that is not UTF-8 would name
 * another file than the one runsc opens.
 */
function ownArgv(): string[] {
  const count = process.argv.length - 2;
  const words = readFileSync("/proc/self/cmdline").toString("latin1").split("\0").slice(0, -1);
  return count === 0 ? [] : words.slice(-count);
}

/** A variable of Node's own environment, which the launcher set, as bytes; undefined where unset. */
function ownEnv(name: string): string | undefined {
  const entry = readFileSync("/proc/self/environ").toString("latin1").split("\0").find((pair) => pair.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

// A CommonJS bundle (see scripts/build.mjs): no top-level await.
void main(ownArgv()).then((code) => {
  process.exitCode = code;
});
