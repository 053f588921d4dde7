/**
 * `runsc-overlay-ctl explain -- ARGV...`: the runsc command line the runtime would exec for ARGV, and
 * why, from the very pipeline the runtime runs (src/runtime/pipeline.ts). Nothing is started, no
 * directory made, no bundle rewritten.
 */
import { Refusal, describe } from "../runtime/errors.js";
import { execArgv, planCall, type Seen } from "../runtime/pipeline.js";
import { quote } from "../runtime/shell.js";
import { shown } from "../runtime/spec-file.js";

/** `argv` as commander gives it (UTF-8); the runtime's pipeline takes bytes (spec-file.ts). */
export function explain(words: string[], env: NodeJS.ProcessEnv): { text: string; refused: boolean } {
  const argv = words.map(asBytes);
  const seen: Seen = {};
  const lines: string[] = [];
  let refused = false;
  try {
    const plan = planCall(argv, env, env.PWD === undefined ? undefined : asBytes(env.PWD), seen);
    lines.push(...context(seen));
    if (plan.kind === "print") {
      lines.push(`answers itself, without runsc: prints\n${plan.text}`);
    } else {
      lines.push(`would exec: ${execArgv(plan, argv).map(shown).map(shellWord).join(" ")}`);
      const kept = new Set(plan.words.flatMap((word) => ("arg" in word ? [word.arg] : [])));
      const removed = words.flatMap((word, index) => (kept.has(index) ? [] : [word]));
      const inserted = plan.words.slice(1).flatMap((word) => ("text" in word ? [word.text] : []));
      if (inserted.length > 0) lines.push(`  inserted: ${inserted.map(shellWord).join(" ")} (runsc.flags and overlay.overlay2 of ${seen.configFile})`);
      if (removed.length > 0) lines.push(`  removed from the caller's flags: ${removed.map(shellWord).join(" ")} (runsc-overlay owns the overlay)`);
      for (const dir of plan.dirs) lines.push(`  would create ${dir} (0700) for the filestore`);
      for (const note of plan.notes) lines.push(`  ${note.level}: ${note.msg}`);
      if (plan.bundleEdit === undefined && seen.bundle) lines.push(`  bundle ${seen.bundle.file}: left as it is`);
    }
  } catch (error) {
    refused = true;
    lines.push(...context(seen), `would refuse, and not start runsc: ${error instanceof Refusal ? error.message : `internal error: ${describe(error)}`}`);
  }
  return { text: lines.join("\n"), refused };
}

function context(seen: Seen): string[] {
  return [
    ...(seen.configFile ? [`config: ${seen.configFile}`] : []),
    ...(seen.runsc && seen.caps ? [`runsc: ${seen.runsc} (${seen.caps.version}; ${seen.caps.overlay2 === null ? "no --overlay2 flag" : `--overlay2 ${seen.caps.overlay2.self ? "with" : "without"} self`})`] : []),
  ];
}

function asBytes(word: string): string {
  return Buffer.from(word, "utf8").toString("latin1");
}

/** Words as a shell would need them, bare where that is unambiguous. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : quote(word);
}
