/**
 * The node installer's image, which a DaemonSet runs (`runsc-overlay-ctl node run`): staged from the
 * project's build output and written by src/image/oci-archive.ts. Run by scripts/build-image, which
 * fetches Node's libraries and builds dist/ first.
 *
 *   scripts/build-image [OUTPUT] [--busybox PATH]   (default .tools/image/runsc-overlay-node-installer.tar)
 *
 * Four layers, from the one that changes least to the one that changes most, so that a new version of
 * runsc-overlay re-pulls only its own small layer: busybox (sh and chroot, for restarting containerd
 * on the node), Node with its loader and libraries, gVisor, and runsc-overlay's own files. Under
 * /runsc-overlay the files sit as in the repository, so scripts/install-runtime runs there as it does here.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { writeOciArchive } from "../src/image/oci-archive.ts";

const project = join(import.meta.dirname, "..");
const { values, positionals } = parseArgs({ allowPositionals: true, options: { busybox: { type: "string" } } });
const output = positionals[0] ?? join(project, ".tools/image/runsc-overlay-node-installer.tar");
const busybox = values.busybox ?? join(project, ".tools/test/busybox/bin/busybox");
const { version } = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { version: string };
// The gVisor release scripts/prepare pins, and the directory scripts/fetch-gvisor fills with it.
const release = /scripts\/fetch-gvisor (\d+) /.exec(readFileSync(join(project, "scripts/prepare"), "utf8"))?.[1] ?? "(none)";
const gvisor = join(project, `.tools/test/gvisor-${release}`);
/** Where scripts/build-image unpacked Debian's libc6, libstdc++6 and libgcc-s1. */
const libraryParts = join(project, ".tools/image/parts");

/** A build that cannot go on: its message, for the user, says what to do. */
function fail(message: string): never {
  throw new Error(message);
}

