/**
 * The user's own Compose, which loads the project for compose-override exactly as `docker compose up`
 * will: the files merged by its rules, `extends` and `include` resolved, variables interpolated. Its
 * `config --format json --no-normalize` is the model compose-override reads; its errors are its own.
 */
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import type { ComposeModel } from "../schema/compose.schema.js";
import { validateComposeFile } from "../schema/validators.generated.mjs";
import { Refusal, describe } from "../runtime/errors.js";

export interface ComposeProject {
  files: string[];
  model: ComposeModel;
}

/** The override's `!reset` needs this Compose or later. */
const MINIMUM = [2, 24] as const;

/** A Compose command line: `docker compose`, `docker-compose`, or the words given by --compose. */
export interface Compose {
  command: string[];
  version: string;
}

/**
 * A failure Compose itself reported: its stderr and exit status are passed on as they are, after what
 * runsc-overlay-ctl found wrong with each file on its own, since Compose does not always say which.
 */
export class ComposeFailed extends Error {
  constructor(
    readonly stderr: string,
    readonly exitCode: number,
    readonly problems: string[],
  ) {
    super(stderr);
  }
}

/**
 * What is wrong with each file read on its own: one that cannot be read (absent, a directory, not
 * readable), or that is not YAML, with the line and column the yaml library gives. Compose's own
 * `yaml: line 1: did not find expected ',' or ']'` names no file.
 */
export function fileProblems(files: readonly string[], read: (file: string) => string): string[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = read(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return [`${file}: ${code === "EISDIR" ? "is a directory, not a Compose file" : code === "ENOENT" ? "no such file" : `cannot be read (${code ?? describe(error)})`}`];
    }
    return parseAllDocuments(text).flatMap((document) => ("errors" in document ? document.errors : [])).slice(0, 1).map((error) => {
      const at = error.linePos?.[0];
      return `${file}${at ? `:${at.line}:${at.col}` : ""}: ${error.message.split("\n")[0]}`;
    });
  });
}

/** The Compose to use: the one given, else `docker compose`, else `docker-compose`; 2.24 or later. */
export async function findCompose(given: string | undefined, env: NodeJS.ProcessEnv): Promise<Compose> {
  const candidates = given ? [given.split(/\s+/).filter(Boolean)] : [["docker", "compose"], ["docker-compose"]];
  for (const command of candidates) {
    const run = await execa(command[0]!, [...command.slice(1), "version", "--short"], { env, reject: false, timeout: 30_000 });
    const version = /^v?(\d+)\.(\d+)\S*/.exec(run.stdout.trim());
    if (run.exitCode !== 0 || !version) continue;
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
      throw new Refusal(`${command.join(" ")} is Compose ${version[0]}: compose-override needs Compose ${MINIMUM.join(".")} or later, whose !reset the override uses`);
    }
    return { command, version: version[0] };
  }
  throw new Refusal(given ? `--compose ${given} does not answer \`version --short\` as Compose does` : "no Compose found (docker compose, docker-compose): install Compose 2.24 or later, or name it with --compose");
}

/** The project as Compose loads it from these files, in this order. */
export async function loadComposeProject(compose: Compose, files: string[], env: NodeJS.ProcessEnv): Promise<ComposeProject> {
  const [file, ...args] = compose.command;
  const run = await execa(file!, [...args, ...files.flatMap((name) => ["-f", name]), "config", "--format", "json", "--no-normalize"], { env, reject: false });
  if (run.exitCode !== 0) throw new ComposeFailed(run.stderr, run.exitCode ?? 1, fileProblems(files, (name) => readFileSync(name, "utf8")));
  const model: unknown = JSON.parse(run.stdout);
  if (!validateComposeFile(model)) {
    const error = validateComposeFile.errors?.[0];
    throw new Refusal(`${compose.command.join(" ")} config gave a model runsc-overlay-ctl does not understand: ${error?.instancePath.slice(1).replaceAll("/", ".")} ${error?.message}`);
  }
  const project = model as ComposeModel;
  if (Object.keys(project.services ?? {}).length === 0) throw new Refusal(`${files.join(", ")}: no services`);
  return { files, model: project };
}
