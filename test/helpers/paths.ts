/** Where scripts/test puts the real parts the suites run. */
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const parts = `${root}.tools/test`;

export const LAUNCHER = `${parts}/prefix/bin/runsc-overlay`;
export const RUNSC = {
  "20240729": `${parts}/runsc-20240729/usr/bin/runsc`,
  "20221219": `${parts}/runsc-20221219/usr/bin/runsc`,
} as const;
export const BUSYBOX = `${parts}/busybox/bin/busybox`;
export const FIXTURES = `${root}test/runtime/fixtures`;
