/**
 * An image archive written from files, with no image builder: the combined layout that `docker save`
 * of Docker 25 and later writes, so that one file is loaded by every engine we meet. `docker load`
 * (20.10 and 28.5, graph-driver store) reads its manifest.json; `ctr images import` (containerd 1.6 and
 * 2.1) reads its OCI layout (oci-layout, index.json) and names the image after index.json's
 * io.containerd.image.name. Both find the same blobs under blobs/sha256/.
 *
 * The same inputs give the same bytes: every tar is written by GNU tar with sorted names, one fixed
 * mtime, owner 0:0 by number, and no atime/ctime, and gzip by Node's zlib, which writes no name or
 * time into its header. (A different zlib could compress differently; the diff_ids would not change.)
 *
 * Run by Node's own type stripping too (scripts/build-image.ts), so it has no relative imports.
 */
import { createHash, type Hash } from "node:crypto";
import { chmodSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { execa } from "execa";

/** A layer's files: a directory whose tree becomes the image's root, or a ready, uncompressed tar of one. */
export type LayerSource = { dir: string; createdBy: string } | { tar: string; createdBy: string };

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
}

export interface ImageSpec {
  /** The image's full name with its tag, e.g. docker.io/runsc-overlay/node-installer:0.1.0. */
  name: string;
  /** From the bottom up. */
  layers: LayerSource[];
  config: ImageConfig;
  /** Seconds since the epoch for every mtime and for the image's created time (SOURCE_DATE_EPOCH's meaning); 0 unless given. */
  epoch?: number;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface WrittenImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: (Descriptor & { diffId: string })[];
  /** Bytes of the archive file, and of the layers' tars before compression. */
  archiveBytes: number;
  uncompressedBytes: number;
}

export const MEDIA_TYPES = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** The annotation containerd names an imported image by; the OCI one holds the tag alone, as Docker writes it. */
const CONTAINERD_NAME = "io.containerd.image.name";
const OCI_REF_NAME = "org.opencontainers.image.ref.name";

