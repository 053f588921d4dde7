/** The capability cache, through the launcher: probes run once per runsc binary, not once per call. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeRunsc, readRecord, runRuntime, workdir, writeConfig } from "../helpers/runtime.js";

const probesIn = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : []);

describe("probing runsc", () => {
  it("probes once, then answers from the cache until the binary changes", async () => {
    const dir = workdir("probe");
    const runsc = fakeRunsc(dir, "20240729");
    const config = writeConfig(dir, runsc);
    const probes = `${runsc}.probes`;
    const call = () => runRuntime(["state", "c1"], config, { env: { FAKE_RUNSC_RECORD: join(dir, "record") } });

    expect((await call()).exitCode).toBe(0);
    // --version, flags, help, the flags of the subcommands that read a bundle, and one `-X help` per flag whose listing is ambiguous.
    const once = ["--version", "flags", "help", "help create", "help run", "help restore", "-metric-server help", "-net-raw help", "-nvproxy-docker help"];
    expect(probesIn(probes)).toEqual(once);
    expect((await call()).exitCode).toBe(0);
    expect(probesIn(probes)).toHaveLength(once.length);

    appendFileSync(runsc, "# upgraded\n");
    expect((await call()).exitCode).toBe(0);
    expect(probesIn(probes)).toHaveLength(2 * once.length);
  });

  it("still works, probing each call, where the cache cannot be written", async () => {
    const dir = workdir("probe-nocache");
    const runsc = fakeRunsc(dir, "20221219");
    const config = writeConfig(dir, runsc);
    const text = readFileSync(config, "utf8").replace(/dir = ".*cache"/, 'dir = "/proc/no-cache"');
    writeFileSync(config, text);
    const record = join(dir, "record");
    const result = await runRuntime(["state", "c1"], config, { env: { FAKE_RUNSC_RECORD: record } });
    expect(result.exitCode).toBe(0);
    expect(readRecord(record)?.argv).toEqual(["--overlay2=root:/var/lib/runsc-overlay/filestore", "state", "c1"]);
    expect(probesIn(`${runsc}.probes`)).toEqual(["--version", "flags", "help", "help create", "help run", "help restore", "-net-raw help"]);
  });
});
