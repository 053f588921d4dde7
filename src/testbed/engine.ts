/**
 * A private Docker engine for the end-to-end suite (and the benchmark): its own containerd and dockerd,
 * each with its own config, state, sockets and pid file under one directory, so that whatever engine
 * the machine runs is left alone. Containerd's environment carries RUNSC_OVERLAY_CONFIG down through
 * the shim to every runtime call.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";

export interface EngineParts {
  /** Directories holding dockerd and docker, containerd, containerd-shim-runc-v2 and ctr. */
  bin: string[];
  /** Environment for containerd, and so for the shim and the runtime. */
  runtimeEnv: Record<string, string>;
  /** containerd's config version: 2 for containerd 1.x, 3 for 2.x, each of which reads its own. */
  containerdConfigVersion: 2 | 3;
  /** What `docker run --init` runs as the container's PID 1: Debian's docker-init is tini-static. */
  init: string;
}

/** For the Kubernetes suite: containerd's CRI plugin set up as a node's, before containerd starts. */
export interface CriSetup {
  /** The image of every pod's pause container. */
  sandboxImage: string;
  /** Runs on the written config file before containerd reads it (to register a runtime handler). */
  prepare(containerdConfig: string): Promise<void>;
}

export interface Engine {
  dir: string;
  /** PATH and DOCKER_HOST for the docker CLI and runsc-overlay-ctl. */
  env: Record<string, string>;
  daemonJson: string;
  containerdConfig: string;
  containerdSocket: string;
  dockerdLog: string;
  docker(args: string[], options?: { reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  ctr(args: string[], options?: { reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  stop(): Promise<void>;
}

export async function startEngine(dir: string, parts: EngineParts, daemonJson: object = {}, cri?: CriSetup): Promise<Engine> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const path = [...parts.bin, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":");
  const env = { PATH: path, DOCKER_HOST: `unix://${dir}/docker.sock`, HOME: dir };
  const containerdSocket = join(dir, "containerd.sock");
  const containerdConfig = join(dir, "containerd.toml");
  writeFileSync(containerdConfig, containerdToml(dir, containerdSocket, parts.containerdConfigVersion, cri?.sandboxImage));
  await cri?.prepare(containerdConfig);
  const daemonJsonFile = join(dir, "daemon.json");
  writeFileSync(daemonJsonFile, `${JSON.stringify(daemonJson, null, 2)}\n`);
  const processes: ChildProcess[] = [];
  const daemon = (command: string, args: string[], log: string, extraEnv: Record<string, string> = {}) => {
    const fd = openSync(join(dir, log), "a");
    const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ["ignore", fd, fd], detached: true });
    processes.push(child);
    return child;
  };
  const run = (command: string) => async (args: string[], options: { reject?: boolean } = {}) => {
    const result = await execa(command, args, { env, reject: options.reject ?? true, stdin: "ignore", timeout: 120_000 });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
  };
  const docker = run("docker");

  const engine: Engine = {
    dir,
    env,
    daemonJson: daemonJsonFile,
    containerdConfig,
    containerdSocket,
    dockerdLog: join(dir, "dockerd.log"),
    docker,
    ctr: (args, options) => run("ctr")(["--address", containerdSocket, "--namespace", "runsc-overlay-test", ...args], options),
    async stop() {
      const ids = (await docker(["ps", "-aq"], { reject: false })).stdout.split("\n").filter(Boolean);
      if (ids.length > 0) await docker(["rm", "-f", ...ids], { reject: false });
      for (const child of processes.reverse()) await terminate(child);
      await removeEngineDir(dir);
    },
  };
  try {
    const containerd = daemon("containerd", ["--config", containerdConfig], "containerd.log", parts.runtimeEnv);
    await until(() => existsSync(containerdSocket), containerd, join(dir, "containerd.log"));
    const dockerd = daemon(
      "dockerd",
      [
        `--config-file=${daemonJsonFile}`,
        `--data-root=${dir}/docker`,
        `--exec-root=${dir}/docker-exec`,
        `--pidfile=${dir}/docker.pid`,
        `--host=unix://${dir}/docker.sock`,
        `--containerd=${containerdSocket}`,
        `--init-path=${parts.init}`,
        // No bridge, iptables or NAT: the containers run with --network=none.
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--storage-driver=overlay2",
      ],
      "dockerd.log",
    );
    await until(async () => (await docker(["version"], { reject: false })).exitCode === 0, dockerd, join(dir, "dockerd.log"));
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}

/**
 * containerd's config. With a sandbox image, the CRI plugin is set up as a node's would be, less CNI
 * (pods run on the host's network): its pause image, and restrict_oom_score_adj, as root here lacks
 * CAP_SYS_RESOURCE and runsc would fail to give the pause container kubelet's -998.
 */
export function containerdToml(dir: string, socket: string, version: 2 | 3, sandboxImage: string | undefined): string {
  const base =
    `version = ${version}\nroot = "${dir}/containerd"\nstate = "${dir}/containerd-state"\n[grpc]\n  address = "${socket}"\n` +
    `[plugins."io.containerd.grpc.v1.cri"]\n  disable_tcp_service = true\n`;
  if (!sandboxImage) return base;
  return version === 2
    ? `${base}  sandbox_image = "${sandboxImage}"\n  restrict_oom_score_adj = true\n`
    : `${base}[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "${sandboxImage}"\n[plugins."io.containerd.cri.v1.runtime"]\n  restrict_oom_score_adj = true\n`;
}

/** A busybox image made from busybox-static, `docker import`ed: no registry involved. */
export async function importBusybox(engine: Engine, busybox: string, tag = "runsc-overlay-test/busybox", changes: string[] = []): Promise<string> {
  const tar = join(engine.dir, "busybox.tar");
  if (!existsSync(tar)) await busyboxTar(busybox, join(engine.dir, "busybox-rootfs"), tar);
  await execa("docker", ["import", ...["ENV PATH=/bin", ...changes].flatMap((change) => ["--change", change]), tar, tag], { env: engine.env });
  return tag;
}

/** A tar of a busybox-static root filesystem, every applet linked, for an engine to import as an image. */
export async function busyboxTar(busybox: string, root: string, tar: string): Promise<void> {
  mkdirSync(join(root, "bin"), { recursive: true });
  copyFileSync(busybox, join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  const applets = (await execa(busybox, ["--list"])).stdout.split("\n").filter((applet) => applet && applet !== "busybox");
  for (const applet of applets) symlinkSync("busybox", join(root, "bin", applet));
  for (const d of ["proc", "sys", "dev", "tmp", "etc"]) mkdirSync(join(root, d), { recursive: true });
  await execa("tar", ["-C", root, "-cf", tar, "."]);
}

/** Kills what still runs from `dir` (shims and sandboxes of containers that outlived their engine), unmounts and removes it. */
export async function removeEngineDir(dir: string): Promise<void> {
  for (const pid of processesMentioning(dir)) tryKill(pid);
  for (const mount of mountsUnder(dir)) await execa("umount", ["-l", mount], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}

export async function until(ready: () => boolean | Promise<boolean>, daemon: ChildProcess, log: string): Promise<void> {
  for (let attempt = 0; attempt < 300 && daemon.exitCode === null; attempt++) {
    if (await ready()) return;
    await sleep(100);
  }
  const what = `${daemon.spawnfile} ${daemon.exitCode === null ? "did not come up within 30 s" : `exited with status ${daemon.exitCode}`}`;
  throw new Error(`${what}; its log ends:\n${readFileSync(log, "utf8").split("\n").slice(-10).join("\n")}`);
}

export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  if ((await Promise.race([exited, sleep(20_000, "timeout")])) === "timeout") child.kill("SIGKILL");
}

function processesMentioning(dir: string): number[] {
  return commandLines()
    .filter(({ pid, argv }) => pid !== process.pid && argv.some((word) => word.includes(dir)))
    .map(({ pid }) => pid);
}

/** Every process's command line, as /proc shows it now. */
export function commandLines(): { pid: number; argv: string[] }[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        return [{ pid: Number(pid), argv: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0") }];
      } catch {
        return []; // ended meanwhile
      }
    });
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mount) => mount.startsWith(`${dir}/`))
    .reverse();
}
