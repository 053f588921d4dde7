/**
 * The engine generations the end-to-end suite runs on, each a private engine made of Debian's
 * packages, unpacked by scripts/prepare into the parts directory: Debian 12's (what bookworm users
 * have) and sid's (what most users run: Docker 28 probes `features`, passes `--annotation` into the
 * bundle; containerd 2 reads config version 3).
 */
import { join } from "node:path";
import type { EngineParts } from "./engine.js";

export interface Generation extends Omit<EngineParts, "runtimeEnv"> {
  name: string;
  /** dockerd runs `<runtime> features` at start and on every reload (Docker 25 and later). */
  featuresProbe: boolean;
  /** `docker run --annotation` reaches the bundle (Docker 24 and later). */
  annotations: boolean;
}

export function generations(parts: string): [debian12: Generation, sid: Generation] {
  // dockerd will not start without a runc on PATH, even when no container uses it; sid's runc needs a
  // newer C library than this machine's, so both take Debian 12's. Both packages' docker-init is a
  // link to tini-static, from a package of its own: Debian 12's, which is static anyway.
  const runc = join(parts, "runc-1.1/usr/sbin");
  const init = join(parts, "tini/usr/bin/tini-static");
  return [
    {
      name: "Docker 20.10 + containerd 1.6",
      bin: [join(parts, "docker-20.10/usr/bin"), join(parts, "docker-20.10/usr/sbin"), join(parts, "containerd-1.6/usr/bin"), runc],
      containerdConfigVersion: 2,
      init,
      featuresProbe: false,
      annotations: false,
    },
    {
      name: "Docker 28.5 + containerd 2.1",
      bin: [join(parts, "docker-cli-28.5/usr/bin"), join(parts, "docker-28.5/usr/sbin"), join(parts, "containerd-2.1/usr/bin"), runc],
      containerdConfigVersion: 3,
      init,
      featuresProbe: true,
      annotations: true,
    },
  ];
}
