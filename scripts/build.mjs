// Builds what the per-call path runs: ajv validators compiled ahead of time (so no schema is compiled
// on a call) and one esbuild bundle (so no module graph is resolved on a call); and, apart from it,
// the bundle of the management CLI, whose commander and execa the per-call path never loads.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import * as esbuild from "esbuild";
import { composeFileSchema } from "../src/schema/compose.schema.ts";
import { configSchema } from "../src/schema/config.schema.ts";
import { ociSpecSchema } from "../src/schema/oci.schema.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const ajv = new Ajv({ code: { source: true, esm: true }, useDefaults: true, allErrors: true, allowUnionTypes: true, schemas: [configSchema, ociSpecSchema, composeFileSchema] });
const validators = { validateConfig: configSchema.$id, validateOciSpec: ociSpecSchema.$id, validateComposeFile: composeFileSchema.$id };
writeFileSync(join(root, "src/schema/validators.generated.mjs"), standaloneCode.default(ajv, validators));
writeFileSync(
  join(root, "src/schema/validators.generated.d.mts"),
  `import type { ErrorObject } from "ajv";\n` +
    `interface Validator { (data: unknown): boolean; errors?: ErrorObject[] | null }\n` +
    Object.keys(validators).map((name) => `export declare const ${name}: Validator;\n`).join(""),
);

mkdirSync(join(root, "dist"), { recursive: true });
// The planner's identity (src/runtime/planner.ts): a hash of everything a plan is made from, and of the
// launcher that reads the fast path's data, the same in both bundles and in the launcher
// (install-runtime reads dist/planner-id).
const hash = createHash("sha256");
for (const file of ["package-lock.json", "bin/runsc-overlay", ...readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).map((name) => `src/${name}`).sort()]) {
  if (/\.(ts|mjs|json)$|^bin\//.test(file)) hash.update(`${file}\0`).update(readFileSync(join(root, file)));
}
const plannerId = hash.digest("hex").slice(0, 16);
writeFileSync(join(root, "dist/planner-id"), `${plannerId}\n`);
const common = {
  define: { PLANNER_ID: JSON.stringify(plannerId) },
  bundle: true,
  platform: "node",
  target: "node22",
  minify: true,
  legalComments: "none",
  // jsonc-parser's CommonJS entry is UMD, whose require() calls esbuild cannot follow; its ESM one is plain.
  mainFields: ["module", "main"],
};
// The per-call path is CommonJS: an ES module's named imports of node:fs evaluate every lazy export
// of fs (streams, promises, readline), which costs milliseconds on every call. pino stays out of it,
// in a package of its own beside it that require("pino") finds, compiled only when there is a line to log.
// jsonc-parser declares no sideEffects, so esbuild would keep its formatter, whose module builds
// hundreds of indentation strings at load, on every call; the runtime uses only its parser.
const jsoncParserIsPure = {
  name: "jsonc-parser-is-pure",
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.pure || !(args.path === "jsonc-parser" || args.importer.includes("/node_modules/jsonc-parser/"))) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { pure: true } });
      return { ...resolved, sideEffects: false };
    });
  },
};
await esbuild.build({
  ...common,
  entryPoints: [join(root, "src/runtime/main.ts")],
  outfile: join(root, "dist/runtime.cjs"),
  format: "cjs",
  external: ["pino"],
  plugins: [jsoncParserIsPure],
});
await esbuild.build({ ...common, entryPoints: [createRequire(import.meta.url).resolve("pino")], outfile: join(root, "dist/node_modules/pino/index.cjs"), format: "cjs" });
writeFileSync(join(root, "dist/node_modules/pino/package.json"), `${JSON.stringify({ name: "pino", main: "index.cjs" })}\n`);
await esbuild.build({
  ...common,
  entryPoints: [join(root, "src/ctl/main.ts")],
  outfile: join(root, "dist/ctl.mjs"),
  format: "esm",
  // Bundled CommonJS (ajv's runtime helpers, commander) calls require(); give the ESM bundle one.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
});
