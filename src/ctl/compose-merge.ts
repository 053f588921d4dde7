/**
 * Several `-f` Compose files merged into one model, by the Compose specification's rules (merge.md):
 * mappings merge key by key, sequences append, scalars are replaced, `!reset` removes what earlier
 * files set, `!override` replaces it whole; and a key written in short form in one file and long form
 * in another merges in its long form. The sequences that Compose replaces or keeps unique instead
 * (command, entrypoint, ports, volumes, ...) merge by appending here: compose-override reads none of them.
 */
import { type ComposeModel } from "../schema/compose.schema.js";
import { type ComposeSource, type Mapping, type Value, Override, RESET, isMapping, plain } from "./compose-file.js";

export function mergeComposeFiles(sources: ComposeSource[]): ComposeModel {
  const merged = sources.reduce<Value | undefined>((model, source) => mergeValue(model, longForm(source.model)), {});
  return plain(merged ?? {}) as ComposeModel;
}

/** `over` merged onto `base`; undefined where `over` is a `!reset`, which removes the key. */
export function mergeValue(base: Value | undefined, over: Value): Value | undefined {
  if (over === RESET) return undefined;
  if (over instanceof Override) return over.value;
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  if (!isMapping(base) || !isMapping(over)) return over;
  const result: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const merged = mergeValue(result[key], value);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  return result;
}

function longForm(model: Mapping): Mapping {
  const services = model.services;
  if (!isMapping(services)) return model;
  return { ...model, services: Object.fromEntries(Object.entries(services).map(([name, service]) => [name, longFormService(service)])) };
}

/** A service's `build: DIR` is `build: {context: DIR}`, and `networks: [a]` is `networks: {a: null}`. */
export function longFormService(service: Value): Value {
  if (!isMapping(service)) return service;
  const { build, networks } = service;
  return {
    ...service,
    ...(typeof build === "string" ? { build: { context: build } } : {}),
    ...(Array.isArray(networks) ? { networks: Object.fromEntries(networks.map((network) => [String(network), null])) } : {}),
  };
}
