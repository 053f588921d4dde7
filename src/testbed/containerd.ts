/**
 * A private containerd on its own, restarted on request as a node's service manager restarts it:
 * a restart command touches `restartRequest` and waits for it to go, as `systemctl restart` waits;
 * the supervisor stops containerd, starts it again with the config it then finds, and removes the
 * file once the new one listens. How a node installer's restart is tested without systemd, and
 * from a container that does not share the node's PID namespace (as the DaemonSet's does not).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { containerdToml, removeEngineDir, terminate, until } from "./engine.js";

export interface SupervisedContainerd {
  dir: string;
  config: string;
  socket: string;
  restartRequest: string;
  log: string;
  /** How many times it has been started. */
  starts(): number;
  /** Waits until the `n`th start listens. */
  started(n: number): Promise<void>;
  stop(): Promise<void>;
}

export async function superviseContainerd(dir: string, bin: string[], configVersion: 2 | 3, sandboxImage: string): Promise<SupervisedContainerd> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  const restartRequest = join(dir, "restart-request");
  const log = join(dir, "containerd.log");
  writeFileSync(config, containerdToml(dir, socket, configVersion, sandboxImage));
  const env = { PATH: [...bin, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"), HOME: dir };
  let child: ChildProcess;
  let count = 0;
  const start = () => {
    count++;
    const fd = openSync(log, "a");
    child = spawn("containerd", ["--config", config], { env, stdio: ["ignore", fd, fd], detached: true });
  };
  const listening = () => until(() => existsSync(socket), child!, log);
  start();
  await listening();
  let restarting = false;
  const watch = setInterval(async () => {
    if (restarting || !existsSync(restartRequest)) return;
    restarting = true;
    await terminate(child);
    start();
    await listening().catch(() => undefined);
    rmSync(restartRequest, { force: true });
    restarting = false;
  }, 100);
  return {
    dir,
    config,
    socket,
    restartRequest,
    log,
    starts: () => count,
    async started(n) {
      for (let i = 0; i < 600 && count < n; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      if (count < n) throw new Error(`containerd was not started again within 60 s (${count} starts)`);
      await listening();
    },
    async stop() {
      clearInterval(watch);
      await terminate(child);
      await removeEngineDir(dir);
    },
  };
}
