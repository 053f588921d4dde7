/** `runsc-overlay-ctl explain`, through the installed CLI with real runsc binaries: it prints, and changes nothing. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { annotationFamily } from "../../src/runtime/policy.js";
import { CTL, RUNSC } from "../helpers/paths.js";
import { busyboxBundle, workdir, writeConfig } from "../helpers/runtime.js";

function explain(argv: string[], config: string) {
  return execa(CTL, ["explain", "--", ...argv], { env: { RUNSC_OVERLAY_CONFIG: config }, reject: false });
}

describe("explain", () => {
  it("shows the runsc command line, the flags it replaced and the annotation it would strip, and leaves the bundle alone", async () => {
    const dir = workdir("explain");
    const config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
    const bundle = busyboxBundle(dir, ["true"], { annotations: { "dev.gvisor.flag.overlay2": "root:memory" } });
    const before = readFileSync(join(bundle, "config.json"), "utf8");
    const result = await explain(["--root", "/run/r", "--overlay2=root:memory", "create", "--bundle", bundle, "c1"], config);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      `config: ${config}`,
      `runsc: ${RUNSC["20240729"]} (0.0~20240729.0; --overlay2 with self)`,
      `would exec: ${RUNSC["20240729"]} --root /run/r --network=none --overlay2=root:self create --bundle ${bundle} c1`,
      `  inserted: --network=none --overlay2=root:self (runsc.flags and overlay.overlay2 of ${config})`,
      `  removed from the caller's flags: --overlay2=root:memory (runsc-overlay owns the overlay)`,
      `  warn: removed dev.gvisor.flag.overlay2 from ${bundle}/config.json (overlay.annotations = "enforce"): ${annotationFamily("dev.gvisor.flag.overlay2")!.effect}`,
    ]);
    expect(readFileSync(join(bundle, "config.json"), "utf8")).toBe(before);
  });

  it("names each key it would refuse, with the reason, and leaves the bundle alone", async () => {
    const dir = workdir("explain");
    const config = writeConfig(dir, RUNSC["20240729"]);
    const bundle = busyboxBundle(dir, ["true"], { annotations: { "dev.gvisor.spec.rootfs.source": "/srv", "dev.gvisor.spec.rootfs.type": "bind", "dev.gvisor.bundle.experimental-high-performance": "true" } });
    const before = readFileSync(join(bundle, "config.json"), "utf8");
    const result = await explain(["create", "--bundle", bundle, "c1"], config);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `would refuse, and not start runsc: ${bundle}/config.json has dev.gvisor.spec.rootfs.source, dev.gvisor.spec.rootfs.type: ${annotationFamily("dev.gvisor.spec.rootfs.type")!.effect} (family "rootfs-hint")`,
    );
    expect(readFileSync(join(bundle, "config.json"), "utf8")).toBe(before);
  });

  it("names the fallback a runsc without self gets, and creates no directory", async () => {
    const dir = workdir("explain");
    const config = writeConfig(dir, RUNSC["20221219"], { extra: `[overlay]\nfallback_dir = "${dir}/filestore"` });
    const result = await explain(["--root", "/run/r", "start", "c1"], config);
    expect(result.stdout).toContain(`would exec: ${RUNSC["20221219"]} --root /run/r --overlay2=root:${dir}/filestore start c1`);
    expect(result.stdout).toContain(`  would create ${dir}/filestore (0700) for the filestore`);
    expect(result.stdout).toMatch(/info: runsc 0\.0~20221219\.0 has no `self` medium .+: using the host-backed filestore in/);
    expect(existsSync(`${dir}/filestore`)).toBe(false);
  });

  it("says what runsc-overlay answers itself", async () => {
    const config = writeConfig(workdir("explain"), RUNSC["20240729"]);
    const result = await explain(["features"], config);
    expect(result.stdout).toContain("answers itself, without runsc: prints\n{");
  });

  it.each([
    ["a conflicting flag", ["--file-access=shared", "state", "c1"], "", /would refuse, and not start runsc: --file-access=shared \(from the caller's command line/],
    ["a bundle without config.json", ["create", "--bundle", "/nonexistent", "c1"], "", /would refuse, and not start runsc: cannot read \/nonexistent\/config\.json, the config\.json runsc would read: ENOENT/],
    ["a malformed config", ["state", "c1"], "[overlay\n", /would refuse, and not start runsc: config .+ is not valid TOML/],
    ["runsc do", ["do", "true"], "", /would refuse, and not start runsc: runsc do sets its own overlay/],
  ])("exits 1 with the refusal for %s", async (_, argv, broken, message) => {
    const dir = workdir("explain");
    const config = writeConfig(dir, RUNSC["20240729"]);
    if (broken) writeFileSync(config, broken);
    const result = await explain(argv, config);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain("would exec");
    expect(result.stdout).toMatch(message);
  });
});
