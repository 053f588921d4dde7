/**
 * What users observe of the rootfs under each overlay mode, measured on real runsc 0.0~20240729
 * through runsc-overlay, one sandbox per mode. README.md's table of overlay modes is the table this
 * suite measures, compared cell for cell, so it cannot drift from what runsc does. The last column is
 * config.toml.example's documented "shared" profile, taken from the example itself.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OVERLAY_MODES } from "../helpers/config-example.js";
import { LAUNCHER, RUNSC } from "../helpers/paths.js";
import { readmeTable } from "../helpers/readme.js";
import { busyboxBundle, spawnWithFiles, workdir, writeConfig } from "../helpers/runtime.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const MODES = OVERLAY_MODES;

const ROWS = {
  hostNewListed: "a new file the host writes into the rootfs after start, in a directory the sandbox has listed, read inside",
  hostNewUnlisted: "the same, in a directory the sandbox has not listed",
  hostChange: "a rootfs file read inside, then changed (and grown) by the host, read again inside",
  sandboxWrite: "a file written inside, read on the host in the rootfs",
  bindWrite: "a file the host writes into a bind mount after start, read inside",
  memory: "sandbox memory (`RssShmem`) after writing 64 MiB inside",
  filestore: "`.gvisor.filestore.*` on the host",
} as const;

const measured = new Map<string, Record<keyof typeof ROWS, string>>();
const dir = workdir("overlay-modes");
const started: { root: string; id: string }[] = [];

afterAll(async () => {
  for (const { root, id } of started) await spawnWithFiles(RUNSC["20240729"], ["--root", root, "delete", "--force", id], join(dir, "cleanup"));
});

describe("overlay modes on real runsc 0.0~20240729", () => {
  it.each(MODES)("measures $name", async ({ name, overlay2, flags }) => {
    const here = join(dir, overlay2 + flags.join(""));
    const root = join(here, "state");
    const shared = join(here, "shared");
    mkdirSync(shared, { recursive: true });
    const config = writeConfig(here, RUNSC["20240729"], { flags: ["--network=none", ...flags], extra: `[overlay]\noverlay2 = ${JSON.stringify(overlay2)}` });
    const bundle = busyboxBundle(here, ["sleep", "600"], {});
    const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
    spec.mounts.push({ destination: "/data", type: "bind", source: shared, options: ["rbind", "rw"] });
    writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
    const rootfs = join(bundle, "rootfs");
    for (const sub of ["data", "listed", "unlisted"]) mkdirSync(join(rootfs, sub));
    writeFileSync(join(rootfs, "changed"), "old\n");

    let calls = 0;
    const call = async (args: string[]) => {
      const base = join(here, `call-${calls++}`);
      const outcome = await spawnWithFiles(LAUNCHER, ["--root", root, ...args], base, { env: { RUNSC_OVERLAY_CONFIG: config } });
      return { ok: outcome.exitCode === 0, stdout: readFileSync(`${base}.stdout`, "utf8"), stderr: readFileSync(`${base}.stderr`, "utf8") };
    };
    const id = `modes-${overlay2.replace(/\W/g, "")}${flags.length}`;
    started.push({ root, id });
    expect(await call(["create", "--bundle", bundle, id])).toMatchObject({ ok: true });
    expect(await call(["start", id])).toMatchObject({ ok: true });
    const reads = async (path: string, text: string) => {
      const result = await call(["exec", id, "cat", path]);
      return result.ok && result.stdout === text ? "yes" : "no";
    };

    expect(await reads("/changed", "old\n")).toBe("yes");
    expect((await call(["exec", id, "ls", "/listed"])).ok).toBe(true);
    writeFileSync(join(rootfs, "changed"), "new, and longer\n");
    writeFileSync(join(rootfs, "listed/from-host"), "host\n");
    writeFileSync(join(rootfs, "unlisted/from-host"), "host\n");
    writeFileSync(join(shared, "from-host"), "host\n");
    expect((await call(["exec", id, "sh", "-c", "echo sandbox > /from-sandbox"])).ok).toBe(true);
    const pid = await sandboxPid(id);
    const before = sharedRssKiB(pid);
    expect((await call(["exec", id, "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=64"])).ok).toBe(true);
    const grownMiB = (sharedRssKiB(pid) - before) / 1024;

    measured.set(name, {
      hostNewListed: await reads("/listed/from-host", "host\n"),
      hostNewUnlisted: await reads("/unlisted/from-host", "host\n"),
      hostChange: await reads("/changed", "new, and longer\n"),
      sandboxWrite: existsSync(join(rootfs, "from-sandbox")) && readFileSync(join(rootfs, "from-sandbox"), "utf8") === "sandbox\n" ? "yes" : "no",
      bindWrite: await reads("/data/from-host", "host\n"),
      memory: grownMiB < 8 ? "flat (< 8 MiB)" : grownMiB >= 60 ? "grows by the write" : `grows by ${grownMiB.toFixed(0)} MiB`,
      filestore: readdirSync(rootfs).some((entry) => entry.startsWith(".gvisor.filestore.")) ? "yes, in the rootfs directory" : "no",
    });
    expect(await call(["delete", "--force", id])).toMatchObject({ ok: true });
  });

  it("is what README.md's table of overlay modes says, cell for cell", () => {
    const table = [
      `| | ${MODES.map((mode) => mode.name).join(" | ")} |`,
      `| --- | ${MODES.map(() => "---").join(" | ")} |`,
      ...Object.entries(ROWS).map(([key, label]) => `| ${label} | ${MODES.map((mode) => measured.get(mode.name)?.[key as keyof typeof ROWS] ?? "not measured").join(" | ")} |`),
    ].join("\n");
    expect(readmeTable("overlay-modes", "measured by test/e2e/overlay-modes.test.ts", table), `README.md should hold this table:\n${table}`).toBe(table);
  });
});
