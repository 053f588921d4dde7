import { describe, expect, it } from "vitest";
import { bundleArg, parseArgv, scanLogFlags } from "../../src/runtime/argv.js";
import { flagSyntax, subcommandSyntax } from "../../src/runtime/capabilities.js";
import { fixtureCapabilities } from "../helpers/capabilities.js";

const syntax = flagSyntax(fixtureCapabilities("20240729"));

describe("parseArgv", () => {
  it.each([
    { argv: ["--root", "/r", "--debug", "state", "c1"], expected: { kind: "command", subcommand: "state", subcommandIndex: 3, insertAt: 3 } },
    { argv: ["--root=/r", "--", "state", "c1"], expected: { kind: "command", subcommand: "state", subcommandIndex: 2, insertAt: 1 } },
    { argv: ["--version"], expected: { kind: "no-command" } },
    { argv: ["--", ""], expected: { kind: "command", subcommand: "", subcommandIndex: 1, insertAt: 0 } },
    { argv: ["-", "state"], expected: { kind: "command", subcommand: "-", subcommandIndex: 0, insertAt: 0 } },
    { argv: ["---root", "/r"], expected: { kind: "invalid", reason: "bad flag syntax: ---root" } },
    { argv: ["-=x", "state"], expected: { kind: "invalid", reason: "bad flag syntax: -=x" } },
    { argv: ["--nope", "state"], expected: { kind: "invalid", reason: "flag provided but not defined: --nope" } },
    { argv: ["--log"], expected: { kind: "invalid", reason: "flag needs an argument: --log" } },
  ])("$argv", ({ argv, expected }) => {
    expect(parseArgv(argv, syntax)).toMatchObject(expected);
  });

  it("records each flag's value and the words it spans", () => {
    const parsed = parseArgv(["--root", "/r", "--debug", "--log-format=json", "--overlay=false", "start", "c1"], syntax);
    expect(parsed).toEqual({
      kind: "command",
      subcommand: "start",
      subcommandIndex: 5,
      insertAt: 5,
      flags: [
        { name: "root", value: "/r", index: 0, words: 2 },
        { name: "debug", value: undefined, index: 2, words: 1 },
        { name: "log-format", value: "json", index: 3, words: 1 },
        { name: "overlay", value: "false", index: 4, words: 1 },
      ],
    });
  });
});

describe("scanLogFlags, before runsc's flags are known", () => {
  it.each([
    [["--root", "/r", "--log", "/l.json", "--log-format", "text", "create", "--log", "not-global"], { log: "/l.json", "log-format": "text" }],
    [["-log=/a", "--log=/b", "state"], { log: "/b" }],
    [["--log-fd", "7", "start"], { "log-fd": "7" }],
    [["start", "--log", "/x"], {}],
    [["--root", "/r", "--", "--log", "/x"], {}],
  ])("%j", (argv, expected) => {
    const found = Object.fromEntries(scanLogFlags(argv).map((flag) => [flag.name, flag.value]));
    expect(found).toEqual(expected);
  });
});

describe("bundleArg, as runsc's own flag table for the subcommand reads it", () => {
  const subcommands = subcommandSyntax(fixtureCapabilities("20240729"));
  it.each([
    [["create", "--bundle", "/b", "c1"], "/b"],
    [["create", "--bundle=/b", "c1"], "/b"],
    [["--root", "/r", "run", "-bundle", "/b", "c1"], "/b"],
    [["create", "--bundle", "/x", "--bundle", "/y", "c1"], "/y"],
    [["restore", "--image-path", "/i", "-no-subreaper", "--bundle", "/b", "c1"], "/b"],
    [["create", "c1"], undefined],
    [["create", "--", "--bundle", "/b"], undefined],
    // A valued flag takes the next word, whatever it looks like: runsc reads REAL, its pid file is named --bundle=DECOY.
    [["--root", "R", "create", "--bundle", "REAL", "--pid-file", "--bundle=DECOY", "c1"], "REAL"],
    [["create", "--bundle", "REAL", "--console-socket", "--bundle", "DECOY", "c1"], "REAL"],
    [["run", "--bundle", "REAL", "--user-log", "-bundle=DECOY", "c1"], "REAL"],
    // Parsing stops at the first word that is not a flag: the container ID.
    [["create", "--bundle", "REAL", "c1", "--bundle", "DECOY"], "REAL"],
    [["start", "--bundle", "/b", "c1"], null],
    [["--bundle", "/b", "state", "c1"], null],
    [["--nope", "create", "--bundle", "/b"], null],
  ])("%j reads %j", (argv, expected) => {
    expect(bundleArg(argv, parseArgv(argv, syntax), subcommands)).toBe(expected);
  });

  it.each([
    [["create", "-b", "/b", "c1"], { create: subcommands.create }, /runsc create: flag provided but not defined: -b: runsc-overlay refuses, as the bundle runsc would read cannot be known/],
    [["create", "--bundle"], { create: subcommands.create }, /flag needs an argument: --bundle/],
    [["create", "--bundle", "/b", "c1"], {}, /runsc's `create` lists no flags \(`runsc help create`\), so runsc-overlay cannot know its bundle/],
  ])("refuses %j", (argv, table, message) => {
    expect(() => bundleArg(argv, parseArgv(argv, syntax), table)).toThrow(message);
  });
});
