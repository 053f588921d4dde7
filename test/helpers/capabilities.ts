/** Capabilities of Debian's two runsc builds and of gVisor's release-20260817, from their recorded outputs. */
import { readFileSync } from "node:fs";
import { BUNDLE_SUBCOMMANDS } from "../../src/runtime/policy.js";
import { type Capabilities, type ProbeOutputs, parseCapabilities } from "../../src/runtime/capabilities.js";
import { FIXTURES } from "./paths.js";

export type RunscVersion = "20221219" | "20240729" | "20260817";

/** What `runsc -X help` answered on the real binaries for the flags their listings leave ambiguous. */
const PROBED_BOOLEANS = new Set(["net-raw", "nvproxy-docker"]);

export function fixtureOutputs(version: RunscVersion): ProbeOutputs {
  const read = (name: string) => readFileSync(`${FIXTURES}/runsc/${version}/${name}`, "utf8");
  const subcommandHelp = Object.fromEntries(BUNDLE_SUBCOMMANDS.map((subcommand) => [subcommand, read(`help-${subcommand}.txt`)]));
  return { version: read("version.txt"), flags: read("flags.txt"), help: read("help.txt"), subcommandHelp };
}

export function fixtureCapabilities(version: RunscVersion): Capabilities {
  const caps = parseCapabilities(fixtureOutputs(version));
  for (const name of caps.ambiguous) (PROBED_BOOLEANS.has(name) ? caps.booleans : caps.valued).push(name);
  return { ...caps, ambiguous: [] };
}
