/** The profiles that config.toml.example documents as commented TOML, for the tests that prove them. */
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";

/** The "shared" profile: the TOML lines between its two markers, uncommented. */
export function sharedProfile(): { overlay2: string; flags: string[] } {
  const example = readFileSync(new URL("../../config.toml.example", import.meta.url), "utf8");
  const block = /# --- profile "shared" ---\n([\s\S]*?)# --- end of profile ---/.exec(example)?.[1] ?? "";
  const toml = block.split("\n").filter((line) => /^# (\[|\w+ = )/.test(line)).map((line) => line.slice(2));
  const profile = parse(toml.join("\n")) as { runsc: { flags: string[] }; overlay: { overlay2: string } };
  return { overlay2: profile.overlay.overlay2, flags: profile.runsc.flags };
}

/** The overlay modes the README's tables compare, each a column named as the tables name it. */
export const OVERLAY_MODES = [
  { name: "`root:self` (default)", overlay2: "root:self", flags: [] as string[] },
  { name: "`root:memory`", overlay2: "root:memory", flags: [] as string[] },
  { name: "`none`", overlay2: "none", flags: [] as string[] },
  { name: '`none` + `--file-access=shared` ("shared" profile)', ...sharedProfile() },
];
