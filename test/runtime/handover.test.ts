/**
 * The hand-over, on real processes: the installed launcher in front of a fake runsc that records
 * what it was handed. Each property is compared with the same fake started directly, as runsc would be.
 */
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { LAUNCHER } from "../helpers/paths.js";
import { type FakeRecord, fakeRunsc, readRecord, spawnWithFiles, workdir, writeConfig } from "../helpers/runtime.js";

let dir: string;
let runsc: string;
let config: string;

beforeAll(() => {
  dir = workdir("handover");
  runsc = fakeRunsc(dir, "20240729");
  config = writeConfig(dir, runsc);
});

/** Starts `sh -c SCRIPT` with fd 5 open on a file, records what the program at the end was handed. */
async function handed(program: string, script: string, args: string[], name: string): Promise<{ record: FakeRecord; shellPid: number; exitCode: number | null }> {
  const record = join(dir, name);
  const fd5 = openSync(join(dir, `${name}.fd5`), "w");
  let shellPid = 0;
  const result = await spawnWithFiles("/bin/sh", ["-c", script, "sh", program, ...args], join(dir, name), {
    env: { RUNSC_OVERLAY_CONFIG: config, FAKE_RUNSC_RECORD: record },
    extraFds: ["ignore", "ignore", fd5],
    started: (pid) => (shellPid = pid),
  });
  return { record: readRecord(record)!, shellPid, exitCode: result.exitCode };
}

describe("hand-over to runsc", () => {
  it("keeps the PID the caller started, an fd opened by the caller and an ignored SIGHUP", async () => {
    const script = 'trap "" HUP; exec "$0" "$@"';
    const through = await handed(LAUNCHER, script, ["--root", "/r", "state", "c1"], "through");
    const direct = await handed(runsc, script, ["--root", "/r", "state", "c1"], "direct");

    expect(through.record.pid).toBe(through.shellPid);
    expect(through.record.fds.get(5)).toBe(join(dir, "through.fd5"));
    expect(direct.record.fds.get(5)).toBe(join(dir, "direct.fd5"));
    expect([...through.record.fds.keys()]).toEqual([...direct.record.fds.keys()]);
    expect(through.record.sigIgn).toBe(direct.record.sigIgn);
    expect(BigInt(`0x${through.record.sigIgn}`) & 1n).toBe(1n); // SIGHUP is signal 1
    expect(through.record.sigBlk).toBe(direct.record.sigBlk);
    expect(through.record.argv).toEqual(["--root", "/r", "--overlay2=root:self", "state", "c1"]);
  });

  it("runs where PATH has no Node and no runsc, as a daemon's may", async () => {
    const record = join(dir, "nopath");
    const result = await execa(LAUNCHER, ["state", "c1"], { reject: false, stdin: "ignore", env: { PATH: "/nonexistent", RUNSC_OVERLAY_CONFIG: config, FAKE_RUNSC_RECORD: record } });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(readRecord(record)?.argv).toEqual(["--overlay2=root:self", "state", "c1"]);
  });

  it("reports runsc's own exit status and prints nothing of its own", async () => {
    const record = join(dir, "exit");
    const result = await execa(LAUNCHER, ["state", "c1"], { reject: false, stdin: "ignore", env: { RUNSC_OVERLAY_CONFIG: config, FAKE_RUNSC_RECORD: record, FAKE_RUNSC_EXIT: "42" } });
    expect(result.exitCode).toBe(42);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("");
  });

  it("passes bytes that are not UTF-8 through to runsc unchanged", async () => {
    const record = join(dir, "bytes");
    await execa("/bin/sh", ["-c", `exec "$0" --root "$(printf '/r\\377\\nx')" state "$(printf 'c\\303')"`, LAUNCHER], {
      stdin: "ignore",
      env: { RUNSC_OVERLAY_CONFIG: config, FAKE_RUNSC_RECORD: record },
    });
    const expected = Buffer.concat([
      Buffer.from("--root\0/r"), Buffer.from([0xff]), Buffer.from("\nx\0--overlay2=root:self\0state\0c"), Buffer.from([0xc3, 0]),
    ]);
    expect(readFileSync(`${record}.argv`).toString("hex")).toBe(expected.toString("hex"));
  });

  it("leaves the process to runsc: a signal to the caller's PID reaches runsc, and no Node remains", async () => {
    const record = join(dir, "signal");
    writeFileSync(join(dir, "config.json"), "{}");
    const child = execa(LAUNCHER, ["run", "--bundle", dir, "c1"], {
      reject: false,
      stdin: "ignore",
      env: { RUNSC_OVERLAY_CONFIG: config, FAKE_RUNSC_RECORD: record, FAKE_RUNSC_WAIT: "1" },
    });
    while (!existsSync(`${record}.ready`)) await new Promise((r) => setTimeout(r, 20));
    const comm = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    expect(comm).toContain(runsc);
    expect(comm.join(" ")).not.toMatch(/node/);
    child.kill("SIGTERM");
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(readFileSync(`${record}.signals`, "utf8")).toBe("TERM\n");
  });
});
