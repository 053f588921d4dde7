import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { STAT_FORMAT, currentIdentity, identity, settledIdentity } from "../../src/runtime/identity.js";

describe("identity", () => {
  const dir = mkdtempSync(join(tmpdir(), "rso-identity-"));
  const file = join(dir, "f");
  writeFileSync(file, "twelve bytes");
  symlinkSync(file, join(dir, "link"));

  it.each(["f", "link", "/usr/bin/stat"])("of %s is what `stat -L -c` prints, which the fast path compares", async (name) => {
    const path = name.startsWith("/") ? name : join(dir, name);
    const { stdout } = await execa("stat", ["-L", "-c", STAT_FORMAT, "--", path]);
    expect(identity(statSync(path, { bigint: true }))).toBe(stdout);
    expect(currentIdentity(path)).toBe(stdout);
  });

  it("is read by the launcher with this very format, in its one stat", () => {
    expect(readFileSync(new URL("../../bin/runsc-overlay", import.meta.url), "utf8")).toContain(`"$rso_stat" -L -c '${STAT_FORMAT}' --`);
  });

  it("is not settled for a file changed in the last 2 s, and absent for none", () => {
    expect(settledIdentity(file)).toBeUndefined();
    expect(settledIdentity("/usr/bin/stat")).toBe(currentIdentity("/usr/bin/stat"));
    expect(settledIdentity(join(dir, "none"))).toBe("absent");
  });
});
