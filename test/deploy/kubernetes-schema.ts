/**
 * Validates Kubernetes objects against Kubernetes' own OpenAPI definitions
 * (fixtures/kubernetes-definitions.json, made by scripts/kubernetes-schemas.ts), as strictly as the
 * API server's fieldValidation=Strict: a field the definition does not name is an error, not dropped.
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

type Schema = Record<string, unknown>;
type Gvk = { group: string; version: string; kind: string };

const fixture = JSON.parse(readFileSync(new URL("fixtures/kubernetes-definitions.json", import.meta.url), "utf8")) as {
  definitions: Record<string, Schema & { "x-kubernetes-group-version-kind"?: Gvk[] }>;
};

/** OpenAPI v2's definitions in JSON Schema terms that ajv checks as the API server decodes. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (typeof node !== "object" || node === null) return node;
  const schema = node as Schema;
  // IntOrString is declared `type: string, format: int-or-string`; the server takes either.
  if (schema.format === "int-or-string") return { anyOf: [{ type: "integer" }, { type: "string" }] };
  const out = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === "properties" ? Object.fromEntries(Object.entries(value as Schema).map(([field, sub]) => [field, strict(sub)])) : strict(value)]),
  );
  if (out.properties && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

const definitions = Object.fromEntries(Object.entries(fixture.definitions).map(([name, schema]) => [name, strict(schema)]));
// Quantity is declared a string, but the server also parses a YAML number (`cpu: 1`).
definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = { anyOf: [{ type: "string" }, { type: "number" }] };

// strict: false: the definitions carry OpenAPI's x-kubernetes-* keywords and formats (int32, byte)
// that are not JSON Schema's.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: "kubernetes", definitions });

/** The errors in `object`, one line each, or none; a kind the fixture does not define is an error. */
export function kubernetesErrors(object: { apiVersion?: unknown; kind?: unknown }): string[] {
  const [group, version] = String(object.apiVersion).includes("/") ? String(object.apiVersion).split("/") : ["", String(object.apiVersion)];
  const name = Object.keys(fixture.definitions).find((key) =>
    fixture.definitions[key]!["x-kubernetes-group-version-kind"]?.some((gvk) => gvk.group === group && gvk.version === version && gvk.kind === object.kind),
  );
  if (!name) return [`no definition of ${String(object.apiVersion)} ${String(object.kind)} in the fixture`];
  const validate = ajv.getSchema(`kubernetes#/definitions/${name}`)!;
  if (validate(object)) return [];
  return validate.errors!.map((error) => `${error.instancePath || "/"} ${error.message}${error.params && "additionalProperty" in error.params ? `: ${error.params.additionalProperty}` : ""}`);
}
