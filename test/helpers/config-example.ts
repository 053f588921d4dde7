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
