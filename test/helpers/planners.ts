/**
 * The launcher's two planners side by side, over a fake runsc that records what it was handed: a
 * copy whose cache holds no data (so Node plans every call), and one whose Node does not exist (so
 * only the fast path can plan: where it declines, the call fails and the fake records nothing).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { parse, stringify } from "smol-toml";
import type { RunscVersion } from "./capabilities.js";
import { LAUNCHER } from "./paths.js";
import { fakeRunsc, readRecord, workdir } from "./runtime.js";

export interface Setup {
  config: string;
  nodeOnly: string;
  fastOnly: string;
  dir: string;
}

/** A launcher copy with some of its settings replaced. */
export function launcher(file: string, settings: { NODE?: string; CACHE?: string; CONFIG?: string }): string {
  let text = readFileSync(LAUNCHER, "utf8");
  for (const [name, value] of Object.entries(settings)) text = text.replace(new RegExp(`^${name}=.*$`, "m"), `${name}=${value}`);
  writeFileSync(file, text, { mode: 0o755 });
  return file;
}

/** One config and fake runsc per (runsc version, row config), with host paths moved into the test's own directory. */
export function setUp(version: RunscVersion, rowConfig: string): Setup {
  const dir = workdir("fast-path");
  const row = parse(rowConfig.replaceAll('"/srv/', `"${dir}/srv/`)) as { runsc?: object; overlay?: object };
  const config = join(dir, "config.toml");
  writeFileSync(
    config,
    stringify({
      runsc: { path: fakeRunsc(dir, version), ...row.runsc },
      overlay: { fallback_dir: join(dir, "filestore"), ...row.overlay },
      cache: { dir: join(dir, "capabilities") },
      log: { file: "" },
    }),
  );
  mkdirSync(join(dir, "cache"));
  return {
    config,
    dir,
    // Nothing can be written under /dev/null: every call of this copy is planned by Node. (Not /proc:
    // Node's recursive mkdir, which its compile cache uses, spins forever there.)
    nodeOnly: launcher(join(dir, "node-only"), { CACHE: "/dev/null/runsc-overlay-test" }),
    fastOnly: launcher(join(dir, "fast-only"), { CACHE: join(dir, "cache"), NODE: "/nonexistent/node" }),
  };
}

export async function call(file: string, setup: Setup, argv: string[], record: string): Promise<string[] | undefined> {
  await execa(file, argv, { env: { RUNSC_OVERLAY_CONFIG: setup.config, FAKE_RUNSC_RECORD: record }, reject: false, stdin: "ignore" });
  return readRecord(record)?.argv;
}

