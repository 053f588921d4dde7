/**
 * A minimal OCI bundle for the demo and the tests: busybox-static as the whole rootfs, no network
 * namespace path (runsc runs with --network=none here), a writable root so that runsc overlays it.
 */
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** An OCI bundle whose rootfs is busybox-static, with a writable root so that runsc overlays it. */
export function busyboxBundle(busybox: string, dir: string, args: string[], extra: Record<string, unknown> = {}): string {
  const bundle = join(dir, "bundle");
  mkdirSync(join(bundle, "rootfs/bin"), { recursive: true });
  copyFileSync(busybox, join(bundle, "rootfs/bin/busybox"));
  chmodSync(join(bundle, "rootfs/bin/busybox"), 0o755);
  for (const applet of ["sh", "cat", "ls", "sleep", "dd", "head", "echo"]) symlinkSync("busybox", join(bundle, "rootfs/bin", applet));
  for (const d of ["proc", "sys", "dev", "tmp"]) mkdirSync(join(bundle, "rootfs", d));
  const spec = {
    ociVersion: "1.0.0",
    process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: ["PATH=/bin"], cwd: "/", capabilities: {}, rlimits: [] },
    root: { path: "rootfs", readonly: false },
    hostname: "runsc-overlay-test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    ],
    linux: { namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }] },
    ...extra,
  };
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec, null, 2));
  return bundle;
}
