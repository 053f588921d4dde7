/**
 * Kubernetes, as kubelet drives containerd's CRI plugin: a private containerd (1.6 and 2.1) whose
 * handler is registered by `runsc-overlay-ctl install containerd` itself, pods on the host's network
 * (no CNI), and every CRI call with a deadline, so that a hang fails a test instead of the suite.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRI_RUNTIME_PLUGIN, differences } from "../../src/ctl/containerd-config.js";
import { type Cri, type Message, criClient } from "../../src/testbed/cri.js";
import { type Engine, commandLines, importBusybox, startEngine } from "../../src/testbed/engine.js";
import type { Generation } from "../../src/testbed/generations.js";
import { releaseOf } from "../../src/runtime/policy.js";
import { BUSYBOX, CRI_PROTO, CTL, ENGINES, LAUNCHER, NO_SHIM, REAL_RUNSC, RUNSC, SHIM_DIR } from "../helpers/paths.js";
import { onRunsc, withConfig, workdir, writeConfig } from "../helpers/runtime.js";
import { ORACLE_BYTES, engineCases, overlayHeld } from "./oracle.js";
import { criUpperDir, oracleInPod } from "./cri-oracle.js";
import { sandboxPid, sharedRssKiB } from "./sandbox.js";

const IMAGE = "docker.io/runsc-overlay-test/busybox:latest";
const PAUSE = "docker.io/runsc-overlay-test/pause:latest";
const MiB = 1024 * 1024;

describe.skipIf(NO_SHIM !== undefined).each(ENGINES)(`Kubernetes on $name${NO_SHIM ? ` (skipped: ${NO_SHIM})` : ""}`, (generation: Generation) => {
  let engine: Engine;
  let cri: Cri;
  let dir: string;
  let ownLog: string;
  const dumps: { before?: Message; installed?: Message; configBefore?: string } = {};
  const env = () => ({ PATH: [...generation.bin, SHIM_DIR, "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":") });
  const dump = async (file: string) => parse((await execa("containerd", ["--config", file, "config", "dump"], { env: env() })).stdout) as Message;

  /** The handler that `runsc-overlay-ctl kubernetes` puts in its RuntimeClass: what a pod's runtimeClassName selects. */
  let handler: string;

  beforeAll(async () => {
    dir = workdir(`k8s-${generation.containerdConfigVersion}`);
    const config = writeConfig(dir, RUNSC["20240729"], { flags: ["--network=none"] });
    ownLog = join(dir, "own.log");
    const manifest = (await execa(CTL, ["kubernetes"], { env: env() })).stdout;
    handler = /^handler: (\S+)$/m.exec(manifest)![1]!;
    engine = await startEngine(join(dir, "engine"), { ...generation, bin: [...generation.bin, SHIM_DIR], runtimeEnv: { RUNSC_OVERLAY_CONFIG: config } }, {}, {
      sandboxImage: PAUSE,
      async prepare(file) {
        dumps.configBefore = readFileSync(file, "utf8");
        dumps.before = await dump(file);
        await execa(CTL, ["install", "containerd", "--config", file, "--name", handler, "--pod-annotations", "dev.gvisor.*"], { env: env() });
        dumps.installed = await dump(file);
      },
    });
    await importBusybox(engine, BUSYBOX);
    await importBusybox(engine, BUSYBOX, "runsc-overlay-test/pause", ['CMD ["sleep", "2147483647"]']);
    const tar = join(engine.dir, "images.tar");
    await engine.docker(["save", "-o", tar, IMAGE, PAUSE]);
    await execa("ctr", ["--address", engine.containerdSocket, "--namespace", "k8s.io", "images", "import", tar], { env: engine.env });
    cri = criClient(engine.containerdSocket, CRI_PROTO);
  }, 120_000);

  afterAll(async () => {
    cri?.close();
    await engine?.stop();
  });

  it("install containerd changes containerd's merged configuration by the handler alone", () => {
    const plugin = CRI_RUNTIME_PLUGIN[dumps.before!.version as 2 | 3];
    expect(differences(dumps.before, dumps.installed)).toEqual([`plugins.${plugin}.containerd.runtimes.${handler}`]);
    expect(dumps.installed!.plugins[plugin].containerd.runtimes[handler]).toMatchObject({
      runtime_type: "io.containerd.runsc.v1",
      pod_annotations: ["dev.gvisor.*"],
      options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: join(engine.dir, `${handler}.toml`) },
    });
  });

  it("doctor reports gVisor's shim and the handler that runs it with runsc-overlay", async () => {
    const doctor = await execa(CTL, ["doctor", "--name", handler, "--containerd-config", engine.containerdConfig, "--docker-config", join(dir, "none.json")], {
      env: { ...env(), RUNSC_OVERLAY_CONFIG: join(dir, "config.toml") },
      reject: false,
    });
    expect(doctor.stdout).toMatch(new RegExp(`^ok +containerd shim +gVisor's shim ${SHIM_DIR}/containerd-shim-runsc-v1: version 1\\.4\\.13`, "m"));
    expect(doctor.stdout).toContain(`ok    containerd          ${engine.containerdConfig}: runtime ${handler} runs gVisor's shim with runsc-overlay ${LAUNCHER} (${join(engine.dir, `${handler}.toml`)})`);
  });

  describe("a pod of two app containers", () => {
    const pod: Message = {
      metadata: { name: "two", uid: "uid-two", namespace: "default", attempt: 0 },
      hostname: "two",
      annotations: { "dev.gvisor.flag.overlay2": "root:memory" },
      linux: { security_context: { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } } },
    };
    let podId: string;
    const containers: Record<string, string> = {};

    beforeAll(async () => {
      pod.log_directory = join(dir, "pods/two");
      podId = (await cri.runtime("RunPodSandbox", { config: pod, runtime_handler: handler })).pod_sandbox_id;
      for (const name of ["first", "second"]) {
        const config = {
          metadata: { name, attempt: 0 },
          image: { image: IMAGE },
          command: ["sh", "-c", `echo hello from ${name}; dmesg | head -n 1; mount | head -n 1; exec sleep 600`],
          log_path: `${name}.log`,
          linux: {},
        };
        containers[name] = (await cri.runtime("CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: pod })).container_id;
        await cri.runtime("StartContainer", { container_id: containers[name] }, 30);
      }
    }, 120_000);

    it("starts both, inside gVisor, each one's output in its CRI log", async () => {
      for (const name of ["first", "second"]) {
        const { status } = await cri.runtime("ContainerStatus", { container_id: containers[name] });
        expect(status.state).toBe("CONTAINER_RUNNING");
        const log = join(dir, "pods/two", `${name}.log`);
        await expect.poll(() => (existsSync(log) ? readFileSync(log, "utf8") : ""), { timeout: 10_000 }).toMatch(/stdout F none on \/ type overlay/);
        const lines = readFileSync(log, "utf8");
        expect(lines).toMatch(new RegExp(`stdout F hello from ${name}\n`));
        expect(lines).toMatch(/stdout F \[ *0\.0+\] Starting gVisor/);
      }
    });

    it("answers ExecSync with the command's output and exit status", async () => {
      const result = await cri.runtime("ExecSync", { container_id: containers.second, cmd: ["sh", "-c", "echo out; echo err >&2; exit 5"], timeout: 20 }, 30);
      expect(Buffer.from(result.stdout).toString()).toBe("out\n");
      expect(Buffer.from(result.stderr).toString()).toBe("err\n");
      expect(result.exit_code).toBe(5);
    });

    it("runs the sandbox with --overlay2=root:self, and removed the pod's overlay annotation from its bundle", async () => {
      const argv = commandLines().find(({ argv }) => argv[0] === "runsc-sandbox" && argv.includes(podId))!.argv;
      expect(argv).toContain("--overlay2=root:self");
      expect(argv.join(" ")).not.toContain("root:memory");
      const bundle = join(engine.dir, "containerd-state/io.containerd.runtime.v2.task/k8s.io", podId, "config.json");
      expect(readFileSync(ownLog, "utf8")).toContain(`removed dev.gvisor.flag.overlay2 from ${bundle}`);
      expect(readFileSync(bundle, "utf8")).not.toContain("dev.gvisor.flag.overlay2");
    });

    it("puts each app container's 64 MiB write in a filestore in its snapshot's upper dir, not in sandbox memory", async () => {
      const pid = await sandboxPid(podId);
      for (const name of ["first", "second"]) {
        const before = sharedRssKiB(pid);
        const dd = await cri.runtime("ExecSync", { container_id: containers[name], cmd: ["dd", "if=/dev/zero", "of=/big", "bs=1M", "count=64"], timeout: 60 }, 90);
        expect(dd.exit_code).toBe(0);
        expect(sharedRssKiB(pid) - before).toBeLessThan(8 * 1024);
        // gVisor names a pod's filestores after the sandbox; each sits in its own container's upper dir.
        const filestore = join(criUpperDir(join(engine.dir, "containerd-state"), containers[name]!), `.gvisor.filestore.${podId}`);
        expect(statSync(filestore).blocks * 512).toBeGreaterThanOrEqual(64 * MiB);
      }
    });

    it("restarts a container in its pod as kubelet does (a new attempt), which starts without the files the last one wrote", async () => {
      const exec = (id: string, cmd: string[]) => cri.runtime("ExecSync", { container_id: id, cmd, timeout: 20 }, 30);
      expect((await exec(containers.second!, ["sh", "-c", "echo x > /written"])).exit_code).toBe(0);
      await cri.runtime("StopContainer", { container_id: containers.second, timeout: 5 }, 30);
      const config = { metadata: { name: "second", attempt: 1 }, image: { image: IMAGE }, command: ["sleep", "600"], log_path: "second.1.log", linux: {} };
      const again = (await cri.runtime("CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: pod })).container_id as string;
      await cri.runtime("StartContainer", { container_id: again }, 30);
      expect((await exec(again, ["test", "-e", "/written"])).exit_code).toBe(1);
      await cri.runtime("RemoveContainer", { container_id: containers.second }, 30);
      containers.second = again;
    });

    it("stops and removes the containers and the pod within their deadlines, leaving no process, mount or filestore", async () => {
      for (const id of Object.values(containers)) {
        await cri.runtime("StopContainer", { container_id: id, timeout: 5 }, 30);
        await cri.runtime("RemoveContainer", { container_id: id }, 30);
      }
      await cri.runtime("StopPodSandbox", { pod_sandbox_id: podId }, 30);
      await cri.runtime("RemovePodSandbox", { pod_sandbox_id: podId }, 30);
      expect((await cri.runtime("ListPodSandbox", {})).items).toEqual([]);
      await expect.poll(() => commandLines().filter(({ argv }) => argv.some((word) => word.includes(podId))).map(({ argv }) => argv.join(" ")), { timeout: 10_000 }).toEqual([]);
      expect(execFileSync("cat", ["/proc/self/mountinfo"], { encoding: "utf8" })).not.toContain(podId);
      expect(filestores()).toEqual([]);
    }, 120_000);
  });

  describe.each(REAL_RUNSC)("pod annotations through the handler's pod_annotations, on runsc %s: the root overlay as the sandbox has it", (version) => {
    const fallback = join(workdir("k8s-fallback"), "filestore");

    it.each(engineCases(releaseOf(`0.0~${version}.0`)!))("$name", async ({ name, annotations, refusal }) => {
      await withConfig(join(dir, "config.toml"), onRunsc(RUNSC[version], fallback), async () => {
        const slug = `${version}-${name.replace(/[^a-z0-9]+/g, "-")}`.slice(0, 60).replace(/-$/, "");
        const pod: Message = {
          metadata: { name: slug, uid: `uid-${slug}`, namespace: "default", attempt: 0 },
          hostname: "oracle",
          log_directory: join(dir, "pods", slug),
          annotations,
          linux: { security_context: { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } } },
        };
        const started = cri.runtime("RunPodSandbox", { config: pod, runtime_handler: handler }, 60);
        if (refusal) {
          await expect(started).rejects.toThrow(refusal);
          expect((await cri.runtime("ListPodSandbox", {})).items.filter((item: Message) => item.metadata.name === slug && item.state === "SANDBOX_READY")).toEqual([]);
          return;
        }
        const podId = (await started).pod_sandbox_id as string;
        try {
          const { rootMount, truth } = await oracleInPod(cri, podId, pod, IMAGE, join(engine.dir, "containerd-state"), fallback);
          expect(rootMount).toBe("none / overlay rw 0 0\n");
          expect(overlayHeld(truth, ORACLE_BYTES), JSON.stringify(truth)).toBe(true);
        } finally {
          await cri.runtime("StopPodSandbox", { pod_sandbox_id: podId }, 30);
          await cri.runtime("RemovePodSandbox", { pod_sandbox_id: podId }, 30);
        }
      });
    }, 120_000);
  });

  it("uninstall containerd restores the file and containerd's merged configuration", async () => {
    await execa(CTL, ["uninstall", "containerd", "--config", engine.containerdConfig, "--name", handler], { env: env() });
    expect(readFileSync(engine.containerdConfig, "utf8")).toBe(dumps.configBefore);
    expect(await dump(engine.containerdConfig)).toEqual(dumps.before);
    expect(existsSync(join(engine.dir, `${handler}.toml`))).toBe(false);
  });

  function filestores(): string[] {
    const snapshots = join(engine.dir, "containerd/io.containerd.snapshotter.v1.overlayfs/snapshots");
    return execFileSync("find", [snapshots, "-maxdepth", "3", "-name", ".gvisor.filestore.*"], { encoding: "utf8" }).split("\n").filter(Boolean);
  }
});
