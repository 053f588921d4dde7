/**
 * Bad input, through the installed launcher: each refusal names the file or flag and why, as one JSON
 * line in the caller's --log and on stderr; the exit status is non-zero, nothing reaches stdout, and
 * runsc is never started (the fake runsc records every call that reaches it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunscVersion } from "../helpers/capabilities.js";
import { fakeRunsc, readRecord, runRuntime, workdir, writeConfig } from "../helpers/runtime.js";

let dir: string;
const fakes = {} as Record<RunscVersion, string>;

beforeAll(() => {
  dir = workdir("refusals");
  fakes["20240729"] = fakeRunsc(dir, "20240729");
  fakes["20221219"] = fakeRunsc(dir, "20221219");
  writeFileSync(join(dir, "config.json"), '{"ociVersion":"1.0.2"}');
});

interface Case {
  name: string;
  /** The config file's content, or a function that writes the config and returns its path. */
  config: (caseDir: string) => string;
  argv: (caseDir: string) => string[];
  message: RegExp;
}

const plain = (version: RunscVersion, options?: Parameters<typeof writeConfig>[2]) => (caseDir: string) => writeConfig(caseDir, fakes[version], options);
const create = (bundle: string) => ["--root", "/r", "create", "--bundle", bundle, "c1"];

const cases: Case[] = [
  { name: "--file-access=shared from the caller", config: plain("20240729"), argv: () => ["--file-access=shared", "start", "c1"], message: /--file-access=shared \(from the caller's command line/ },
  { name: "--file-access=shared from runsc.flags", config: plain("20240729", { flags: ["--file-access=shared"] }), argv: () => ["start", "c1"], message: /--file-access=shared \(from runsc\.flags in .*config\.toml\) conflicts with --overlay2=root:self/ },
  { name: "an invalid overlay2 value", config: plain("20240729", { extra: '[overlay]\noverlay2 = "root:disk"' }), argv: () => ["start", "c1"], message: /config .*config\.toml: overlay\.overlay2 = "root:disk"/ },
  {
    name: "a malformed config file",
    config: (caseDir) => {
      writeFileSync(join(caseDir, "config.toml"), "[overlay\n");
      return join(caseDir, "config.toml");
    },
    argv: () => ["start", "c1"],
    message: /config .*config\.toml is not valid TOML/,
  },
  { name: "a config key runsc-overlay does not know", config: plain("20240729", { extra: "[overlay]\nfallbak = \"fail\"" }), argv: () => ["start", "c1"], message: /unknown key overlay\.fallbak/ },
  { name: "a missing runsc", config: (caseDir) => writeConfig(caseDir, "/nonexistent/runsc"), argv: () => ["start", "c1"], message: /runsc\.path = "\/nonexistent\/runsc" in .*config\.toml: does not exist/ },
  {
    name: "a runsc that is not executable",
    config: (caseDir) => {
      const file = join(caseDir, "runsc");
      writeFileSync(file, "#!/bin/sh\n", { mode: 0o644 });
      return writeConfig(caseDir, file);
    },
    argv: () => ["start", "c1"],
    message: /runsc\.path = ".*runsc" in .*: is not executable/,
  },
  { name: "a runsc without self and fallback = fail", config: plain("20221219", { extra: '[overlay]\nfallback = "fail"' }), argv: () => ["start", "c1"], message: /runsc 0\.0~20221219\.0 has no `self` medium/ },
  { name: "a flag in runsc.flags that runsc lacks", config: plain("20221219", { flags: ["--directfs=false"] }), argv: () => ["start", "c1"], message: /runsc\.flags entry "--directfs=false".*0\.0~20221219\.0 has no global flag --directfs/ },
  { name: "a bundle without config.json", config: plain("20240729"), argv: (caseDir) => create(caseDir), message: /^cannot read .*\/config\.json, the config\.json runsc would read: ENOENT/ },
  {
    // Only a file with something to remove is parsed: runsc judges the rest itself.
    name: "a bundle whose config.json, which has a gVisor annotation, is not JSON",
    config: plain("20240729"),
    argv: (caseDir) => {
      writeFileSync(join(caseDir, "config.json"), '{"annotations":{"dev.gvisor.flag.overlay2":');
      return create(caseDir);
    },
    message: /config\.json is not valid JSON/,
  },
];

describe("refusals", () => {
  it.each(cases)("$name", async ({ config, argv, message }) => {
    const caseDir = join(dir, `case-${cases.findIndex((c) => c.argv === argv)}`);
    mkdirSync(caseDir);
    const record = join(caseDir, "record");
    const callerLog = join(caseDir, "log.json");
    const result = await runRuntime(["--log", callerLog, "--log-format", "json", ...argv(caseDir)], config(caseDir), { env: { FAKE_RUNSC_RECORD: record } });

    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(readRecord(record)).toBeUndefined();
    const lines = readFileSync(callerLog, "utf8").trim().split("\n");
    const line = JSON.parse(lines.at(-1)!);
    expect(line.level).toBe("error");
    expect(line.msg).toMatch(message);
    expect(new Date(line.time).toISOString()).toBe(line.time);
    expect(result.stderr).toBe(line.msg);
  });

  it("writes a text line where the caller asked for --log-format=text", async () => {
    const caseDir = join(dir, "text");
    mkdirSync(caseDir);
    const log = join(caseDir, "log.txt");
    const result = await runRuntime([`--log=${log}`, "--log-format=text", "--file-access=shared", "start", "c1"], writeConfig(caseDir, fakes["20240729"]));
    expect(result.exitCode).toBe(1);
    expect(readFileSync(log, "utf8")).toMatch(/^time="[^"]+" level=error msg="--file-access=shared .*"\n$/);
  });

  it("still refuses, on stderr, where the caller's log cannot be written", async () => {
    const caseDir = join(dir, "unwritable");
    mkdirSync(caseDir);
    const result = await runRuntime(["--log", "/nonexistent/dir/log.json", "--file-access=shared", "start", "c1"], writeConfig(caseDir, fakes["20240729"]));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^--file-access=shared \(from the caller's command line .*\) conflicts with --overlay2=root:self: .*[^\n]$/);
  });

  it("never fails a call over its own log file", async () => {
    const caseDir = join(dir, "ownlog");
    mkdirSync(caseDir);
    const config = writeConfig(caseDir, fakes["20221219"]);
    writeFileSync(config, readFileSync(config, "utf8").replace(/file = ".*own\.log"/, 'file = "/proc/no/such/log"'));
    const record = join(caseDir, "record");
    const result = await runRuntime(["start", "c1"], config, { env: { FAKE_RUNSC_RECORD: record } });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    expect(readRecord(record)?.argv).toEqual([`--overlay2=root:/var/lib/runsc-overlay/filestore`, "start", "c1"]);
  });

  it("logs its fallback decisions to its own log file", async () => {
    const caseDir = join(dir, "notes");
    mkdirSync(caseDir);
    const record = join(caseDir, "record");
    const result = await runRuntime(["start", "c1"], writeConfig(caseDir, fakes["20221219"], { extra: `[overlay]\nfallback_dir = "${caseDir}/fs"` }), { env: { FAKE_RUNSC_RECORD: record } });
    expect(result.exitCode).toBe(0);
    expect(existsSync(join(caseDir, "fs"))).toBe(true);
    const line = JSON.parse(readFileSync(join(caseDir, "own.log"), "utf8"));
    expect(line).toMatchObject({ level: 30, msg: expect.stringMatching(/has no `self` medium.*using the host-backed filestore in .*\/fs/) });
  });
});

describe("log level debug", () => {
  it("logs the runsc command line of every call", async () => {
    const caseDir = workdir("debug");
    const record = join(caseDir, "record");
    const config = writeConfig(caseDir, fakeRunsc(caseDir, "20240729"));
    writeFileSync(config, readFileSync(config, "utf8").replace('level = "info"', 'level = "debug"'));
    expect((await runRuntime(["--root", "/r", "state", "c1"], config, { env: { FAKE_RUNSC_RECORD: record } })).exitCode).toBe(0);
    const line = JSON.parse(readFileSync(join(caseDir, "own.log"), "utf8"));
    expect(line).toMatchObject({ level: 20, argv: ["--root", "/r", "state", "c1"] });
    expect(JSON.parse(line.msg.replace(/^exec /, ""))).toEqual([join(caseDir, "fake-runsc-20240729"), "--root", "/r", "--overlay2=root:self", "state", "c1"]);
  });
});
