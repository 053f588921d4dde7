// Builds what the per-call path runs: ajv validators compiled ahead of time (so no schema is compiled
// on a call) and one esbuild bundle (so no module graph is resolved on a call); and, apart from it,
// the bundle of the management CLI, whose commander and execa the per-call path never loads.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import * as esbuild from "esbuild";
import { configSchema } from "../src/schema/config.schema.ts";
import { ociSpecSchema } from "../src/schema/oci.schema.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const ajv = new Ajv({ code: { source: true, esm: true }, useDefaults: true, allErrors: true, schemas: [configSchema, ociSpecSchema] });
const validators = { validateConfig: configSchema.$id, validateOciSpec: ociSpecSchema.$id };
writeFileSync(join(root, "src/schema/validators.generated.mjs"), standaloneCode.default(ajv, validators));
writeFileSync(
  join(root, "src/schema/validators.generated.d.mts"),
  `import type { ErrorObject } from "ajv";\n` +
    `interface Validator { (data: unknown): boolean; errors?: ErrorObject[] | null }\n` +
    Object.keys(validators).map((name) => `export declare const ${name}: Validator;\n`).join(""),
);

mkdirSync(join(root, "dist"), { recursive: true });
await esbuild.build({
  entryPoints: { runtime: join(root, "src/runtime/main.ts"), ctl: join(root, "src/ctl/main.ts") },
  outdir: join(root, "dist"),
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  legalComments: "none",
  // jsonc-parser's CommonJS entry is UMD, whose require() calls esbuild cannot follow; its ESM one is plain.
  mainFields: ["module", "main"],
  // Bundled CommonJS (ajv's runtime helpers) calls require(); give the ESM bundle one.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
});