/** Writes the image as one archive at `output` (replaced by rename, so never seen half-written). */
export async function writeOciArchive(output: string, spec: ImageSpec): Promise<WrittenImage> {
  const { familiar, tag } = parseName(spec.name);
  const epoch = spec.epoch ?? 0;
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
  mkdirSync(dirname(output), { recursive: true });
  const stage = mkdtempSync(join(dirname(output), `.${basename(output)}.`));
  try {
    const blobs = join(stage, "blobs/sha256");
    mkdirSync(blobs, { recursive: true });
    const layers = [];
    for (const layer of spec.layers) layers.push(await writeLayer(layer, blobs, epoch));
    const config = writeJsonBlob(blobs, MEDIA_TYPES.config, {
      created,
      architecture: "amd64",
      os: "linux",
      config: {
        ...(spec.config.env && { Env: spec.config.env }),
        ...(spec.config.entrypoint && { Entrypoint: spec.config.entrypoint }),
        ...(spec.config.cmd && { Cmd: spec.config.cmd }),
        ...(spec.config.workingDir && { WorkingDir: spec.config.workingDir }),
        ...(spec.config.labels && { Labels: spec.config.labels }),
      },
      rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.diffId) },
      history: spec.layers.map((layer) => ({ created, created_by: layer.createdBy })),
    });
    const descriptor = ({ mediaType, digest, size }: Descriptor): Descriptor => ({ mediaType, digest, size });
    const manifest = writeJsonBlob(blobs, MEDIA_TYPES.manifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: descriptor(config),
      layers: layers.map(descriptor),
    });
    writeFile(join(stage, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFile(
      join(stage, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: [{ ...descriptor(manifest), annotations: { [CONTAINERD_NAME]: spec.name, [OCI_REF_NAME]: tag } }],
      }),
    );
    const blobPath = (d: Descriptor) => `blobs/sha256/${d.digest.slice("sha256:".length)}`;
    writeFile(join(stage, "manifest.json"), JSON.stringify([{ Config: blobPath(config), RepoTags: [familiar], Layers: layers.map(blobPath) }]));
    for (const dir of [stage, join(stage, "blobs"), blobs]) chmodSync(dir, 0o755);
    const archive = join(stage, "archive.tar");
    await reproducibleTar(stage, ["blobs", "index.json", "manifest.json", "oci-layout"], epoch, ["-f", archive]);
    chmodSync(archive, 0o644);
    const archiveBytes = statSync(archive).size;
    renameSync(archive, output);
    return {
      manifest: descriptor(manifest),
      config: descriptor(config),
      layers,
      archiveBytes,
      uncompressedBytes: layers.reduce((sum, layer) => sum + layer.uncompressedSize, 0),
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** `docker.io/library/busybox:1` → familiar `busybox:1`, tag `1`: Docker writes RepoTags in the familiar form. */
export function parseName(name: string): { familiar: string; tag: string } {
  const match = /^(docker\.io\/)?(library\/)?([a-z0-9][a-z0-9._/-]*(?::[0-9]+\/[a-z0-9._/-]+)?):([\w][\w.-]{0,127})$/.exec(name);
  if (!match) throw new Error(`${name}: not an image name with a tag (e.g. docker.io/runsc-overlay/node-installer:0.1.0)`);
  return { familiar: `${match[3]}:${match[4]}`, tag: match[4]! };
}

async function writeLayer(layer: LayerSource, blobs: string, epoch: number): Promise<Descriptor & { diffId: string; uncompressedSize: number }> {
  const diffHash = createHash("sha256");
  const blobHash = createHash("sha256");
  let uncompressedSize = 0;
  let size = 0;
  const partial = join(blobs, ".partial");
  const compress = (source: Readable) =>
    pipeline(
      source,
      tap(diffHash, (n) => (uncompressedSize += n)),
      createGzip({ level: 9 }),
      tap(blobHash, (n) => (size += n)),
      createWriteStream(partial, { mode: 0o644 }),
    );
  if ("tar" in layer) {
    await compress(createReadStream(layer.tar));
  } else {
    const entries = readdirSync(layer.dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const tar = execa("tar", reproducibleTarArgs(layer.dir, entries, epoch, ["-f", "-"]), { buffer: false, stdout: "pipe", stderr: "pipe" });
    await Promise.all([compress(tar.stdout), tar]);
  }
  const hex = blobHash.digest("hex");
  renameSync(partial, join(blobs, hex));
  chmodSync(join(blobs, hex), 0o644);
  return { mediaType: MEDIA_TYPES.layer, digest: `sha256:${hex}`, size, diffId: `sha256:${diffHash.digest("hex")}`, uncompressedSize };
}

function writeJsonBlob(blobs: string, mediaType: string, value: unknown): Descriptor {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash("sha256").update(bytes).digest("hex");
  writeFile(join(blobs, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

function writeFile(file: string, data: string | Buffer): void {
  writeFileSync(file, data);
  chmodSync(file, 0o644); // whatever the umask
}

function reproducibleTar(dir: string, entries: string[], epoch: number, output: string[]): Promise<unknown> {
  return execa("tar", reproducibleTarArgs(dir, entries, epoch, output));
}

/**
 * GNU tar's flags for the same bytes from the same tree: names sorted within each directory (the
 * top-level entries are given sorted), one mtime, root's numeric owner, PAX headers without the
 * process id in their names and without atime or ctime. Modes are kept as the tree has them.
 */
function reproducibleTarArgs(dir: string, entries: string[], epoch: number, output: string[]): string[] {
  return [
    "--create",
    ...output,
    "--directory",
    dir,
    "--sort=name",
    `--mtime=@${epoch}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--format=posix",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "--",
    ...entries,
  ];
}

/** Passes bytes through, hashing and counting them on the way. */
function tap(hash: Hash, count: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      count(chunk.length);
      done(null, chunk);
    },
  });
}
