import { describe, expect, it } from "vitest";
import { addDockerRuntime, removeDockerRuntime } from "../../src/ctl/daemon-json.js";

const F = "/etc/docker/daemon.json";
const OURS = { path: "/usr/local/bin/runsc-overlay", runtimeArgs: ["--network=none"] };

describe("addDockerRuntime", () => {
  it.each([
    ["a missing file", undefined, false, { runtimes: { "runsc-overlay": OURS } }],
    ["an empty file", "", false, { runtimes: { "runsc-overlay": OURS } }],
    ["other keys", '{"debug": true, "log-level": "warn"}', false, { debug: true, "log-level": "warn", runtimes: { "runsc-overlay": OURS } }],
    ["other runtimes", '{"runtimes": {"runsc": {"path": "/usr/bin/runsc"}}}', false, { runtimes: { runsc: { path: "/usr/bin/runsc" }, "runsc-overlay": OURS } }],
    ["an older entry of ours", '{"runtimes": {"runsc-overlay": {"path": "/old"}}}', false, { runtimes: { "runsc-overlay": OURS } }],
    ["--default", '{"default-runtime": "runc"}', true, { "default-runtime": "runsc-overlay", runtimes: { "runsc-overlay": OURS } }],
  ])("registers the runtime into %s, keeping the rest", (_, text, makeDefault, expected) => {
    const out = addDockerRuntime(text, F, "runsc-overlay", OURS, makeDefault);
    expect(JSON.parse(out)).toEqual(expected);
    expect(addDockerRuntime(out, F, "runsc-overlay", OURS, makeDefault)).toBe(out);
  });

  it("leaves the administrator's formatting and key order alone", () => {
    const text = '{\n    "b": 1,\n    "a": [1,2],\n    "big": 12345678901234567890\n}\n';
    const out = addDockerRuntime(text, F, "runsc-overlay", OURS, false);
    expect(out.startsWith('{\n    "b": 1,\n    "a": [1,2],\n    "big": 12345678901234567890,')).toBe(true);
  });

  it.each([
    ["{", /is not valid JSON \(.+ at line 1, column 2\): fix it first; nothing was changed/],
    ['{"debug": true,}', /is not valid JSON \(.+ at line 1, column 16\)/],
    ['{\n  // comment\n  "debug": true}', /is not valid JSON \(InvalidCommentToken at line 2, column 3\)/],
    ["[]", /must hold a JSON object/],
    ['{"runtimes": []}', /"runtimes" must be an object/],
  ])("refuses %j", (text, message) => {
    expect(() => addDockerRuntime(text, F, "runsc-overlay", OURS, false)).toThrow(message);
  });
});

describe("removeDockerRuntime", () => {
  it.each([
    ["other keys", '{"debug": true}'],
    ["other runtimes", '{"runtimes": {"runsc": {"path": "/usr/bin/runsc"}}, "debug": false}'],
    ["a default of its own", '{"default-runtime": "runsc"}'],
  ])("undoes the install into a file with %s", (_, text) => {
    const installed = addDockerRuntime(text, F, "runsc-overlay", OURS, false);
    expect(JSON.parse(removeDockerRuntime(installed, F, "runsc-overlay"))).toEqual(JSON.parse(text));
  });

  it("drops the default-runtime that named it", () => {
    const installed = addDockerRuntime('{"debug": true}', F, "runsc-overlay", OURS, true);
    expect(JSON.parse(removeDockerRuntime(installed, F, "runsc-overlay"))).toEqual({ debug: true });
  });

  it("leaves a file without it as it is", () => {
    const text = '{"runtimes": {"runsc": {"path": "/usr/bin/runsc"}}}';
    expect(removeDockerRuntime(text, F, "runsc-overlay")).toBe(text);
  });
});
