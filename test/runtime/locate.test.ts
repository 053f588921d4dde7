import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { STANDARD_DIRS, locateRunsc } from "../../src/runtime/locate.js";

const F = "/etc/runsc-overlay/config.toml";
let dir: string;

function file(path: string, content: string, mode: number): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rso-locate-"));
  file(join(dir, "self/runsc"), "#!/bin/sh\n# runsc-overlay launcher: ...\n", 0o755);
  file(join(dir, "noexec/runsc"), "\x7fELF", 0o644);
  file(join(dir, "real/runsc"), "\x7fELF", 0o755);
  mkdirSync(join(dir, "adir/runsc"), { recursive: true });
});

describe("locateRunsc", () => {
  it("takes runsc.path as it is", () => {
    expect(locateRunsc(join(dir, "real/runsc"), F, { PATH: "" })).toBe(join(dir, "real/runsc"));
  });

  it.each([
    ["missing", "/nonexistent/runsc", /runsc\.path = "\/nonexistent\/runsc" in \/etc\/runsc-overlay\/config\.toml: does not exist/],
    ["not executable", "noexec/runsc", /: is not executable/],
    ["a directory", "adir/runsc", /: is not a file/],
  ])("refuses a runsc.path that is %s", (_name, path, message) => {
    expect(() => locateRunsc(path.startsWith("/") ? path : join(dir, path), F, { PATH: "" })).toThrow(message);
  });

  it("searches PATH, skipping runsc-overlay itself, non-executables, directories and relative entries", () => {
    const PATH = ["relative", join(dir, "self"), join(dir, "noexec"), join(dir, "adir"), join(dir, "real")].join(":");
    expect(locateRunsc("", F, { PATH })).toBe(join(dir, "real/runsc"));
  });

  it("looks in the standard directories after PATH", () => {
    expect(locateRunsc("", F, { PATH: join(dir, "self") }, [join(dir, "noexec"), join(dir, "real")])).toBe(join(dir, "real/runsc"));
  });

  it("says everything it tried", () => {
    expect(() => locateRunsc("", F, { PATH: `${join(dir, "self")}:${join(dir, "noexec")}` }, ["/nonexistent"])).toThrow(
      `runsc not found (tried ${join(dir, "self/runsc")}, ${join(dir, "noexec/runsc")}, /nonexistent/runsc): install gVisor's runsc or set runsc.path in ${F}`,
    );
  });

  it("searches the standard directories by default", () => {
    expect(STANDARD_DIRS).toEqual(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
  });
});
