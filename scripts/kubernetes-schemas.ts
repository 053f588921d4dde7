/**
 * Extracts from Kubernetes' own OpenAPI document the definitions that deploy/kubernetes's objects use
 * (the kinds below and every definition they reach through $ref), for test/deploy/manifests.test.ts
 * to validate the rendered manifests against, without descriptions (the bulk of the document).
 *
 *   scripts/with-node node scripts/kubernetes-schemas.ts SWAGGER_JSON SOURCE >test/deploy/fixtures/kubernetes-definitions.json
 *
 * SWAGGER_JSON is a release's api/openapi-spec/swagger.json (OpenAPI v2); SOURCE says where it came
 * from, and goes into the output's $comment. Add a kind here when deploy/kubernetes gains one.
 */
import { readFileSync } from "node:fs";

const KINDS = [
  ["", "v1", "Namespace"],
  ["", "v1", "ServiceAccount"],
  ["", "v1", "ConfigMap"],
  ["rbac.authorization.k8s.io", "v1", "ClusterRole"],
  ["rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"],
  ["rbac.authorization.k8s.io", "v1", "Role"],
  ["rbac.authorization.k8s.io", "v1", "RoleBinding"],
  ["apps", "v1", "DaemonSet"],
  ["node.k8s.io", "v1", "RuntimeClass"],
] as const;

type Gvk = { group: string; version: string; kind: string };
type Definition = Record<string, unknown> & { "x-kubernetes-group-version-kind"?: Gvk[] };

const [file, source] = process.argv.slice(2);
if (!file || !source) throw new Error("usage: kubernetes-schemas.ts SWAGGER_JSON SOURCE");
const all = (JSON.parse(readFileSync(file, "utf8")) as { definitions: Record<string, Definition> }).definitions;

const roots = KINDS.map(([group, version, kind]) => {
  const name = Object.keys(all).find((key) =>
    all[key]!["x-kubernetes-group-version-kind"]?.some((gvk) => gvk.group === group && gvk.version === version && gvk.kind === kind),
  );
  if (!name) throw new Error(`${file} defines no ${group || "core"}/${version} ${kind}`);
  return name;
});

/** A copy without descriptions, adding to `pending` each definition that it names through $ref. */
function strip(node: unknown, pending: string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => strip(item, pending));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "description") continue;
    if (key === "$ref" && typeof value === "string") pending.push(value.replace("#/definitions/", ""));
    // `properties` maps field names to schemas: a field may be called "description" ($ref never is).
    out[key] = key === "properties" ? Object.fromEntries(Object.entries(value as object).map(([field, schema]) => [field, strip(schema, pending)])) : strip(value, pending);
  }
  return out;
}

const definitions: Record<string, unknown> = {};
for (const pending = [...roots]; pending.length > 0; ) {
  const name = pending.pop()!;
  if (name in definitions) continue;
  if (!all[name]) throw new Error(`${file} has no definition ${name}`);
  definitions[name] = strip(all[name], pending);
}

const sorted = Object.fromEntries(Object.keys(definitions).sort().map((name) => [name, definitions[name]]));
process.stdout.write(`${JSON.stringify({ $comment: `Made by scripts/kubernetes-schemas.ts from ${source}`, definitions: sorted }, null, 1)}\n`);
