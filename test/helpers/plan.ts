/** The pure per-call pipeline, from argv to the runsc argv it plans, for table-driven tests. */
import { parseArgv } from "../../src/runtime/argv.js";
import { flagSyntax } from "../../src/runtime/capabilities.js";
import { parseConfig } from "../../src/runtime/config.js";
import { Refusal } from "../../src/runtime/errors.js";
import { makePlan } from "../../src/runtime/plan.js";
import { type RunscVersion, fixtureCapabilities } from "./capabilities.js";

export const CONFIG_FILE = "/etc/runsc-overlay/config.toml";
export const RUNSC_PATH = "/usr/bin/runsc";

export type Planned = { argv: string[] } | { print: string } | { refusal: string };

export function planned(argv: string[], version: RunscVersion, configToml = ""): Planned {
  const caps = fixtureCapabilities(version);
  try {
    const config = parseConfig(configToml, CONFIG_FILE);
    const plan = makePlan({ argc: argv.length, parsed: parseArgv(argv, flagSyntax(caps)), config, configFile: CONFIG_FILE, runsc: RUNSC_PATH, caps, bundle: undefined });
    if (plan.kind === "print") return { print: plan.text };
    return { argv: plan.words.map((word) => ("arg" in word ? argv[word.arg]! : word.text)) };
  } catch (error) {
    if (error instanceof Refusal) return { refusal: error.message };
    throw error;
  }
}
