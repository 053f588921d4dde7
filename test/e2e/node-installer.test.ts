/**
 * The node installer at the CRI level, as far as this machine allows (no kubelet, no API server):
 * a private containerd (1.6 and 2.1) runs the installer's image in a container made from the
 * DaemonSet's own pod spec (its args, env, volumes, security context), with the node's / mounted as
 * its hostPath volume says, and the Kubernetes API stood in for by a loopback recorder. containerd is
 * restarted by the installer itself, through a restart command that a supervisor here serves as
 * systemd would. Then a pod of the handler runs through gVisor with the root overlay, and stopping
 * the installer's pod takes it all away again, byte for byte.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SupervisedContainerd, superviseContainerd } from "../../src/testbed/containerd.js";
import { type Cri, type Message, criClient } from "../../src/testbed/cri.js";
import { busyboxTar, commandLines } from "../../src/testbed/engine.js";
import type { Generation } from "../../src/testbed/generations.js";
import { writeOciArchive } from "../../src/image/oci-archive.js";
import { SERVICE_ACCOUNT_DIR } from "../../src/ctl/node/kube-api.js";
import { INSTALLED_LABEL } from "../../src/ctl/kubernetes.js";
import { type ApiRecorder, startApiRecorder } from "../helpers/api-recorder.js";
import { BUSYBOX, CONTAINERD, CRI_PROTO, ENGINES, NODE_IMAGE, NO_NODE_IMAGE } from "../helpers/paths.js";
import { workdir } from "../helpers/runtime.js";
import { ORACLE_BYTES, overlayHeld } from "./oracle.js";
import { oracleInPod } from "./cri-oracle.js";

const BASE = join(import.meta.dirname, "../../deploy/kubernetes/base");
const NODE = "node-under-test";
const IMAGE = "docker.io/runsc-overlay-test/busybox:latest";
const PAUSE = "docker.io/runsc-overlay-test/pause:latest";

describe.skipIf(NO_NODE_IMAGE !== undefined).each(ENGINES)(`the node installer on $name${NO_NODE_IMAGE ? ` (skipped: ${NO_NODE_IMAGE})` : ""}`, (generation: Generation) => {
  const daemonSet = parseYaml(readFileSync(join(BASE, "daemonset.yaml"), "utf8"));
  const kustomization = parseYaml(readFileSync(join(BASE, "kustomization.yaml"), "utf8"));
  const installerImage = `docker.io/${kustomization.images[0].name}:${kustomization.images[0].newTag}`;
  const handler = "runsc-overlay";
  let dir: string;
  let nodeRoot: string;
  let containerd: SupervisedContainerd;
  let api: ApiRecorder;
  let cri: Cri;
  const before: { config?: string; dump?: unknown } = {};
  const installer: { pod?: string; container?: string; log?: string } = {};
  const containerdBinary = CONTAINERD[generation.containerdConfigVersion];
  const dump = async () => parseToml((await execa(containerdBinary, ["--config", containerd.config, "config", "dump"])).stdout);

  beforeAll(async () => {
    dir = workdir(`node-installer-${generation.containerdConfigVersion}`);
    api = await startApiRecorder(join(dir, "api"));
    // node-bin: a directory on containerd's PATH, as /usr/local/bin is on a node's.
    containerd = await superviseContainerd(join(dir, "containerd"), [...generation.bin, join(dir, "node-bin")], generation.containerdConfigVersion, PAUSE);
    before.config = readFileSync(containerd.config, "utf8");
    before.dump = await dump();
    // The node's / as the DaemonSet's hostPath volume gives it: every mount of it, and (as on a
    // systemd node, unlike this machine's /) shared, which HostToContainer propagation requires.
    nodeRoot = join(dir, "node-root");
    mkdirSync(nodeRoot);
    await execa("mount", ["--rbind", "/", nodeRoot]);
    await execa("mount", ["--make-rshared", nodeRoot]);
    const busybox = join(dir, "busybox.tar");
    await busyboxTar(BUSYBOX, join(dir, "busybox-root"), busybox);
    for (const [name, cmd] of [[IMAGE, ["sh"]], [PAUSE, ["sleep", "2147483647"]]] as const) {
      const archive = join(dir, `${name.split("/").at(-1)!.split(":")[0]}.oci.tar`);
      await writeOciArchive(archive, { name, layers: [{ tar: busybox, createdBy: "busybox-static" }], config: { env: ["PATH=/bin"], cmd: [...cmd] } });
      await ctr(["images", "import", archive]);
    }
    await ctr(["images", "import", NODE_IMAGE]);
    cri = criClient(containerd.socket, CRI_PROTO);
  }, 180_000);

  afterAll(async () => {
    cri?.close();
    await containerd?.stop();
    await api?.close();
    if (nodeRoot) await execa("umount", ["-R", "-l", nodeRoot], { reject: false });
  });

  const ctr = (args: string[]) => execa(join(dirname(containerdBinary), "ctr"), ["--address", containerd.socket, "--namespace", "k8s.io", ...args]);

  /**
   * A pod made from the DaemonSet's pod spec, as kubelet would make it on this node: its container's
   * args, env, volumes and security context, with `args` after its own. Returns when the installer
   * has installed, or has exited.
   */
  async function startInstaller(slug: string, args: string[]): Promise<void> {
    const spec = daemonSet.spec.template.spec;
    const container = spec.containers[0];
    const configDir = join(dir, `configmap-${slug}`);
    mkdirSync(configDir);
    // The ConfigMap's config, plus what runsc needs on this machine (no sandbox network).
    writeFileSync(join(configDir, "config.toml"), `${readFileSync(join(BASE, "config.toml"), "utf8")}\n[runsc]\nflags = ["--network=none"]\n`);
    const hostPath = (name: string) => {
      const volume = spec.volumes.find((v: Message) => v.name === name);
      if (volume.hostPath?.path === "/") return nodeRoot;
      if (volume.configMap) return configDir;
      throw new Error(`a volume the test does not know: ${name}`);
    };
    const pod: Message = {
      metadata: { name: `runsc-overlay-node-${slug}`, uid: `uid-${slug}`, namespace: "runsc-overlay", attempt: 0 },
      log_directory: join(dir, "pods", slug),
      // The node's network, where the DaemonSet has the pod's own: no CNI here, and the API's stand-in is on loopback.
      linux: { security_context: { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } } },
    };
    installer.pod = (await cri.runtime("RunPodSandbox", { config: pod })).pod_sandbox_id;
    const security = container.securityContext;
    const config: Message = {
      metadata: { name: container.name, attempt: 0 },
      image: { image: installerImage },
      args: [
        ...container.args,
        // This node's own paths: the test's containerd, its binary, and a directory of the test's.
        ...["--containerd-config", containerd.config, "--containerd", containerdBinary, "--dir", join(dir, "opt/runsc-overlay"), "--shim-link-dir", join(dir, "node-bin")],
        ...["--restart-command", `touch ${containerd.restartRequest}; while [ -e ${containerd.restartRequest} ]; do sleep 0.2; done`],
        ...args,
      ],
      envs: [
        { key: "NODE_NAME", value: NODE },
        { key: "KUBERNETES_SERVICE_HOST", value: "127.0.0.1" },
        { key: "KUBERNETES_SERVICE_PORT", value: String(api.port) },
      ],
      mounts: [
        ...container.volumeMounts.map((m: Message) => ({
          host_path: hostPath(m.name),
          container_path: m.mountPath,
          readonly: Boolean(m.readOnly),
          propagation: m.mountPropagation === "HostToContainer" ? "PROPAGATION_HOST_TO_CONTAINER" : "PROPAGATION_PRIVATE",
        })),
        { host_path: api.accountDir, container_path: SERVICE_ACCOUNT_DIR, readonly: true },
      ],
      log_path: "installer.log",
      linux: {
        security_context: {
          privileged: Boolean(security.privileged),
          capabilities: { add_capabilities: security.capabilities.add, drop_capabilities: security.capabilities.drop },
          run_as_user: { value: security.runAsUser },
          readonly_rootfs: Boolean(security.readOnlyRootFilesystem),
          no_new_privs: !security.allowPrivilegeEscalation,
        },
      },
    };
    expect(security.privileged).toBe(false);
    installer.container = (await cri.runtime("CreateContainer", { pod_sandbox_id: installer.pod, config, sandbox_config: pod })).container_id;
    installer.log = join(dir, "pods", slug, "installer.log");
    await cri.runtime("StartContainer", { container_id: installer.container }, 30);
    const settled = async () => installerLog().includes("installed; uninstalls") || (await cri.runtime("ContainerStatus", { container_id: installer.container })).status.state === "CONTAINER_EXITED";
    await expect.poll(settled, { timeout: 120_000, interval: 500 }).toBe(true);
  }

  it("leaves a node whose containerd rejects the handler as it was: the reason in the pod's log and in an event, no restart, no label", async () => {
    // A handler named runc would replace containerd's own runtime, which its dump shows (each containerd in its words).
    await startInstaller("rejected", ["--name", "runc"]);
    try {
      const { status } = await cri.runtime("ContainerStatus", { container_id: installer.container });
      expect(status.exit_code).toBe(1);
      expect(installerLog()).toMatch(/stderr F runsc-overlay-ctl: .*config\.toml .*runtime runc.*nothing was changed\n/);
      expect(readFileSync(containerd.config, "utf8")).toBe(before.config);
      expect(existsSync(join(dir, "opt/runsc-overlay"))).toBe(false);
      expect(containerd.starts()).toBe(1);
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /api/v1/namespaces/default/events"]);
      expect(api.requests[0]!.body).toMatchObject({ involvedObject: { kind: "Node", name: NODE, uid: NODE }, type: "Warning", reason: "RunscOverlayInstallFailed" });
    } finally {
      await cri.runtime("StopPodSandbox", { pod_sandbox_id: installer.pod }, 60);
      await cri.runtime("RemovePodSandbox", { pod_sandbox_id: installer.pod }, 30);
      api.requests.length = 0;
    }
  }, 180_000);

  it("runs the DaemonSet's container, which installs, restarts containerd and labels the node", async () => {
    await startInstaller("installer", []);
    expect(installerLog()).toContain("installed; uninstalls when this pod is stopped");
    expect(containerd.starts()).toBe(2);
    const installed = (await dump()) as Message;
    const runtimes = installed.plugins[generation.containerdConfigVersion === 3 ? "io.containerd.cri.v1.runtime" : "io.containerd.grpc.v1.cri"].containerd.runtimes;
    expect(runtimes[handler]).toMatchObject({ runtime_type: "io.containerd.runsc.v1", runtime_path: join(dir, "opt/runsc-overlay/bin/containerd-shim-runsc-v1") });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /api/v1/nodes/${NODE}`, "POST /api/v1/namespaces/default/events"]);
    expect(api.requests[0]!.body).toEqual({ metadata: { labels: { [INSTALLED_LABEL]: "true" } } });
    expect(api.requests[0]!.headers.authorization).toBe("Bearer test-token");
    expect(api.requests[1]!.body).toMatchObject({ involvedObject: { kind: "Node", name: NODE, uid: NODE }, type: "Normal", reason: "RunscOverlayInstalled" });
  }, 180_000);

  it("then runs a pod of the handler through gVisor, its root overlay backed by a file beside the rootfs", async () => {
    await restarted(2);
    const pod: Message = {
      metadata: { name: "oracle", uid: "uid-oracle", namespace: "default", attempt: 0 },
      hostname: "oracle",
      log_directory: join(dir, "pods/oracle"),
      linux: { security_context: { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } } },
    };
    const podId = (await cri.runtime("RunPodSandbox", { config: pod, runtime_handler: handler }, 90)).pod_sandbox_id as string;
    try {
      const { rootMount, truth } = await oracleInPod(cri, podId, pod, IMAGE, join(containerd.dir, "containerd-state"));
      expect(rootMount).toBe("none / overlay rw 0 0\n");
      const sandbox = commandLines().find(({ argv }) => argv[0] === "runsc-sandbox" && argv.includes(podId))!.argv;
      expect(sandbox).toContain("--overlay2=root:self");
      expect(overlayHeld(truth, ORACLE_BYTES), JSON.stringify(truth)).toBe(true);
    } finally {
      await cri.runtime("StopPodSandbox", { pod_sandbox_id: podId }, 60);
      await cri.runtime("RemovePodSandbox", { pod_sandbox_id: podId }, 30);
    }
  }, 180_000);

  it("stopping the installer's pod uninstalls: containerd's config and dump as before, the handler gone, the label removed", async () => {
    // The uninstall restarts containerd under the call, as it would under kubelet's, which retries.
    await cri.runtime("StopContainer", { container_id: installer.container, timeout: daemonSet.spec.template.spec.terminationGracePeriodSeconds }, 180).catch((error: Error) => {
      if (!/UNAVAILABLE/.test(error.message)) throw error;
    });
    await restarted(3);
    await expect.poll(async () => (await cri.runtime("ContainerStatus", { container_id: installer.container })).status.state, { timeout: 120_000, interval: 500 }).toBe("CONTAINER_EXITED");
    expect(installerLog()).toContain(`removed runtime handler ${handler}`);
    expect(existsSync(join(dir, "node-bin/containerd-shim-runsc-v1"))).toBe(false);
    await cri.runtime("StopPodSandbox", { pod_sandbox_id: installer.pod }, 60);
    await cri.runtime("RemovePodSandbox", { pod_sandbox_id: installer.pod }, 30);
    expect(readFileSync(containerd.config, "utf8")).toBe(before.config);
    expect(await dump()).toEqual(before.dump);
    expect(existsSync(join(dir, "opt/runsc-overlay"))).toBe(false);
    const pod = { metadata: { name: "gone", uid: "uid-gone", namespace: "default", attempt: 0 }, linux: {} };
    await expect(cri.runtime("RunPodSandbox", { config: pod, runtime_handler: handler }, 60)).rejects.toThrow(/no runtime for "runsc-overlay"|runtime handler .*not/i);
    const last = api.requests.filter((r) => r.method === "PATCH").at(-1)!;
    expect(last.body).toEqual({ metadata: { labels: { [INSTALLED_LABEL]: null } } });
  }, 300_000);

  /** After containerd's `n`th start, a new CRI connection: gRPC fails calls fast while it backs off from the old one. */
  async function restarted(n: number): Promise<void> {
    await containerd.started(n);
    cri.close();
    cri = criClient(containerd.socket, CRI_PROTO);
  }

  function installerLog(): string {
    return installer.log && existsSync(installer.log) ? readFileSync(installer.log, "utf8") : "";
  }
});
