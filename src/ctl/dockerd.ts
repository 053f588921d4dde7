/**
 * The running Docker engine: which dockerd owns the API socket (to ask it to reload daemon.json with
 * SIGHUP) and which runtimes it has loaded (from `docker info`).
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { processesNamed } from "./processes.js";

/** The API socket the docker CLI would use; undefined for a DOCKER_HOST that is not a unix socket. */
export function dockerSocket(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST;
  if (!host) return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

/**
 * The PID of the dockerd listening on `socket`. With systemd socket activation, PID 1 holds the
 * socket too, so the holder must be dockerd itself.
 */
export function socketOwner(socket: string): number | undefined {
  const inodes = new Set(
    readFileSync("/proc/net/unix", "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[7] === socket)
      .map((fields) => `socket:[${fields[6]}]`),
  );
  return processesNamed("dockerd").find((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`)));
    } catch {
      return false; // The process ended, or is not ours to look at.
    }
  });
}

export interface DockerInfo {
  runtimes: string[];
  rootDir: string;
}

/** What the engine reports, or undefined where `docker info` does not answer. */
export async function dockerInfo(env: NodeJS.ProcessEnv): Promise<DockerInfo | undefined> {
  const info = await execa("docker", ["info", "--format", "{{json .}}"], { env, reject: false, timeout: 20_000 });
  if (info.exitCode !== 0) return undefined;
  try {
    const parsed = JSON.parse(info.stdout) as { Runtimes?: object; DockerRootDir?: string };
    return { runtimes: Object.keys(parsed.Runtimes ?? {}), rootDir: parsed.DockerRootDir ?? "" };
  } catch {
    return undefined;
  }
}

/**
 * SIGHUPs the dockerd on the socket, then waits for `docker info` to show (or stop showing) the
 * runtime. Returns a sentence for the user.
 */
export async function reloadDockerd(env: NodeJS.ProcessEnv, configFile: string, name: string, wanted: boolean): Promise<{ ok: boolean; message: string }> {
  const socket = dockerSocket(env);
  const pid = socket === undefined ? undefined : socketOwner(socket);
  if (pid === undefined) {
    return { ok: true, message: `no dockerd is listening on ${socket ?? env.DOCKER_HOST}: it reads ${configFile} when it starts` };
  }
  process.kill(pid, "SIGHUP");
  let runtimes: string[] | undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    runtimes = (await dockerInfo(env))?.runtimes;
    if (runtimes !== undefined && runtimes.includes(name) === wanted) {
      return { ok: true, message: `dockerd (PID ${pid}) reloaded its configuration: docker info ${wanted ? "lists" : "no longer lists"} runtime ${name}` };
    }
    await sleep(200);
  }
  return {
    ok: false,
    message:
      runtimes === undefined
        ? `sent SIGHUP to dockerd (PID ${pid}), but docker info does not answer: check dockerd's log`
        : `sent SIGHUP to dockerd (PID ${pid}), but docker info ${wanted ? "does not list" : "still lists"} runtime ${name}: ` +
          `is dockerd started with --config-file ${configFile}? Its log says why a reload was refused`,
  };
}
