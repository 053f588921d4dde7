/**
 * A service's `extends`, resolved as Compose resolves it: in each file on its own, before the files are
 * merged. The base service, itself resolved, goes under the service's own keys by the merge rules, from
 * the same file or from another (`file:`, relative to the file that names it).
 */
import { dirname, resolve } from "node:path";
import { Refusal } from "../runtime/errors.js";
import { type ComposeSource, type Mapping, type Value, isMapping, readComposeFile } from "./compose-file.js";
import { longFormService, mergeValue } from "./compose-merge.js";

export function resolveExtends(source: ComposeSource, read: (file: string) => ComposeSource = readComposeFile): ComposeSource {
  const services = source.model.services;
  if (!isMapping(services)) return source;
  const resolved: Mapping = Object.fromEntries(Object.keys(services).map((name) => [name, resolveService(source, name, read, [])]));
  return { ...source, model: { ...source.model, services: resolved } };
}

function resolveService(source: ComposeSource, name: string, read: (file: string) => ComposeSource, chain: string[]): Value {
  const service = (source.model.services as Mapping)[name];
  const link = `${source.file}: services.${name}`;
  if (!isMapping(service) || service.extends === undefined) return service!;
  if (chain.includes(link)) throw new Refusal(`${link}.extends goes round in a circle: ${[...chain, link].join(" -> ")}`);
  const { extends: parent, ...own } = service;
  const target = typeof parent === "string" ? { service: parent } : isMapping(parent) ? parent : {};
  if (typeof target.service !== "string") throw new Refusal(`${link}.extends must name a service, as a string or as {service: NAME}`);
  const base = typeof target.file === "string" ? read(resolve(dirname(source.file), target.file)) : source;
  if (!isMapping(base.model.services) || !(target.service in base.model.services)) {
    throw new Refusal(`${link}.extends names service ${target.service}, which ${base.file} does not define`);
  }
  const inherited = resolveService(base, target.service, read, [...chain, link]);
  return mergeValue(longFormService(inherited), longFormService(own)) ?? {};
}
