import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { toShell } from "../../src/runtime/shell.js";

/** Runs the rendered shell the way the launcher does, with printf standing in for runsc. */
function runRendered(words: ({ arg: number } | { text: string })[], args: string[]): string {
  const script = toShell({ kind: "exec", words: [{ text: "/usr/bin/printf" }, { text: "<%s>" }, ...words], dirs: [], bundleEdit: undefined, notes: [] });
  return execFileSync("/bin/sh", ["-c", 'eval "$0"', script, ...args], { encoding: "latin1" });
}

describe("toShell", () => {
  const nasty = ["a b", "it's", '"q"', "$HOME", "`id`", "$(id)", "new\nline", "back\\slash", "*", "", "-n", "; rm -rf /"];

  it.each(nasty)("passes our own word %j through sh unchanged", (text) => {
    expect(runRendered([{ text }], [])).toBe(`<${text}>`);
  });

  it("refers to the caller's words by position, beyond nine too", () => {
    const args = Array.from({ length: 12 }, (_, i) => `w${i}`);
    expect(runRendered([{ arg: 11 }, { arg: 0 }, { arg: 9 }], args)).toBe("<w11><w0><w9>");
  });

  it("prints an answer with printf", () => {
    const out = execFileSync("/bin/sh", ["-c", 'eval "$0"', toShell({ kind: "print", text: '{"a":"it\'s $x"}' })], { encoding: "utf8" });
    expect(out).toBe('{"a":"it\'s $x"}\n');
  });
});
