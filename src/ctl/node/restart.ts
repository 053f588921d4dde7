/**
 * Restarting the node's containerd the way the node runs it, from inside the installer's container:
 * the node's own systemctl, run in the node's root (chroot), as NVIDIA's toolkit container does.
 * containerd reads its config only at start, and exits on SIGHUP, so nothing lighter will do.
 */
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { Refusal } from "../../runtime/errors.js";
import { onNode } from "./host-root.js";

/**
 * How containerd is restarted: systemctl on the first of `units` that is active, a command of the
 * node's, by the distribution itself (k0s, on a drop-in's change), or not at all.
 */
export type Restart = { how: "systemd"; units: string[] } | { how: "command"; command: string } | { how: "self" } | { how: "none" };

/** k0s waits 3 s for more drop-in changes before it restarts containerd. */
const SELF_RESTART_SECONDS = 10;

/** Runs `argv` on the node: its binaries, libraries and files, not this container's. */
export async function onNodeRun(root: string, argv: string[]): Promise<{ exitCode: number; output: string }> {
  const run = await execa("chroot", [root, ...argv], { reject: false, all: true, stdin: "ignore", timeout: 180_000 });
  return { exitCode: run.exitCode ?? -1, output: (run.all ?? run.message).trim() };
}

/** Restarts containerd and returns what was done, in a sentence; a refusal says why it could not. */
export async function restartContainerd(root: string, restart: Restart): Promise<string> {
  if (restart.how === "none") return "";
  if (restart.how === "self") {
    await sleep(SELF_RESTART_SECONDS * 1000);
    return `waited ${SELF_RESTART_SECONDS} s for the distribution to restart containerd on its own`;
  }
  if (restart.how === "command") {
    const run = await onNodeRun(root, ["/bin/sh", "-c", restart.command]);
    if (run.exitCode !== 0) throw new Refusal(`the restart command (${restart.command}) failed with status ${run.exitCode}: ${run.output.split("\n").at(-1)}`);
    return `ran ${restart.command}`;
  }
  for (const unit of restart.units) {
    if ((await onNodeRun(root, ["systemctl", "is-active", "--quiet", unit])).exitCode !== 0) continue;
    const run = await onNodeRun(root, ["systemctl", "restart", unit]);
    if (run.exitCode !== 0) throw new Refusal(`systemctl restart ${unit} failed on the node (status ${run.exitCode}): ${run.output.split("\n").at(-1)}; see journalctl -u ${unit}`);
    return `restarted ${unit} (systemctl)`;
  }
  throw new Refusal(
    `none of the systemd units ${restart.units.join(", ")} is active on the node: give --restart-command with the node's own way to restart containerd, or --no-restart and restart it yourself`,
  );
}

/** Waits until containerd answers on its socket again (a node path, as its config names it). */
export async function untilListening(root: string, socket: string, seconds = 120): Promise<void> {
  const path = onNode(root, socket);
  for (let waited = 0; waited < seconds * 5; waited++) {
    if (await accepts(path)) return;
    await sleep(200);
  }
  throw new Refusal(`containerd did not come back on ${socket} within ${seconds} s of the restart: its log on the node says why`);
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
