/** A Compose project as `docker compose -f A -f B` loads it: each file read, its extends resolved, then merged. */
import type { ComposeModel } from "../schema/compose.schema.js";
import { Refusal } from "../runtime/errors.js";
import { readComposeFile } from "./compose-file.js";
import { resolveExtends } from "./compose-extends.js";
import { mergeComposeFiles } from "./compose-merge.js";

export interface ComposeProject {
  files: string[];
  model: ComposeModel;
}

export function loadComposeProject(files: string[]): ComposeProject {
  const sources = files.map(readComposeFile);
  for (const source of sources) {
    if ("include" in source.model) throw new Refusal(`${source.file}: include is not supported: pass the included Compose files to compose-override as well`);
  }
  const model = mergeComposeFiles(sources.map((source) => resolveExtends(source)));
  if (Object.keys(model.services ?? {}).length === 0) throw new Refusal(`${files.join(", ")}: no services`);
  return { files, model };
}
