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
    const probes = join(dir, "probes");
    const call = () => runRuntime(["state", "c1"], config, { env: { FAKE_RUNSC_RECORD: join(dir, "record"), FAKE_RUNSC_PROBES: probes } });

    expect((await call()).exitCode).toBe(0);
    // --version, flags, help, and one `-X help` per flag whose listing is ambiguous.
    expect(probesIn(probes)).toEqual(["--version", "flags", "help", "-metric-server help", "-net-raw help", "-nvproxy-docker help"]);
    expect((await call()).exitCode).toBe(0);
    expect(probesIn(probes)).toHaveLength(6);

    appendFileSync(runsc, "# upgraded\n");
    expect((await call()).exitCode).toBe(0);
    expect(probesIn(probes)).toHaveLength(12);
  });

  it("still works, probing each call, where the cache cannot be written", async () => {
    const dir = workdir("probe-nocache");
    const runsc = fakeRunsc(dir, "20221219");
    const config = writeConfig(dir, runsc);
    const text = readFileSync(config, "utf8").replace(/dir = ".*cache"/, 'dir = "/proc/no-cache"');
    writeFileSync(config, text);
    const record = join(dir, "record");
    const result = await runRuntime(["state", "c1"], config, { env: { FAKE_RUNSC_RECORD: record, FAKE_RUNSC_PROBES: join(dir, "probes") } });
    expect(result.exitCode).toBe(0);
    expect(readRecord(record)?.argv).toEqual(["--overlay2=root:/var/lib/runsc-overlay/filestore", "state", "c1"]);
    expect(probesIn(join(dir, "probes"))).toEqual(["--version", "flags", "help", "-net-raw help"]);
  });
});
