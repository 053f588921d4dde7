/** Where scripts/test puts the real parts the suites run. */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  "20260817": `${parts}/gvisor-20260817/runsc`,
} as const;
/** The runsc versions the suites run, Debian's two always; gVisor's own where scripts/fetch-gvisor found it. */
export const REAL_RUNSC = (Object.keys(RUNSC) as (keyof typeof RUNSC)[]).filter((version) => existsSync(RUNSC[version]));
export const NO_CURRENT_GVISOR = existsSync(RUNSC["20260817"])
  ? undefined
  : "no gVisor release-20260817 here: its release storage is unreachable and ../shared/bin has no build (scripts/fetch-gvisor)";
export const BUSYBOX = `${parts}/busybox/bin/busybox`;
/** gVisor's containerd shim, which no reachable package ships: from gVisor's releases or ../shared/bin (scripts/fetch-gvisor). */
export const SHIM_DIR = `${parts}/gvisor-20260817`;
export const NO_SHIM = existsSync(`${SHIM_DIR}/containerd-shim-runsc-v1`)
  ? undefined
  : "no gVisor containerd shim here: gVisor's release storage is unreachable and ../shared/bin has none (scripts/fetch-gvisor)";
/**
 * A directory with gVisor's shim for tests that only look for it where containerd would (install,
 * doctor): the real one, else a stand-in that answers `-v`, so that those tests run on a fresh clone.
 */
export const SHIM_ON_PATH = NO_SHIM ? standInShim() : SHIM_DIR;

function standInShim(): string {
  const dir = mkdtempSync(join(tmpdir(), "rso-shim-"));
  writeFileSync(join(dir, "containerd-shim-runsc-v1"), "#!/bin/sh\necho 'containerd-shim-runsc-v1:'\necho '  Version:  stand-in'\n", { mode: 0o755 });
  return dir;
}
export const FIXTURES = `${root}test/runtime/fixtures`;

/** The engine generations of the end-to-end suite: Debian 12's (containerd 1.6) and sid's (containerd 2.1). */
export const ENGINES = generations(parts);
export const [DEBIAN_12_ENGINE, SID_ENGINE] = ENGINES;
/** The real containerd for each config version: Debian 12's 1.6 (version 2) and sid's 2.1 (version 3); "" where absent. */
export const CONTAINERD = Object.fromEntries(
  ENGINES.map((engine) => [engine.containerdConfigVersion, engine.bin.map((dir) => join(dir, "containerd")).find(existsSync) ?? ""]),
) as Record<2 | 3, string>;
/** Docker Compose v2 from Debian 13, run standalone (docker-compose), which needs no engine for `config`. */
/** The CRI's api.proto and what it imports, for the Kubernetes suite's client. */
export const CRI_PROTO = criProtoDirs(parts);
export const COMPOSE = `${parts}/docker-compose/usr/bin/docker-compose`;
/** Debian 13's kustomize, which renders deploy/kubernetes for the manifests' suite. */
export const KUSTOMIZE = `${parts}/kustomize/usr/bin/kustomize`;
export const NO_KUSTOMIZE = existsSync(KUSTOMIZE) ? undefined : "no kustomize here: scripts/prepare fetches Debian's into .tools/test/kustomize";
/** The node installer's image, which scripts/prepare builds with scripts/build-image. */
export const NODE_IMAGE = `${parts}/node-installer.tar`;
export const NO_NODE_IMAGE = NO_SHIM ?? (existsSync(NODE_IMAGE) ? undefined : "no node installer image here: scripts/prepare builds it (scripts/build-image)");
