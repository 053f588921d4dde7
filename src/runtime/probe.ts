/**
 * Runs the probes that parseCapabilities reads, once per runsc binary: the result is cached under the
 * binary's identity (path, inode, size, mtime), so a steady-state call starts no extra process and a
 * replaced or upgraded binary is probed again.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_SUBCOMMANDS } from "./policy.js";
import { type Capabilities, parseCapabilities } from "./capabilities.js";
import { readCache, writeCache } from "./cache-file.js";
import { Refusal } from "./errors.js";
import { PLANNER } from "./planner.js";

export function capabilitiesOf(runsc: string, cacheDir: string): Capabilities {
  const st = statSync(runsc);
  const identity = `${PLANNER}\0${runsc}\0${st.size}\0${st.mtimeMs}`;
  // The planner's identity, in the entry, stands for the shape of Capabilities too.
  const file = join(cacheDir, `capabilities-${st.dev}-${st.ino}.json`);
  try {
    const cached = JSON.parse(readCache(file, cacheDir) ?? "null") as { identity: string; caps: Capabilities } | null;
    if (cached?.identity === identity) return cached.caps;
  } catch {
    // Unreadable: probe.
  }
  const caps = probe(runsc);
  try {
    writeCache(file, JSON.stringify({ identity, caps }), cacheDir);
  } catch {
    // A cache that cannot be written costs a probe per call, never a failed call.
  }
  return caps;
}

function probe(runsc: string): Capabilities {
  const version = run(runsc, ["--version"]);
  if (version.status !== 0 || !/version/.test(version.stdout)) {
    throw new Refusal(`runsc at ${runsc} did not answer --version (exit ${version.status}): is it gVisor's runsc?`);
  }
  const flags = run(runsc, ["flags"]);
  const help = run(runsc, ["help"]);
  // Go's flag package prints `runsc flags` on stderr.
  const subcommandHelp = Object.fromEntries(BUNDLE_SUBCOMMANDS.map((subcommand) => [subcommand, run(runsc, ["help", subcommand]).stdout]));
  const caps = parseCapabilities({ version: version.stdout, flags: flags.stderr + flags.stdout, help: help.stdout, subcommandHelp });
  if (caps.booleans.length + caps.valued.length + caps.ambiguous.length === 0) {
    throw new Refusal(`runsc at ${runsc} (${caps.version}) listed no flags on \`runsc flags\`: cannot parse its command line safely`);
  }
  // `runsc -X help` runs `help` when X is boolean and takes `help` as X's value otherwise.
  for (const name of caps.ambiguous) (run(runsc, [`-${name}`, "help"]).status === 0 ? caps.booleans : caps.valued).push(name);
  caps.ambiguous = [];
  return caps;
}

function run(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  // Loaded here, not imported: a steady-state call never probes, and child_process costs milliseconds.
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  // RUNSC_OVERLAY_PROBE: a launcher reached from here refuses at once (bin/runsc-overlay), so a
  // runsc.path that leads back to runsc-overlay cannot start probes of probes.
  const result = spawnSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000, env: { ...process.env, RUNSC_OVERLAY_PROBE: "1" } });
  if (result.error) throw new Refusal(`cannot run runsc at ${file}: ${result.error.message}`);
  if (result.status === 125 && result.stderr.includes("leads back to runsc-overlay")) throw new Refusal(`runsc at ${file} leads back to runsc-overlay itself: set runsc.path to gVisor's runsc`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