mkdirSync(dirname(output), { recursive: true });
const stage = mkdtempSync(join(dirname(output), ".build-image-"));
try {
  const started = performance.now();
  const layers = [
    { dir: await busyboxLayer(join(stage, "busybox")), createdBy: "busybox-static: sh and chroot, to restart containerd on the node" },
    { dir: await nodeLayer(join(stage, "node")), createdBy: "the project's Node, with its loader and libraries from Debian 12" },
    { dir: gvisorLayer(join(stage, "gvisor")), createdBy: `gVisor release-${release}: runsc and containerd-shim-runsc-v1` },
    { dir: ownLayer(join(stage, "own")), createdBy: `runsc-overlay ${version}` },
  ];
  const name = `docker.io/runsc-overlay/node-installer:${version}`;
  const image = await writeOciArchive(output, {
    name,
    layers,
    config: {
      entrypoint: ["/runsc-overlay/.tools/node/bin/node", "--no-warnings", "/runsc-overlay/dist/ctl.mjs"],
      cmd: ["node", "run"],
      env: ["PATH=/bin"],
      labels: { "org.opencontainers.image.version": version, "runsc-overlay.gvisor.release": `release-${release}` },
    },
    epoch: Number(process.env.SOURCE_DATE_EPOCH ?? 0),
  });
  const MB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.error(
    `build-image: ${name} in ${relative(process.cwd(), output) || output}: ${MB(image.archiveBytes)} (${MB(image.uncompressedBytes)} uncompressed), ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s; layers ${image.layers.map((layer) => MB(layer.size)).join(", ")}`,
  );
  console.log(output);
} catch (error) {
  console.error(`build-image: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** Copies `from` to `root`/`to` with `mode`, making its directories 0755 whatever the umask. */
function put(root: string, from: string, to: string, mode: number): void {
  directory(root, dirname(to));
  copyFileSync(from, join(root, to));
  chmodSync(join(root, to), mode);
}

/** Makes `root`/`path` with `mode`, and the directories above it 0755, whatever the umask. */
function directory(root: string, path: string, mode = 0o755): void {
  const parts = path.split("/").filter((part) => part && part !== ".");
  parts.forEach((_, i) => {
    const dir = join(root, ...parts.slice(0, i + 1));
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, i === parts.length - 1 ? mode : 0o755);
  });
}

async function busyboxLayer(root: string): Promise<string> {
  if (!existsSync(busybox)) fail(`no busybox-static at ${busybox}: run scripts/prepare, or give one with --busybox PATH`);
  put(root, busybox, "bin/busybox", 0o755);
  const applets = (await execa(busybox, ["--list"])).stdout.split("\n").filter((applet) => applet && applet !== "busybox");
  for (const applet of applets) symlinkSync("busybox", join(root, "bin", applet));
  directory(root, "tmp", 0o1777);
  return root;
}

/**
 * The project's Node is linked against glibc and libstdc++, which a busybox image lacks: its loader
 * goes where Node asks for it, and every library it needs, found by name in Debian's packages (and
 * what those need, in turn), goes to /lib/x86_64-linux-gnu, where Debian's loader looks without a cache.
 */
async function nodeLayer(root: string): Promise<string> {
  const node = join(project, ".tools/node/bin/node");
  if (!existsSync(node)) fail(`no Node at ${node}: run ./install first`);
  put(root, node, "runsc-overlay/.tools/node/bin/node", 0o755);
  const libraryDirs = existsSync(libraryParts)
    ? readdirSync(libraryParts).flatMap((part) => ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"].map((dir) => join(libraryParts, part, dir)))
    : [];
  const find = (name: string) => libraryDirs.map((dir) => join(dir, name)).find(existsSync) ?? fail(`${name}, which Node needs, is in none of ${libraryParts}/*: run scripts/build-image, which fetches them`);
  const headers = (await execa("readelf", ["--program-headers", "--dynamic", node])).stdout;
  const interpreter = /Requesting program interpreter: (\S+)\]/.exec(headers)?.[1] ?? fail(`${node} names no program interpreter`);
  put(root, find(interpreter.split("/").at(-1)!), interpreter.slice(1), 0o755);
  const seen = new Set<string>();
  const pending = [node];
  while (pending.length > 0) {
    const dynamic = (await execa("readelf", ["--dynamic", pending.pop()!])).stdout;
    for (const [, library] of dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
      if (seen.has(library!)) continue;
      seen.add(library!);
      const file = find(library!);
      put(root, file, `lib/x86_64-linux-gnu/${library}`, 0o644);
      pending.push(file);
    }
  }
  return root;
}

function gvisorLayer(root: string): string {
  const binaries = ["runsc", "containerd-shim-runsc-v1"];
  const absent = binaries.filter((binary) => !existsSync(join(gvisor, binary)));
  if (absent.length > 0) fail(`no gVisor ${absent.join(" or ")} in ${gvisor}: run scripts/prepare (scripts/fetch-gvisor), which needs gVisor's release storage or ../shared/bin`);
  for (const binary of binaries) {
    put(root, join(gvisor, binary), `runsc-overlay/gvisor/${binary}`, 0o755);
    if (existsSync(join(gvisor, `${binary}.sha512`))) put(root, join(gvisor, `${binary}.sha512`), `runsc-overlay/gvisor/${binary}.sha512`, 0o644);
  }
  return root;
}

function ownLayer(root: string): string {
  const files: [string, number][] = [
    ["bin/runsc-overlay", 0o755],
    ["bin/runsc-overlay-ctl", 0o755],
    ["dist/runtime.cjs", 0o644],
    ["dist/ctl.mjs", 0o644],
    ["dist/planner-id", 0o644],
    ["dist/node_modules/pino/package.json", 0o644],
    ["dist/node_modules/pino/index.cjs", 0o644],
    ["scripts/install-runtime", 0o755],
  ];
  for (const [file, mode] of files) {
    if (!existsSync(join(project, file))) fail(`no ${file}: run npm run build`);
    put(root, join(project, file), `runsc-overlay/${file}`, mode);
  }
  return root;
}
