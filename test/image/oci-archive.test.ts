/**
 * The image archive from files (src/image/oci-archive.ts): the same bytes from the same tree, blobs
 * that are what their names and descriptors say, and one file that both `ctr images import`
 * (containerd 1.6 and 2.1) and `docker load` (Docker 20.10 and 28.5) take.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImageSpec, MEDIA_TYPES, parseName, writeOciArchive } from "../../src/image/oci-archive.js";
import { type Engine, startEngine } from "../../src/testbed/engine.js";
import type { Generation } from "../../src/testbed/generations.js";
import { BUSYBOX, ENGINES } from "../helpers/paths.js";
import { workdir } from "../helpers/runtime.js";

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** A small tree with what a layer must keep: modes (setuid, sticky, private), a link, nested and odd names. */
function smallTree(dir: string): string {
  mkdirSync(join(dir, "usr/share/doc"), { recursive: true });
  mkdirSync(join(dir, "tmp"));
  chmodSync(join(dir, "tmp"), 0o1777);
  writeFileSync(join(dir, "usr/tool"), "#!/bin/sh\necho tool\n");
  chmodSync(join(dir, "usr/tool"), 0o4755);
  writeFileSync(join(dir, "usr/share/doc/b"), "b\n");
  writeFileSync(join(dir, "usr/share/doc/A"), "A\n");
  writeFileSync(join(dir, "usr/share/doc/é ü"), "odd\n");
  writeFileSync(join(dir, "secret"), "0600\n");
  chmodSync(join(dir, "secret"), 0o600);
  symlinkSync("usr/tool", join(dir, "tool"));
  return dir;
}

function spec(tree: string, name = "docker.io/runsc-overlay-test/small:1"): ImageSpec {
  return {
    name,
    layers: [{ dir: tree, createdBy: "small tree" }],
    config: { entrypoint: ["/usr/tool"], cmd: ["x"], env: ["PATH=/usr"], workingDir: "/tmp", labels: { "org.opencontainers.image.version": "1" } },
  };
}

/** The archive unpacked: its JSON files parsed, and every blob by digest. */
function unpack(dir: string) {
  const json = (file: string) => JSON.parse(readFileSync(join(dir, file), "utf8"));
  const blobs = new Map(readdirSync(join(dir, "blobs/sha256")).map((hex) => [`sha256:${hex}`, readFileSync(join(dir, "blobs/sha256", hex))]));
  return { index: json("index.json"), manifestJson: json("manifest.json"), layout: json("oci-layout"), blobs };
}

describe("parseName", () => {
  it.each([
    ["docker.io/runsc-overlay/node-installer:0.1.0", "runsc-overlay/node-installer:0.1.0", "0.1.0"],
    ["docker.io/library/busybox:1.35", "busybox:1.35", "1.35"],
    ["localhost:5000/a/b:v1", "localhost:5000/a/b:v1", "v1"],
  ])("%s is %s, tag %s", (name, familiar, tag) => {
    expect(parseName(name)).toEqual({ familiar, tag });
  });

  it.each(["docker.io/runsc-overlay/node-installer", "Upper/case:1", "a/b@sha256:00"])("refuses %s, which has no tag or is not a name", (name) => {
    expect(() => parseName(name)).toThrow(/not an image name with a tag/);
  });
});

