/**
 * One Compose file, read as Compose reads it: YAML with anchors, aliases and merge keys (`<<`), and
 * Compose's own tags, `!reset` (drop what earlier files set) and `!override` (replace it instead of
 * merging). A file that is not valid YAML, or whose keys that compose-override reads have the wrong
 * type, is refused with its name, line and key.
 */
import { readFileSync } from "node:fs";
import { type Document, LineCounter, type Node, isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { ErrorObject } from "ajv";
import { Refusal, describe } from "../runtime/errors.js";
import { validateComposeFile } from "../schema/validators.generated.mjs";

export const RESET = Symbol("!reset");

export class Override {
  constructor(readonly value: Value) {}
}

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value } | typeof RESET | Override;
export type Mapping = { [key: string]: Value };

export interface ComposeSource {
  file: string;
  model: Mapping;
}

export function readComposeFile(file: string): ComposeSource {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Refusal(`cannot read Compose file ${file}: ${describe(error)}`);
  }
  return parseComposeFile(text, file);
}

/** Pure: the text of a Compose file to its model, with `!reset` and `!override` kept as markers. */
export function parseComposeFile(text: string, file: string): ComposeSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const [error] = doc.errors;
  if (error) throw new Refusal(`${at(error.pos[0])}: not valid YAML: ${error.message.split("\n")[0]}`);
  const model = doc.contents === null ? {} : toValue(doc.contents, doc, at);
  if (!isMapping(model)) throw new Refusal(`${file}: a Compose file is a mapping of top-level keys (services, networks, ...)`);
  if (!validateComposeFile(plain(model))) {
    const problem = validateComposeFile.errors![0]!;
    const path = problem.instancePath.split("/").slice(1);
    throw new Refusal(`${at(nodeAt(doc, path)?.range?.[0])}: ${path.join(".") || "the file"} ${schemaMessage(problem)}`);
  }
  return { file, model };
}

export function isMapping(value: Value | undefined): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Override);
}

function toValue(node: Node, doc: Document, at: (offset: number | undefined) => string): Value {
  const value = ((): Value => {
    if (isAlias(node)) return toValue(node.resolve(doc) as Node, doc, at);
    if (isSeq(node)) return node.items.map((item) => (item === null ? null : toValue(item as Node, doc, at)));
    if (isScalar(node)) return node.value as Value;
    if (!isMap(node)) return null;
    const own: Mapping = {};
    const merged: Mapping = {};
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyNode !== null && isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) throw new Refusal(`${at(keyNode?.range?.[0])}: a Compose key must be a plain scalar`);
      const item = pair.value === null ? null : toValue(pair.value as Node, doc, at);
      if (key !== "<<" || keyNode?.tag !== undefined) own[key] = item;
      // A merge key takes the keys of the mapping(s) it names that are not set already; the first source wins.
      else for (const source of (Array.isArray(item) ? item : [item]) as Value[]) if (isMapping(source)) for (const [k, v] of Object.entries(source)) if (!(k in merged)) merged[k] = v;
    }
    return { ...merged, ...own };
  })();
  if (node.tag === "!reset") return RESET;
  if (node.tag === "!override") return new Override(value);
  return value;
}

/** The model without markers: a key set to `!reset` is gone (Compose ignores the value written), an `!override` is its value. */
export function plain(value: Value): unknown {
  if (value instanceof Override) return plain(value.value);
  if (Array.isArray(value)) return value.filter((item) => item !== RESET).map(plain);
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).flatMap(([key, item]) => (item === RESET ? [] : [[key, plain(item)]])));
  return value;
}

/** The node a schema error points at, or its nearest ancestor written in this file (not through a merge key). */
function nodeAt(doc: Document, path: string[]): Node | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = doc.getIn(path.slice(0, length), true) as Node | undefined;
    if (node?.range) return node;
  }
  return undefined;
}

const TYPE_NAMES: Record<string, string> = { object: "a mapping", array: "a list", string: "a string", null: "empty" };

function schemaMessage(error: ErrorObject): string {
  if (error.keyword !== "type") return error.message ?? "is invalid";
  const types = String(error.params.type).split(",");
  return `must be ${types.map((type) => TYPE_NAMES[type] ?? type).join(" or ")}`;
}
