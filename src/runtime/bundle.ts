/**
 * The bundle's config.json: read, checked, and stripped of the annotations that would undo the root
 * overlay. The file is edited as text so that every other byte stays as it was: decoding it into
 * objects and writing it back would round 64-bit numbers and drop what we do not model.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Node, parseTree } from "jsonc-parser";
import type { OciSpec } from "../schema/oci.schema.js";
import { validateOciSpec } from "../schema/validators.generated.mjs";
import { Refusal, describe } from "./errors.js";
import { replaceFile } from "../shared/replace-file.js";

/** Annotations through which gVisor lets a bundle choose its own root overlay. */
export const OVERLAY_ANNOTATIONS = ["dev.gvisor.flag.overlay2", "dev.gvisor.flag.overlay", "dev.gvisor.spec.rootfs.overlay"];

export interface Bundle {
  dir: string;
  file: string;
  /** The file's text, decoded so that encoding it again gives back the very same bytes. */
  text: string;
  encoding: "utf8" | "latin1";
  spec: OciSpec;
}

export function readBundle(bundleArg: string | undefined, cwd: string): Bundle {
  const dir = resolve(cwd, bundleArg ?? ".");
  const file = join(dir, "config.json");
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (error) {
    throw new Refusal(`bundle ${dir} has no readable config.json: ${describe(error)}`);
  }
  const text = raw.toString("utf8");
  // Invalid UTF-8 would not survive a round trip; latin1 maps each byte to one character and back.
  const encoding = Buffer.from(text, "utf8").equals(raw) ? "utf8" : "latin1";
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new Refusal(`${file} is not valid JSON: ${describe(error)}`);
  }
  if (!validateOciSpec(spec)) {
    const error = validateOciSpec.errors?.[0];
    throw new Refusal(`${file}: ${error?.instancePath.slice(1).replaceAll("/", ".") || "the document"} ${error?.message}`);
  }
  return { dir, file, text: raw.toString(encoding), encoding, spec: spec as OciSpec };
}

/**
 * Removes every listed annotation, wherever Go's encoding/json would find it: runsc matches the
 * `annotations` field name case-insensitively and merges repeated objects, so each of them counts.
 * Pure: returns the new text and the keys removed, in file order.
 */
export function stripAnnotations(original: string, keys: readonly string[]): { text: string; removed: string[] } {
  // A key is only there if it is written out, or disguised with \u escapes (it has no other character
  // JSON can escape). Most bundles have neither, and are spared parsing the tree: milliseconds a call.
  if (!original.includes("\\u") && !keys.some((key) => original.includes(key))) return { text: original, removed: [] };
  const removed: string[] = [];
  let text = original;
  for (;;) {
    const target = findAnnotation(parseTree(text), keys);
    if (!target) return { text, removed };
    removed.push(target.key);
    const [start, end] = removalRange(target.object, target.index);
    text = text.slice(0, start) + text.slice(end);
  }
}

function findAnnotation(root: Node | undefined, keys: readonly string[]): { object: Node; index: number; key: string } | undefined {
  for (const field of root?.type === "object" ? (root.children ?? []) : []) {
    const [name, value] = field.children ?? [];
    if (!name || value?.type !== "object" || goFold(name.value as string) !== "annotations") continue;
    const properties = value.children ?? [];
    for (let index = 0; index < properties.length; index++) {
      const key = properties[index]!.children?.[0]?.value as string;
      if (keys.includes(key)) return { object: value, index, key };
    }
  }
  return undefined;
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

/** Replaces config.json atomically, keeping its mode and owner. */
export function rewriteBundle(bundle: Bundle, text: string): void {
  replaceFile(bundle.file, Buffer.from(text, bundle.encoding));
}
