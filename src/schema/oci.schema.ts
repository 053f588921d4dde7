/**
 * The parts of an OCI bundle's config.json that runsc-overlay checks before it edits one (bundle.ts's
 * checkSpec). Everything else is allowed and left alone: the file is edited as bytes, never
 * re-serialised, so no type is derived from this schema.
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
