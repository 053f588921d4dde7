/** The pure per-call pipeline, from argv to the runsc argv it plans, for table-driven tests. */
import { bundleArg, parseArgv } from "../../src/runtime/argv.js";
import { flagSyntax, subcommandSyntax } from "../../src/runtime/capabilities.js";
import { parseConfig } from "../../src/runtime/config.js";
import { Refusal } from "../../src/runtime/errors.js";
import type { Bundle } from "../../src/runtime/bundle.js";
import type { Capabilities } from "../../src/runtime/capabilities.js";
import { type PlanInput, makePlan } from "../../src/runtime/plan.js";
import { type RunscVersion, fixtureCapabilities } from "./capabilities.js";

export const CONFIG_FILE = "/etc/runsc-overlay/config.toml";
export const RUNSC_PATH = "/usr/bin/runsc";

/** makePlan's input for a command line, from the pieces a test varies. */
export function planInput(argv: string[], caps: Capabilities, configToml = "", bundle?: Bundle): PlanInput {
  return { argc: argv.length, parsed: parseArgv(argv, flagSyntax(caps)), config: parseConfig(configToml, CONFIG_FILE), configFile: CONFIG_FILE, runsc: RUNSC_PATH, caps, bundle };
}

export type Planned = { argv: string[] } | { print: string } | { refusal: string };

/** The plan of a command line, the bundle found as runsc will (but not read: a plan's input has none). */
export function planned(argv: string[], version: RunscVersion, configToml = ""): Planned {
  try {
    const caps = fixtureCapabilities(version);
    const input = planInput(argv, caps, configToml);
    bundleArg(argv, input.parsed, subcommandSyntax(caps));
    const plan = makePlan(input);
    if (plan.kind === "print") return { print: plan.text };
    return { argv: plan.words.map((word) => ("arg" in word ? argv[word.arg]! : word.text)) };
  } catch (error) {
    if (error instanceof Refusal) return { refusal: error.message };
    throw error;
  }
}
