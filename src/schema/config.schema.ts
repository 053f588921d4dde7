import type { FromSchema } from "json-schema-to-ts";
import { ANNOTATION_FAMILY_NAMES } from "../runtime/policy.ts";

/**
 * runsc-overlay's own config.toml. ajv validates against this schema (compiled ahead of time by
 * scripts/build.mjs) and the TypeScript type below is derived from the same object, so the two can
 * never disagree.
 */
export const configSchema = {
  $id: "runsc-overlay/config",
  type: "object",
  additionalProperties: false,
  properties: {
    runsc: {
      type: "object",
      additionalProperties: false,
      properties: {
        path: { type: "string", default: "" },
        flags: { type: "array", items: { type: "string", pattern: "^-" }, default: [] },
      },
      default: {},
    },
    overlay: {
      type: "object",
      additionalProperties: false,
      properties: {
        overlay2: { type: "string", default: "root:self" },
        fallback: { enum: ["dir", "fail", "passthrough"], default: "dir" },
        fallback_dir: { type: "string", pattern: "^/", default: "/var/lib/runsc-overlay/filestore" },
        annotations: { enum: ["enforce", "allow"], default: "enforce" },
        allow_annotations: { type: "array", items: { enum: ANNOTATION_FAMILY_NAMES }, uniqueItems: true, default: [] },
      },
      default: {},
    },
    log: {
      type: "object",
      additionalProperties: false,
      properties: {
        file: { type: "string", default: "/var/log/runsc-overlay.log" },
        level: { enum: ["debug", "info", "warn", "error"], default: "error" },
      },
      default: {},
    },
    cache: {
      type: "object",
      additionalProperties: false,
      properties: {
        dir: { type: "string", pattern: "^/", default: "/var/cache/runsc-overlay" },
      },
      default: {},
    },
  },
} as const;

/** The config after validation: ajv's `useDefaults` has filled in every key. */
export type Config = FromSchema<typeof configSchema, { keepDefaultedPropertiesOptional: false }>;
