import type { FromSchema } from "json-schema-to-ts";

/**
 * The parts of the model that `docker compose config --format json --no-normalize` prints which
 * `runsc-overlay-ctl compose-override` reads. Everything else is left to Compose.
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
        },
      },
    },
  },
} as const;

export type ComposeModel = FromSchema<typeof composeFileSchema>;
export type ComposeService = NonNullable<ComposeModel["services"]>[string];
