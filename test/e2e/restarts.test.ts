/**
 * What a container keeps of the files it wrote when it is restarted, diffed or committed, under each
 * overlay mode, on each runsc the suite has: Docker 28.5 and Podman 4.3, each with a private engine.
 * README.md's table of restarts is the table this suite measures, so that it cannot drift.
 *
 * The container notes, as it starts, whether the file its previous run wrote is still there
 * (`/status`: kept or fresh), then writes it again.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, importBusybox, startEngine } from "../../src/testbed/engine.js";
import { type Podman, importBusyboxInto, startPodman } from "../../src/testbed/podman.js";
import { OVERLAY_MODES } from "../helpers/config-example.js";
import { BUSYBOX, CTL, REAL_RUNSC, RUNSC, SID_ENGINE } from "../helpers/paths.js";
import { readmeTable } from "../helpers/readme.js";
import { workdir, writeConfig } from "../helpers/runtime.js";

const root = new URL("../..", import.meta.url).pathname;
const SCRIPT = "test -e /written && echo kept > /status || echo fresh > /status; echo x > /written; mkdir -p /d; echo y > /d/y; sleep 600";
const PODMAN_IMAGE = "localhost/runsc-overlay-test/busybox";

const MODES = OVERLAY_MODES;

const ROWS = {
  dockerRestart: "files written inside, after `docker restart`",
  dockerStopStart: "files written inside, after `docker stop` and `docker start`",
  podmanRestart: "files written inside, after `podman restart`",
  dockerDiff: "`docker diff` of the running container",
  dockerCommit: "`docker commit` of the running container: its image holds the files written",
} as const;
type Row = keyof typeof ROWS;

const measured = new Map<string, Partial<Record<Row, string>>>();
const record = (version: string, column: string, row: Row, value: string) => measured.set(`${version} ${column}`, { ...measured.get(`${version} ${column}`), [row]: value });

let engine: Engine;
let podman: Podman;
let image: string;
let config: string;
const dir = workdir("restarts");

beforeAll(async () => {
  config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
  engine = await startEngine(join(dir, "engine"), { ...SID_ENGINE, runtimeEnv: { RUNSC_OVERLAY_CONFIG: config } });
  image = await importBusybox(engine, BUSYBOX);
  await execa(CTL, ["install", "docker", "--config-file", engine.daemonJson], { env: engine.env });
  // Podman passes the runtime no environment: a launcher with this config fixed in it, by path.
  await execa(join(root, "scripts/install-runtime"), [join(dir, "prefix"), join(dir, "cache"), config]);
  podman = await startPodman(join(dir, "podman"), join(root, ".tools/test"));
  await importBusyboxInto(podman, BUSYBOX, PODMAN_IMAGE);
}, 180_000);

afterAll(async () => {
  await podman?.stop();
  await engine?.stop();
});

/** Waits for the container's /status, and returns it: kept or fresh. */
async function status(exec: (args: string[]) => Promise<{ stdout: string; exitCode: number }>): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const result = await exec(["cat", "/status"]);
    if (result.exitCode === 0 && result.stdout.trim() !== "") return result.stdout.trim() === "kept" ? "kept" : "lost";
    await sleep(100);
  }
  throw new Error("the container never wrote /status");
}

describe.each(REAL_RUNSC)("restarts on runsc %s", (version) => {
  it.each(MODES)("$name", async ({ name: column, overlay2, flags }) => {
    const good = `${config}.good`;
    copyFileSync(config, good);
    writeFileSync(config, `${readFileSync(good, "utf8").replace(/path = ".*"/, `path = ${JSON.stringify(RUNSC[version])}`).replace('flags = ["--network=none"]', `flags = ${JSON.stringify(["--network=none", ...flags])}`)}[overlay]\noverlay2 = ${JSON.stringify(overlay2)}\nfallback_dir = ${JSON.stringify(join(dir, "filestore"))}\n`);
    try {
      const id = (await engine.docker(["run", "-d", "--network=none", "--runtime=runsc-overlay", image, "sh", "-c", SCRIPT])).stdout.trim();
      const exec = (args: string[]) => engine.docker(["exec", id, ...args], { reject: false });
      expect(await status(exec)).toBe("lost");
      const diff = (await engine.docker(["diff", id])).stdout.split("\n").filter(Boolean).map((line) => line.replace(id, "<id>")).sort();
      record(version, column, "dockerDiff", diff.length === 0 ? "nothing" : diff.filter((line) => line !== "C /").map((line) => `\`${line}\``).join(", ") || "nothing");
      const committed = (await engine.docker(["commit", id])).stdout.trim();
      const inImage = await engine.docker(["run", "--rm", "--network=none", "--runtime=runsc-overlay", committed, "cat", "/written", "/d/y"], { reject: false });
      record(version, column, "dockerCommit", inImage.exitCode === 0 ? "yes" : "no");
      await engine.docker(["rmi", committed]);
      await engine.docker(["restart", "-t", "1", id]);
      record(version, column, "dockerRestart", await status(exec));
      await engine.docker(["stop", "-t", "1", id]);
      await engine.docker(["start", id]);
      record(version, column, "dockerStopStart", await status(exec));
      await engine.docker(["rm", "-f", id]);

      const launcher = join(dir, "prefix/bin/runsc-overlay");
      const pid = (await podman.podman(["--runtime", launcher, "run", "-d", "--network", "none", PODMAN_IMAGE, "sh", "-c", SCRIPT])).stdout.trim();
      const pexec = (args: string[]) => podman.podman(["--runtime", launcher, "exec", pid, ...args], { reject: false });
      expect(await status(pexec)).toBe("lost");
      await podman.podman(["--runtime", launcher, "restart", "-t", "1", pid]);
      record(version, column, "podmanRestart", await status(pexec));
      await podman.podman(["--runtime", launcher, "rm", "--force", "--time", "0", pid]);
    } finally {
      copyFileSync(good, config);
    }
  }, 120_000);
});

describe("README.md's table of restarts", () => {
  // The table is of the three runsc; without gVisor's own (a fresh clone, no ../shared) it is not all measured.
  it.skipIf(REAL_RUNSC.length < 3)("is the table measured, on all three runsc", () => {
    const cell = (row: Row, column: string) => {
      const values = REAL_RUNSC.map((version) => measured.get(`${version} ${column}`)?.[row] ?? "?");
      return values.every((value) => value === values[0]) ? values[0]! : REAL_RUNSC.map((version, i) => `${version}: ${values[i]}`).join("; ");
    };
    const table = [
      `| (${REAL_RUNSC.map((version) => (version === "20260817" ? "release-20260817" : `0.0~${version}`)).join(", ")}) | ${MODES.map((mode) => mode.name).join(" | ")} |`,
      `| --- |${MODES.map(() => " --- |").join("")}`,
      ...(Object.keys(ROWS) as Row[]).map((row) => `| ${ROWS[row]} | ${MODES.map((mode) => cell(row, mode.name)).join(" | ")} |`),
    ].join("\n");
    expect(readmeTable("restarts", "measured by test/e2e/restarts.test.ts", table)).toBe(table);
  });
});
