import type { FromSchema } from "json-schema-to-ts";

/**
 * The parts of an OCI bundle's config.json that runsc-overlay reads. Everything else is allowed and
 * left alone: the file is edited as text, never re-serialised from this type.
 */
export const ociSpecSchema = {
  $id: "runsc-overlay/oci-spec",
  type: "object",
  properties: {
    ociVersion: { type: "string" },
    root: {
      type: "object",
      properties: {
        path: { type: "string" },
        readonly: { type: "boolean" },
      },
    },
    annotations: {
      type: "object",
      additionalProperties: { type: "string" },
    },
  },
} as const;

export type OciSpec = FromSchema<typeof ociSpecSchema>;
