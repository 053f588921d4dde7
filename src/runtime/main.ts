/**
 * The per-call path. The launcher (bin/runsc-overlay) runs this with stdin on /dev/null and stdout on
 * a pipe back to itself; it prints the shell that execs runsc, or reports a refusal and exits 1.
 *
 *   argv -> config -> runsc and its capabilities -> bundle -> plan -> (dirs, bundle edit) -> hand-over
 *
 * Node never touches the caller's stdio streams: process.stdout and friends would set O_NONBLOCK on
 * descriptions shared with the container (nodejs/node#42826). It writes with fs.writeSync only.
 */
import { mkdirSync, writeSync } from "node:fs";
import { bundleArg, parseArgv, scanLogFlags } from "./argv.js";
import { flagSyntax } from "./capabilities.js";
import { loadConfig } from "./config.js";
import { Refusal, describe } from "./errors.js";
import { locateRunsc } from "./locate.js";
import { BUNDLE_SUBCOMMANDS, type Note, makePlan } from "./plan.js";
import { OVERLAY_ANNOTATIONS, readBundle, rewriteBundle, stripAnnotations } from "./bundle.js";
import { capabilitiesOf } from "./probe.js";
import { callerLog, logNotes, reportRefusal } from "./report.js";
import { toShell } from "./shell.js";

async function main(argv: string[]): Promise<number> {
  let log = callerLog(scanLogFlags(argv));
  let ownLog: { file: string; level: "debug" | "info" | "warn" | "error" } = { file: "", level: "error" };
  const notes: Note[] = [];
  try {
    const { file: configFile, config } = loadConfig(process.env);
    ownLog = config.log;
    const runsc = locateRunsc(config.runsc.path, configFile, process.env);
    const caps = capabilitiesOf(runsc, config.cache.dir);
    const parsed = parseArgv(argv, flagSyntax(caps));
    if (parsed.kind !== "invalid") log = callerLog(parsed.flags);
    const plan = makePlan({ argc: argv.length, parsed, config, configFile, runsc, caps });
    if (plan.kind === "exec") {
      notes.push(...plan.notes);
      for (const dir of plan.dirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (parsed.kind === "command" && BUNDLE_SUBCOMMANDS.has(parsed.subcommand)) {
        const bundle = readBundle(bundleArg(argv, parsed.subcommandIndex), process.cwd());
        if (config.overlay.annotations === "enforce") {
          const stripped = stripAnnotations(bundle.text, OVERLAY_ANNOTATIONS);
          if (stripped.removed.length > 0) {
            rewriteBundle(bundle, stripped.text);
            notes.push({ level: "warn", msg: `removed ${stripped.removed.join(", ")} from ${bundle.file} (overlay.annotations = "enforce")` });
          }
        }
      }
    }
    writeSync(1, toShell(plan));
    await logNotes(notes, ownLog.file, ownLog.level, { argv });
    return 0;
  } catch (error) {
    const message = error instanceof Refusal ? error.message : `internal error: ${describe(error)}`;
    reportRefusal(message, log);
    await logNotes([...notes, { level: "error", msg: message }], ownLog.file, ownLog.level, { argv });
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
