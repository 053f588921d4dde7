/**
 * The per-call path. The launcher (bin/runsc-overlay) runs this with stdin on /dev/null and stdout on
 * a pipe back to itself; it prints the shell that execs runsc, or reports a refusal and exits 1.
 *
 *   argv -> config -> runsc and its capabilities -> bundle -> plan -> (dirs, bundle edit) -> hand-over
 *
 * Node never creates its stdio stream objects: they would set O_NONBLOCK on file descriptions shared
 * with the container (nodejs/node#42826). It writes to fds 1 and 2 with fs.writeSync only.
 */
import { writeSync } from "node:fs";
import type { Config } from "../schema/config.schema.js";
import { bundleArg, parseArgv, scanLogFlags } from "./argv.js";
import { flagSyntax } from "./capabilities.js";
import { loadConfig } from "./config.js";
import { makeDirs } from "./dirs.js";
import { Refusal, describe } from "./errors.js";
import { locateRunsc } from "./locate.js";
import { type Note, makePlan } from "./plan.js";
import { readBundle, rewriteBundle } from "./bundle.js";
import { capabilitiesOf } from "./probe.js";
import { callerLog, logNotes, reportRefusal } from "./report.js";
import { toShell } from "./shell.js";

async function main(argv: string[]): Promise<number> {
  let log = callerLog(scanLogFlags(argv));
  let ownLog: Config["log"] = { file: "", level: "error" };
  const notes: Note[] = [];
  try {
    const { file: configFile, config } = loadConfig(process.env);
    ownLog = config.log;
    const runsc = locateRunsc(config.runsc.path, configFile, process.env);
    const caps = capabilitiesOf(runsc, config.cache.dir);
    const parsed = parseArgv(argv, flagSyntax(caps));
    if (parsed.kind !== "invalid") log = callerLog(parsed.flags);
    const bundleDir = bundleArg(argv, parsed);
    const bundle = bundleDir === null ? undefined : readBundle(bundleDir, process.cwd());
    const plan = makePlan({ argc: argv.length, parsed, config, configFile, runsc, caps, bundle });
    if (plan.kind === "exec") {
      const runscArgv = plan.words.map((word) => ("arg" in word ? argv[word.arg]! : word.text));
      notes.push(...plan.notes, { level: "debug", msg: `exec ${JSON.stringify(runscArgv)}` });
      for (const dir of plan.dirs) makeDirs(dir, 0o700);
      if (plan.bundleEdit) rewriteBundle(plan.bundleEdit.bundle, plan.bundleEdit.text);
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
