/** Reading and writing the engines' config files: a backup of what was there, then an atomic replace. */
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parse } from "smol-toml";
import { replaceFile } from "../shared/replace-file.js";
import { Refusal, describe } from "../runtime/errors.js";

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Refusal(`cannot read ${file}: ${describe(error)}`);
  }
}

/** A TOML file's tables as plain objects (smol-toml's have no prototype), or a refusal naming the file. */
export function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return structuredClone(parse(text)) as Record<string, unknown>;
  } catch (error) {
    throw new Refusal(`${file} is not valid TOML (${describe(error).split("\n")[0]}): fix it first; nothing was changed`);
  }
}

/** Whether TOML text holds exactly `expected`: how an edit made as text proves it changed nothing else. */
export function tomlHolds(text: string, expected: unknown): boolean {
  try {
    return isDeepStrictEqual(structuredClone(parse(text)), expected);
  } catch {
    return false;
  }
}

export function backupOf(file: string): string {
  return `${file}.before-runsc-overlay`;
}

/**
 * Writes `text` to `file` unless it already holds it; "" removes the file. The administrator's own
 * files get a backup of what they held; our drop-in, and a file removed because only what we wrote
 * was left in it, do not. Returns whether anything changed.
 */
export function update(file: string, old: string | undefined, text: string, backup: boolean): boolean {
  if (old === text || (old === undefined && text === "")) return false;
  try {
    if (old !== undefined && backup && text !== "") copyFileSync(file, backupOf(file));
    if (text === "") rmSync(file);
    else replaceFile(file, Buffer.from(text));
  } catch (error) {
    throw new Refusal(`cannot write ${file}: ${describe(error)}`);
  }
  return true;
}
