/**
 * Docker's daemon.json, edited as text (jsonc-parser's modify) so that every other key, the order and
 * the formatting stay as the administrator left them. Pure: text in, text out.
 */
import { type ParseError, applyEdits, modify, parseTree, getNodeValue, printParseErrorCode } from "jsonc-parser";
import { isDeepStrictEqual } from "node:util";
import { Refusal } from "../runtime/errors.js";

export interface DockerRuntime {
  path: string;
  runtimeArgs?: string[];
}

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" } };

/** The parsed file, refusing what dockerd would refuse to start with. */
export function parseDaemonJson(text: string, file: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (first) {
    const { line, column } = position(text, first.offset);
    throw new Refusal(`${file} is not valid JSON (${printParseErrorCode(first.error)} at line ${line}, column ${column}): fix it first; nothing was changed`);
  }
  const value = tree === undefined ? {} : getNodeValue(tree);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Refusal(`${file} must hold a JSON object; nothing was changed`);
  const runtimes = (value as Record<string, unknown>).runtimes;
  if (runtimes !== undefined && (typeof runtimes !== "object" || runtimes === null || Array.isArray(runtimes))) {
    throw new Refusal(`${file}: "runtimes" must be an object; nothing was changed`);
  }
  return value as Record<string, unknown>;
}

/** daemon.json with runtime `name` registered (and made the default where asked); unchanged if it already is. */
export function addDockerRuntime(text: string | undefined, file: string, name: string, runtime: DockerRuntime, makeDefault: boolean): string {
  let out = text === undefined || text.trim() === "" ? "{}\n" : text;
  const daemon = parseDaemonJson(out, file);
  const runtimes = (daemon.runtimes ?? {}) as Record<string, unknown>;
  if (!isDeepStrictEqual(runtimes[name], runtime)) out = applyEdits(out, modify(out, ["runtimes", name], runtime, FORMAT));
  if (makeDefault && daemon["default-runtime"] !== name) out = applyEdits(out, modify(out, ["default-runtime"], name, FORMAT));
  return out;
}

/** daemon.json without runtime `name`, nor the default-runtime or empty "runtimes" that named it. */
export function removeDockerRuntime(text: string, file: string, name: string): string {
  const daemon = parseDaemonJson(text, file);
  const runtimes = (daemon.runtimes ?? {}) as Record<string, unknown>;
  let out = text;
  if (name in runtimes) {
    const rest = Object.keys(runtimes).filter((key) => key !== name);
    out = applyEdits(out, modify(out, rest.length === 0 ? ["runtimes"] : ["runtimes", name], undefined, FORMAT));
  }
  if (daemon["default-runtime"] === name) out = applyEdits(out, modify(out, ["default-runtime"], undefined, FORMAT));
  return out;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}
