/**
 * Restarting containerd the node's way, in a scratch node root whose /bin/sh is busybox (static, so
 * the root needs nothing else): commands run in the node's root, and the wait for the socket.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { restartContainerd, untilListening } from "../../../src/ctl/node/restart.js";
import { Refusal } from "../../../src/runtime/errors.js";
import { BUSYBOX } from "../../helpers/paths.js";
import { workdir } from "../../helpers/runtime.js";
import { nodeRoot } from "./node-root.js";

const NO_BUSYBOX = existsSync(BUSYBOX) ? undefined : "no busybox-static here: scripts/prepare unpacks Debian's into .tools/test/busybox";

describe.skipIf(NO_BUSYBOX !== undefined)(`restartContainerd${NO_BUSYBOX ? ` (skipped: ${NO_BUSYBOX})` : ""}`, () => {
  it("runs the node's restart command in the node's root", async () => {
    const root = await nodeRoot("restart", { "/bin/sh": BUSYBOX });
    expect(await restartContainerd(root, { how: "command", command: "echo restarted > /tmp/restarted" })).toBe("ran echo restarted > /tmp/restarted");
    expect(readFileSync(join(root, "tmp/restarted"), "utf8")).toBe("restarted\n");
    expect(existsSync("/tmp/restarted")).toBe(false);
  });

  it("refuses with the command's status and its last line of output when it fails", async () => {
    const root = await nodeRoot("restart", { "/bin/sh": BUSYBOX });
    const refused = restartContainerd(root, { how: "command", command: "echo starting; echo 'unit containerd not found' >&2; exit 3" });
    await expect(refused).rejects.toThrow(Refusal);
    await expect(refused).rejects.toThrow("the restart command (echo starting; echo 'unit containerd not found' >&2; exit 3) failed with status 3: unit containerd not found");
  });

  it("refuses systemd's way where no unit is active (the node has no systemctl), naming the units", async () => {
    const root = await nodeRoot("restart", { "/bin/sh": BUSYBOX });
    await expect(restartContainerd(root, { how: "systemd", units: ["k3s", "k3s-agent"] })).rejects.toThrow(
      new Refusal("none of the systemd units k3s, k3s-agent is active on the node: give --restart-command with the node's own way to restart containerd, or --no-restart and restart it yourself"),
    );
  });

  it("does nothing when told not to restart", async () => {
    expect(await restartContainerd("/nonexistent", { how: "none" })).toBe("");
  });
});

describe("untilListening", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it("resolves once containerd's socket accepts, found through the node's own links (/var/run -> /run)", async () => {
    const root = workdir("listening");
    mkdirSync(join(root, "run/k3s/containerd"), { recursive: true });
    mkdirSync(join(root, "var"));
    symlinkSync("/run", join(root, "var/run"));
    server = createServer((socket) => socket.destroy()).listen(join(root, "run/k3s/containerd/containerd.sock"));
    await new Promise((resolve) => server!.once("listening", resolve));
    await expect(untilListening(root, "/var/run/k3s/containerd/containerd.sock", 2)).resolves.toBeUndefined();
  });

  it("is refused after its timeout where nothing listens, naming the socket", async () => {
    const root = workdir("listening");
    const started = Date.now();
    await expect(untilListening(root, "/run/k0s/containerd.sock", 1)).rejects.toThrow(
      new Refusal("containerd did not come back on /run/k0s/containerd.sock within 1 s of the restart: its log on the node says why"),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
