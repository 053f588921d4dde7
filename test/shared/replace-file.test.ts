/**
 * replaceFile in a real process, under the faults it must survive: a write cut short (RLIMIT_FSIZE,
 * as on a full disk) and a umask that would narrow the mode.
 */
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { workdir } from "../helpers/runtime.js";

const MODULE = fileURLToPath(new URL("../../src/shared/replace-file.ts", import.meta.url));

/** Runs replaceFile(file, size bytes) in a shell that first runs `setup` (ulimit, umask). */
function replaceIn(setup: string, file: string, size: number) {
  const script = `import { replaceFile } from ${JSON.stringify(MODULE)}; replaceFile(process.argv[1], Buffer.alloc(Number(process.argv[2]), 120));`;
  // SIGXFSZ ignored, as a daemon may have it: the write then comes back short, then fails with EFBIG.
  return execa("sh", ["-c", `trap '' XFSZ; ${setup}; exec "$0" --input-type=module -e "$1" "$2" "$3"`, process.execPath, script, file, String(size)], { reject: false });
}

describe("replaceFile", () => {
  it("fails on a short write, leaves the old file whole and no temporary file behind", async () => {
    const dir = workdir("replace-short");
    const file = join(dir, "config.json");
    writeFileSync(file, "old");
    const result = await replaceIn("ulimit -f 8", file, 64 * 1024);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/EFBIG|short write/);
    expect(readFileSync(file, "utf8")).toBe("old");
    expect(readdirSync(dir)).toEqual(["config.json"]);
  });

  it("keeps an existing file's mode, and gives a new one its mode, whatever the umask", async () => {
    const dir = workdir("replace-umask");
    const file = join(dir, "config.json");
    writeFileSync(file, "old");
    chmodSync(file, 0o664);
    expect((await replaceIn("umask 077", file, 10)).exitCode).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o664);
    expect((await replaceIn("umask 077", join(dir, "new.json"), 10)).exitCode).toBe(0);
    expect(statSync(join(dir, "new.json")).mode & 0o777).toBe(0o644);
  });
});
