import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDirs } from "../../src/runtime/dirs.js";

describe("makeDirs", () => {
  it("makes every missing parent, with the mode asked for", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "rso-dirs-")), "a/b/c");
    makeDirs(dir, 0o700);
    makeDirs(dir, 0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("fails, instead of spinning, under a parent that refuses new entries", () => {
    expect(() => makeDirs("/proc/runsc-overlay/cache", 0o755)).toThrow(/ENOENT/);
  });
});
