import type { FromSchema } from "json-schema-to-ts";

/**
 * The parts of a Compose file that `runsc-overlay-ctl compose-override` reads, after the YAML is
 * loaded and any `!reset` is applied. Everything else is allowed and left to Compose. The types are
 * those of the Compose specification's own schema, so a file Compose would refuse for these keys is
 * refused here too, naming the key.
 */
export const composeFileSchema = {
  $id: "runsc-overlay/compose-file",
  type: "object",
  properties: {
    services: {
      type: ["object", "null"],
      additionalProperties: {
        type: "object",
        properties: {
          runtime: { type: "string" },
          network_mode: { type: "string" },
          networks: { type: ["array", "object"], items: { type: "string" } },
          links: { type: "array", items: { type: "string" } },
          build: { type: ["string", "object"], properties: { network: { type: "string" } } },
          extends: { type: ["string", "object"], properties: { service: { type: "string" }, file: { type: "string" } }, required: ["service"] },
        },
      },
    },
  },
} as const;

export type ComposeModel = FromSchema<typeof composeFileSchema>;
export type ComposeService = NonNullable<ComposeModel["services"]>[string];
