/**
 * A private Podman for the end-to-end suite: Debian 12's podman 4.3 and conmon, unpacked by
 * scripts/prepare, with the libraries podman links that the machine lacks. Its containers.conf,
 * storage and run roots live under one directory, so the machine's own Podman state, if any, is left
 * alone. Podman passes the runtime no environment of its own choosing: the runtime reads the config its
 * launcher was installed with.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { busyboxTar, removeEngineDir } from "./engine.js";

export interface Podman {
  dir: string;
  /** The one containers.conf Podman reads (CONTAINERS_CONF). */
  containersConf: string;
  /** Podman's storage: containers' upper dirs are under overlay/. */
  graphRoot: string;
  env: Record<string, string>;
  podman(args: string[], options?: { reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  stop(): Promise<void>;
}

export function podmanParts(parts: string): { bin: string[]; libs: string[]; catatonit: string } {
  return {
    bin: [join(parts, "podman/usr/bin"), join(parts, "conmon/usr/bin")],
    libs: ["libsubid4", "libgpgme11", "libassuan0"].map((lib) => join(parts, lib, "usr/lib/x86_64-linux-gnu")),
    catatonit: join(parts, "catatonit/usr/bin/catatonit"),
  };
}

export async function startPodman(dir: string, parts: string): Promise<Podman> {
  const { bin, libs } = podmanParts(parts);
  await removeEngineDir(dir);
  mkdirSync(join(dir, "tmp"), { recursive: true });
  const containersConf = join(dir, "containers.conf");
  const graphRoot = join(dir, "storage");
  // What the administrator has before runsc-overlay-ctl install podman adds to it.
  writeFileSync(containersConf, `# the suite's Podman\n[containers]\nlog_driver = "k8s-file"\n`);
  writeFileSync(join(dir, "storage.conf"), `[storage]\ndriver = "overlay"\ngraphroot = "${graphRoot}"\nrunroot = "${dir}/run"\n`);
  const env = {
    PATH: [...bin, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"),
    LD_LIBRARY_PATH: libs.join(":"),
    CONTAINERS_CONF: containersConf,
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    HOME: dir,
  };
  // No systemd here, and no journald: cgroupfs and a file for events.
  const global = ["--cgroup-manager=cgroupfs", "--events-backend=file", `--tmpdir=${dir}/tmp`];
  const podman: Podman["podman"] = async (args, options = {}) => {
    const result = await execa("podman", [...global, ...args], { env, extendEnv: false, reject: options.reject ?? true, stdin: "ignore", timeout: 120_000 });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
  };
  return {
    dir,
    containersConf,
    graphRoot,
    env,
    podman,
    async stop() {
      await podman(["rm", "--all", "--force", "--time", "0"], { reject: false });
      await removeEngineDir(dir);
    },
  };
}

/** busybox-static as a local image, `podman import`ed: no registry, and a policy that accepts a local tar. */
export async function importBusyboxInto(podman: Podman, busybox: string, tag: string): Promise<string> {
  const tar = join(podman.dir, "busybox.tar");
  await busyboxTar(busybox, join(podman.dir, "busybox-rootfs"), tar);
  const policy = join(podman.dir, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  await podman.podman(["import", "--signature-policy", policy, "--change", "ENV PATH=/bin", tar, tag]);
  return tag;
}
