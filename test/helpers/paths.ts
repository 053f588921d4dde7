/** Where scripts/test puts the real parts the suites run. */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { criProtoDirs } from "../../src/testbed/cri.js";
import { generations } from "../../src/testbed/generations.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const parts = `${root}.tools/test`;

export const LAUNCHER = `${parts}/prefix/bin/runsc-overlay`;
export const CTL = `${parts}/prefix/bin/runsc-overlay-ctl`;
export const RUNSC = {
  "20240729": `${parts}/runsc-20240729/usr/bin/runsc`,
  "20221219": `${parts}/runsc-20221219/usr/bin/runsc`,
} as const;
export const BUSYBOX = `${parts}/busybox/bin/busybox`;
/** gVisor's containerd shim, which no reachable package ships: shared/bin holds a build (its README says which). */
export const SHIM_DIR = resolve(root, "../shared/bin");
export const FIXTURES = `${root}test/runtime/fixtures`;

/** The engine generations of the end-to-end suite: Debian 12's (containerd 1.6) and sid's (containerd 2.1). */
export const ENGINES = generations(parts);
export const [DEBIAN_12_ENGINE, SID_ENGINE] = ENGINES;
/** Docker Compose v2 from Debian 13, run standalone (docker-compose), which needs no engine for `config`. */
/** The CRI's api.proto and what it imports, for the Kubernetes suite's client. */
export const CRI_PROTO = criProtoDirs(parts);
export const COMPOSE = `${parts}/docker-compose/usr/bin/docker-compose`;