describe("an archive from a small tree", () => {
  const dir = workdir("oci-archive");
  const first = join(dir, "first.tar");
  const unpacked = join(dir, "unpacked");

  beforeAll(async () => {
    await writeOciArchive(first, spec(smallTree(join(dir, "tree"))));
    mkdirSync(unpacked);
    await execa("tar", ["-xf", first, "-C", unpacked]);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has the same bytes when built again from the same tree made again elsewhere, with other mtimes", async () => {
    smallTree(join(dir, "copy"));
    utimesSync(join(dir, "copy/usr/tool"), 1e9, 1e9);
    const again = join(dir, "again.tar");
    await writeOciArchive(again, spec(join(dir, "copy")));
    expect(readFileSync(again).equals(readFileSync(first))).toBe(true);
    // ...and different bytes for a different tree, so that the comparison can fail.
    writeFileSync(join(dir, "copy/secret"), "changed\n");
    await writeOciArchive(again, spec(join(dir, "copy")));
    expect(readFileSync(again).equals(readFileSync(first))).toBe(false);
  });

  it("holds only oci-layout, index.json, manifest.json and blobs, owned by 0:0 at the fixed time", async () => {
    const listing = (await execa("tar", ["--list", "--verbose", "--numeric-owner", "--full-time", "-f", first])).stdout.split("\n");
    expect(listing.map((line) => line.split(/\s+/).at(-1)).filter((name) => !name?.startsWith("blobs/"))).toEqual(["index.json", "manifest.json", "oci-layout"]);
    for (const line of listing) expect(line).toMatch(/^\S+ 0\/0 +\d+ 1970-01-01 00:00:00 /);
  });

  it("names every blob by its sha256, and describes each with its digest and size", () => {
    const { index, manifestJson, layout, blobs } = unpack(unpacked);
    for (const [digest, bytes] of blobs) expect(sha256(bytes), digest).toBe(digest);
    expect(layout).toEqual({ imageLayoutVersion: "1.0.0" });
    const described = (descriptor: { digest: string; size: number }) => {
      const bytes = blobs.get(descriptor.digest);
      expect(bytes?.length, descriptor.digest).toBe(descriptor.size);
      return bytes!;
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({
      mediaType: MEDIA_TYPES.manifest,
      annotations: { "io.containerd.image.name": "docker.io/runsc-overlay-test/small:1", "org.opencontainers.image.ref.name": "1" },
    });
    const manifest = JSON.parse(described(index.manifests[0]).toString());
    expect(manifest.config.mediaType).toBe(MEDIA_TYPES.config);
    expect(manifest.layers.map((layer: { mediaType: string }) => layer.mediaType)).toEqual([MEDIA_TYPES.layer]);
    const config = JSON.parse(described(manifest.config).toString());
    expect(config).toMatchObject({
      architecture: "amd64",
      os: "linux",
      config: { Entrypoint: ["/usr/tool"], Cmd: ["x"], Env: ["PATH=/usr"], WorkingDir: "/tmp", Labels: { "org.opencontainers.image.version": "1" } },
    });
    expect(config.rootfs.diff_ids).toEqual(manifest.layers.map((layer: { digest: string; size: number }) => sha256(gunzipSync(described(layer)))));
    const path = (digest: string) => `blobs/sha256/${digest.slice("sha256:".length)}`;
    expect(manifestJson).toEqual([{ Config: path(manifest.config.digest), RepoTags: ["runsc-overlay-test/small:1"], Layers: manifest.layers.map((l: { digest: string }) => path(l.digest)) }]);
    expect([...blobs.keys()].sort()).toEqual([index.manifests[0].digest, manifest.config.digest, ...manifest.layers.map((l: { digest: string }) => l.digest)].sort());
  });

  it("keeps the tree's modes and link in the layer, owned by 0:0 at the fixed time, with no ./ prefix", async () => {
    const { index, blobs } = unpack(unpacked);
    const manifest = JSON.parse(blobs.get(index.manifests[0].digest)!.toString());
    writeFileSync(join(dir, "layer.tar"), gunzipSync(blobs.get(manifest.layers[0].digest)!));
    const listing = (await execa("tar", ["--list", "--verbose", "--numeric-owner", "--full-time", "-f", join(dir, "layer.tar")])).stdout;
    const entries = listing.split("\n").map((line) => {
      const [mode, owner, , date, time, ...name] = line.split(/\s+/);
      return { mode, owner, when: `${date} ${time}`, name: name.join(" ") };
    });
    expect(entries.map(({ mode, name }) => `${mode} ${name}`)).toEqual([
      "-rw------- secret",
      "drwxrwxrwt tmp/",
      "lrwxrwxrwx tool -> usr/tool",
      "drwxr-xr-x usr/",
      "drwxr-xr-x usr/share/",
      "drwxr-xr-x usr/share/doc/",
      "-rw-r--r-- usr/share/doc/A",
      "-rw-r--r-- usr/share/doc/b",
      "-rw-r--r-- usr/share/doc/é ü",
      "-rwsr-xr-x usr/tool",
    ]);
    for (const entry of entries) expect(entry).toMatchObject({ owner: "0/0", when: "1970-01-01 00:00:00" });
    const headers = readFileSync(join(dir, "layer.tar")).toString("latin1");
    expect(headers).not.toMatch(/atime=|ctime=/);
  });
});

/** What a generation's engine needs that scripts/prepare may not have fetched. */
function missingParts(generation: Generation): string | undefined {
  const missing = ["containerd", "ctr", "dockerd", "docker"].filter((command) => !generation.bin.some((dir) => existsSync(join(dir, command))));
  if (missing.length > 0) return `no ${missing.join(", ")} here (scripts/prepare fetches them)`;
  return existsSync(BUSYBOX) ? undefined : `no busybox-static at ${BUSYBOX} (scripts/prepare fetches it)`;
}

describe.each(ENGINES.map((generation) => ({ ...generation, skip: missingParts(generation) })))("loaded by $name", (generation) => {
  const name = `docker.io/runsc-overlay-test/oci-archive:${generation.containerdConfigVersion}`;
  let dir: string;
  let engine: Engine;
  let archive: string;

  beforeAll(async () => {
    if (generation.skip) return;
    dir = workdir(`oci-archive-engine-${generation.containerdConfigVersion}`);
    // busybox's tree as a directory layer, and on top a ready tar, to load both kinds of layer.
    mkdirSync(join(dir, "rootfs/bin"), { recursive: true });
    copyFileSync(BUSYBOX, join(dir, "rootfs/bin/busybox"));
    chmodSync(join(dir, "rootfs/bin/busybox"), 0o755);
    mkdirSync(join(dir, "rootfs/tmp"));
    chmodSync(join(dir, "rootfs/tmp"), 0o1777);
    mkdirSync(join(dir, "top/etc"), { recursive: true });
    writeFileSync(join(dir, "top/etc/greeting"), "ok from the top layer\n");
    await execa("tar", ["-C", join(dir, "top"), "-cf", join(dir, "top.tar"), "etc"]);
    archive = join(dir, "image.tar");
    await writeOciArchive(archive, {
      name,
      layers: [
        { dir: join(dir, "rootfs"), createdBy: "busybox" },
        { tar: join(dir, "top.tar"), createdBy: "a greeting" },
      ],
      config: { env: ["PATH=/bin"], cmd: ["busybox", "cat", "/etc/greeting"] },
    });
    engine = await startEngine(join(dir, "engine"), { ...generation, runtimeEnv: {} });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(generation.skip)(`ctr images import takes it under its full name${generation.skip ? ` (skipped: ${generation.skip})` : ""}`, async () => {
    await engine.ctr(["images", "import", archive]);
    const names = (await engine.ctr(["images", "ls", "--quiet"])).stdout.split("\n");
    expect(names).toContain(name);
    const { stdout } = await engine.ctr(["run", "--rm", name, "oci-archive-test"]);
    expect(stdout.trim()).toBe("ok from the top layer");
  });

  it.skipIf(generation.skip)(`docker load takes it, and its container runs${generation.skip ? ` (skipped: ${generation.skip})` : ""}`, async () => {
    const loaded = await engine.docker(["load", "--input", archive]);
    expect(loaded.stdout).toContain(`Loaded image: ${parseName(name).familiar}`);
    expect((await engine.docker(["run", "--rm", "--network", "none", parseName(name).familiar, "busybox", "echo", "ok"])).stdout.trim()).toBe("ok");
    expect((await engine.docker(["run", "--rm", "--network", "none", parseName(name).familiar])).stdout.trim()).toBe("ok from the top layer");
  });
});
