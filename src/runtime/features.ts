/**
 * The runtime-spec `features` document for a runsc too old to answer `features` itself. It claims
 * only what every runsc that runsc-overlay supports does; a field left out means "unknown" to the
 * caller. `linux` and `linux.mountExtensions` are always present: containerd reads them without a
 * nil check.
 */
import type { Capabilities } from "./capabilities.js";

export function featuresDocument(caps: Capabilities): string {
  return JSON.stringify(
    {
      ociVersionMin: "1.0.0",
      ociVersionMax: caps.spec ?? "1.0.2",
      linux: {
        namespaces: ["ipc", "mount", "network", "pid", "uts"],
        cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
        seccomp: { enabled: false },
        apparmor: { enabled: false },
        selinux: { enabled: false },
        intelRdt: { enabled: false },
        mountExtensions: { idmap: { enabled: false } },
      },
      annotations: { "io.github.runsc-overlay.runsc.version": caps.version },
    },
    null,
    "    ",
  );
}
