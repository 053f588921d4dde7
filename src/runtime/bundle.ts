/**
 * The bundle's config.json: read, checked, and stripped of the annotations that would undo the root
 * overlay. The file is edited as text so that every other byte stays as it was: decoding it into
 * objects and writing it back would round 64-bit numbers and drop what we do not model.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats, statSync } from "node:fs";
import { type Node, parseTree } from "jsonc-parser";
import { validateOciSpec } from "../schema/validators.generated.mjs";
import { Refusal, describe } from "./errors.js";
import { ANNOTATION_SCREEN } from "./policy.js";
import { bytesPath, shown, specPath } from "./spec-file.js";
import { replaceFile } from "../shared/replace-file.js";

export interface Bundle {
  /** The config.json runsc reads (spec-file.ts), as a byte string: relative paths from the working directory. */
  path: string;
  /** The same, for messages. */
  file: string;
  /** The file's bytes, which every edit keeps but for what it removes. */
  raw: Buffer;
}

/**
 * Reads the config.json runsc will read for this `--bundle` and `$PWD`, without asking for the
 * working directory's name (it may be longer than PATH_MAX, or deleted). Only a regular file is read:
 * runsc would read a FIFO, a device or /dev/stdin as they are, what runsc-overlay cannot check first.
 */
export function readBundle(bundleArg: string | undefined, pwd: string | undefined): Bundle {
  const path = specPath(bundleArg, pwd, namesWorkingDir);
  const file = shown(path);
  let fd: number;
  try {
    const st = statSync(bytesPath(path));
    if (!st.isFile()) throw notRegular(file, st);
    // Not blocking, and no controlling terminal: what it opens must be the file just stat'ed, whatever replaced it.
    fd = openSync(bytesPath(path), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(`cannot read ${file}, the config.json runsc would read: ${describe(error)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(file, st);
    return { path, file, raw: readFileSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Go's os.Getwd takes $PWD only where it names the working directory (os.SameFile with "."); one it
 * cannot stat (gone, longer than PATH_MAX) it passes over, as this does.
 */
function namesWorkingDir(path: string): boolean {
  try {
    const [dir, dot] = [statSync(bytesPath(path)), statSync(".")];
    return dir.dev === dot.dev && dir.ino === dot.ino;
  } catch {
    return false;
  }
}

function notRegular(file: string, st: Stats): Refusal {
  const kind = st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : st.isDirectory() ? "a directory" : "no regular file";
  return new Refusal(`${file} is ${kind}, not a regular file: runsc would read it as it is, which runsc-overlay cannot check first, so it refuses under overlay.annotations = "enforce"`);
}

/**
 * Whether the bytes could hold a key runsc-overlay removes (policy.ts's screen). The launcher's fast
 * path screens with the same strings, so a bundle without them is planned alike on both paths: left
 * to runsc as it is, invalid or not.
 */
export function mayHoldOverlayKeys(raw: Buffer): boolean {
  return ANNOTATION_SCREEN.some((text) => raw.includes(text));
}

/** A config.json that is to be edited must be one runsc can read: valid JSON and, where we look, the OCI shape. */
export function checkSpec(bundle: Bundle): void {
  let spec: unknown;
  try {
    // As Go decodes it: each invalid byte is U+FFFD.
    spec = JSON.parse(bundle.raw.toString("utf8"));
  } catch (error) {
    throw new Refusal(`${bundle.file} is not valid JSON: ${describe(error)}`);
  }
  if (!validateOciSpec(spec)) {
    const error = validateOciSpec.errors?.[0];
    throw new Refusal(`${bundle.file}: ${error?.instancePath.slice(1).replaceAll("/", ".") || "the document"} ${error?.message}`);
  }
}

/** What to do with one annotation key: runsc-overlay's policy (policy.ts's judgeAnnotation). */
export type Judge = (key: string) => "keep" | "remove" | "refuse";

/**
 * Removes every annotation the judge says to remove, wherever Go's encoding/json would find it:
 * runsc matches the `annotations` field name case-insensitively and merges repeated objects, so each
 * of them counts. The file is read as one character per byte (latin1), so offsets are byte offsets and
 * every byte not removed stays as it was, valid UTF-8 or not; names are decoded from their bytes as Go
 * decodes them. Where the judge refuses any key, nothing is removed and the keys refused are returned.
 * Pure: returns the new bytes and the keys removed or refused, in file order.
 */
export function stripAnnotations(raw: Buffer, judge: Judge): { bytes: Buffer; removed: string[]; refused: string[] } {
  // Most bundles hold nothing that could be judged, and are spared parsing the tree: milliseconds a call.
  if (!mayHoldOverlayKeys(raw)) return { bytes: raw, removed: [], refused: [] };
  let text = raw.toString("latin1");
  const refused = annotations(text, parseTree(text)).flatMap(({ key }) => (judge(key) === "refuse" ? [key] : []));
  if (refused.length > 0) return { bytes: raw, removed: [], refused };
  const removed: string[] = [];
  for (;;) {
    const target = annotations(text, parseTree(text)).find(({ key }) => judge(key) === "remove");
    if (!target) return { bytes: Buffer.from(text, "latin1"), removed, refused };
    removed.push(target.key);
    const [start, end] = removalRange(target.object, target.index);
    text = text.slice(0, start) + text.slice(end);
  }
}

/** Every annotation Go's decoder would see, in file order, with the object and index it stands at. */
function annotations(text: string, root: Node | undefined): { object: Node; index: number; key: string }[] {
  const found: { object: Node; index: number; key: string }[] = [];
  for (const field of root?.type === "object" ? (root.children ?? []) : []) {
    const [name, value] = field.children ?? [];
    if (!name || value?.type !== "object" || goFold(goString(text, name)) !== "annotations") continue;
    (value.children ?? []).forEach((property, index) => {
      const keyNode = property.children?.[0];
      if (keyNode) found.push({ object: value, index, key: goString(text, keyNode) });
    });
  }
  return found;
}

/**
 * A string literal's value as Go's decoder gives it, from its bytes (the latin1 text's characters):
 * escapes decoded, raw bytes read as UTF-8 with each invalid one as U+FFFD.
 */
function goString(text: string, node: Node): string {
  const literal = text.slice(node.offset + 1, node.offset + node.length - 1);
  return literal.replace(/\\(u[0-9a-fA-F]{4}|.)|[^\\]+/gs, (part, escape?: string) =>
    escape === undefined ? Buffer.from(part, "latin1").toString("utf8") : (JSON.parse(`"\\${escape}"`) as string),
  );
}

/** The span to cut for one property: with the comma after it, or for the last one the comma before. */
function removalRange(object: Node, index: number): [number, number] {
  const properties = object.children!;
  const property = properties[index]!;
  if (index < properties.length - 1) return [property.offset, properties[index + 1]!.offset];
  if (index > 0) {
    const previous = properties[index - 1]!;
    return [previous.offset + previous.length, property.offset + property.length];
  }
  return [property.offset, property.offset + property.length];
}

/** Go's encoding/json field matching (bytes.EqualFold): ſ (U+017F) folds to s and K (U+212A) to k. */
function goFold(name: string): string {
  return name.replaceAll("\u017f", "s").replaceAll("\u212a", "k").toLowerCase();
}

/**
 * Replaces config.json atomically, keeping its mode and owner. Where it cannot (a read-only bundle,
 * a full disk), the container must not start: runsc would read the annotations still there.
 */
export function rewriteBundle(edit: { bundle: Bundle; bytes: Buffer; removed: readonly string[] }): void {
  try {
    replaceFile(bytesPath(edit.bundle.path), edit.bytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code && ERRNO_TEXT[code] ? `${ERRNO_TEXT[code]} (${code})` : describe(error);
    throw new Refusal(`cannot remove ${[...new Set(edit.removed)].join(", ")} from ${edit.bundle.file}: ${reason}; the container was not started, as runsc would apply it`);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
};
