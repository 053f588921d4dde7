/**
 * README.md's generated tables: each stands between `<!-- <name>: <source> -->` and `<!-- end -->`,
 * and the test that renders or measures it holds README.md to it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The table README.md holds under `<!-- name: source -->`, or undefined. Where it is not `wanted`,
 * `wanted` is written to .tools/<name>-table.md, ready to paste in.
 */
export function readmeTable(name: string, source: string, wanted: string): string | undefined {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const start = readme.indexOf(`<!-- ${name}: ${source} -->\n`);
  const end = start < 0 ? -1 : readme.indexOf("\n<!-- end -->", start);
  const held = end < 0 ? undefined : readme.slice(readme.indexOf("\n", start) + 1, end);
  if (held !== wanted) {
    mkdirSync(`${root}.tools`, { recursive: true });
    writeFileSync(`${root}.tools/${name}-table.md`, `${wanted}\n`);
  }
  return held;
}
