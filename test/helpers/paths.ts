/** Where scripts/test puts the real parts the suites run. */
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const parts = `${root}.tools/test`;

export const LAUNCHER = `${parts}/prefix/bin/runsc-overlay`;
export const CTL = `${parts}/prefix/bin/runsc-overlay-ctl`;
export const RUNSC = {
  "20240729": `${parts}/runsc-20240729/usr/bin/runsc`,
  "20221219": `${parts}/runsc-20221219/usr/bin/runsc`,
} as const;
export const BUSYBOX = `${parts}/busybox/bin/busybox`;
export const FIXTURES = `${root}test/runtime/fixtures`;

/** Debian 12's engine: dockerd and docker, containerd, its runc-v2 shim and ctr, and the runc dockerd insists on. */
export const ENGINE_BIN = [`${parts}/docker-20.10/usr/bin`, `${parts}/docker-20.10/usr/sbin`, `${parts}/containerd-1.6/usr/bin`, `${parts}/runc-1.1/usr/sbin`];
/** Docker Compose v2 from Debian 13, run standalone (docker-compose), which needs no engine for `config`. */
export const COMPOSE = `${parts}/docker-compose/usr/bin/docker-compose`;
