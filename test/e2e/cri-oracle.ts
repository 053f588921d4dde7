/** The oracle through the CRI: an app container of a running pod, as kubelet starts one, and its root as the sandbox has it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Cri, Message } from "../../src/testbed/cri.js";
import { ORACLE_SCRIPT, type RootTruth, rootTruth } from "./oracle.js";

/** The upper dir of the overlay that containerd (state dir `state`) mounted as a container's rootfs. */
export function criUpperDir(state: string, containerId: string): string {
  const rootfs = join(state, "io.containerd.runtime.v2.task/k8s.io", containerId, "rootfs");
  const mount = readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((line) => line.split(" ")[4] === rootfs);
  return /upperdir=([^,\s]+)/.exec(mount ?? "")?.[1] ?? `(no overlay mounted at ${rootfs})`;
}

/**
 * Runs ORACLE_SCRIPT in a new app container of pod `podId` and waits for it to finish writing.
 * Returns the first line of its /proc/mounts (its root, as it sees it) and the root's truth.
 */
export async function oracleInPod(cri: Cri, podId: string, pod: Message, image: string, state: string, fallbackDir?: string): Promise<{ rootMount: string; truth: RootTruth }> {
  const config = { metadata: { name: "app", attempt: 0 }, image: { image }, command: ["sh", "-c", ORACLE_SCRIPT], log_path: "app.log", linux: {} };
  const id = (await cri.runtime("CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: pod })).container_id as string;
  await cri.runtime("StartContainer", { container_id: id }, 30);
  const inside = (cmd: string[]) => cri.runtime("ExecSync", { container_id: id, cmd, timeout: 20 }, 30);
  for (let i = 0; i < 100 && (await inside(["cat", "/done"])).exit_code !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const rootMount = Buffer.from((await inside(["head", "-n", "1", "/proc/mounts"])).stdout).toString();
  return { rootMount, truth: await rootTruth(id, criUpperDir(state, id), "written", fallbackDir, podId) };
}
