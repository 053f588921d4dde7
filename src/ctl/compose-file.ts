/**
 * One Compose file, read as Compose reads it: YAML with anchors, aliases and merge keys (`<<`), and
 * Compose's own tags, `!reset` (drop what earlier files set) and `!override` (replace it instead of
 * merging). A file that is not valid YAML, or whose keys that compose-override reads have the wrong
 * type, is refused with its name, line and key.
 */
import { readFileSync } from "node:fs";
import { type Alias, type Document, LineCounter, type Node, isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";
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
  const model = doc.contents === null ? {} : toValue(doc.contents, { doc, at, aliases: 0, expanding: new Set() });
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

/** Aliases expanded in one file, at most: a real Compose file uses a few dozen; "billion laughs" would use billions. */
const MAX_ALIASES = 10_000;

interface Walk {
  doc: Document;
  at: (offset: number | undefined) => string;
  aliases: number;
  /** The anchored nodes being expanded now: an alias to one of them would expand forever. */
  expanding: Set<Node>;
}

function toValue(node: Node, walk: Walk): Value {
  const value = ((): Value => {
    if (isAlias(node)) return expandAlias(node, walk);
    if (isSeq(node)) return node.items.map((item) => (item === null ? null : toValue(item as Node, walk)));
    if (isScalar(node)) return node.value as Value;
    if (!isMap(node)) return null;
    const own: Mapping = {};
    let merged: Mapping = {};
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyNode !== null && isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) throw new Refusal(`${walk.at(keyNode?.range?.[0])}: a Compose key must be a plain scalar`);
      const item = pair.value === null ? null : toValue(pair.value as Node, walk);
      if (key === "<<" && keyNode?.tag === undefined) merged = { ...mergeKeyValue(item), ...merged };
      else own[key] = item;
    }
    return { ...merged, ...own };
  })();
  if (node.tag === "!reset") return RESET;
  if (node.tag === "!override") return new Override(value);
  return value;
}

function expandAlias(alias: Alias, walk: Walk): Value {
  const target = alias.resolve(walk.doc) as Node | undefined;
  const where = walk.at(alias.range?.[0]);
  if (target === undefined) throw new Refusal(`${where}: alias *${alias.source} names no anchor before it`);
  if (walk.expanding.has(target)) throw new Refusal(`${where}: alias *${alias.source} is inside the node it names, so it never ends`);
  if (++walk.aliases > MAX_ALIASES) throw new Refusal(`${where}: more than ${MAX_ALIASES} aliases to expand; a Compose file needs far fewer`);
  walk.expanding.add(target);
  try {
    return toValue(target, walk);
  } finally {
    walk.expanding.delete(target);
  }
}

/** What a merge key (`<<: *a` or `<<: [*a, *b]`) brings in: the keys of the mappings it names, the first one's winning. */
function mergeKeyValue(item: Value): Mapping {
  const sources = (Array.isArray(item) ? item : [item]) as Value[];
  return sources.reduceRight<Mapping>((merged, source) => (isMapping(source) ? { ...merged, ...source } : merged), {});
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
