import { describe, expect, it } from "vitest";
import { parseComposeFile } from "../../src/ctl/compose-file.js";
import { mergeComposeFiles } from "../../src/ctl/compose-merge.js";

const merged = (...texts: string[]) => mergeComposeFiles(texts.map((text, i) => parseComposeFile(text, `f${i}.yaml`)));

describe("mergeComposeFiles", () => {
  it.each([
    ["mappings merge key by key", ["services: {web: {image: a, runtime: runc}}", "services: {web: {image: b}, db: {}}"], { services: { web: { image: "b", runtime: "runc" }, db: {} } }],
    ["sequences append", ["services: {web: {links: [a]}}", "services: {web: {links: [b]}}"], { services: { web: { links: ["a", "b"] } } }],
    ["!reset removes what earlier files set", ["services: {web: {links: [a], network_mode: none}}", "services: {web: {links: !reset [], network_mode: !reset null}}"], { services: { web: {} } }],
    ["!override replaces instead of merging", ["services: {web: {networks: {a: {}, b: {}}}}", "services: {web: {networks: !override {c: {}}}}"], { services: { web: { networks: { c: {} } } } }],
    ["a !reset in the first file leaves nothing", ["services: {web: {links: !reset [a]}}"], { services: { web: {} } }],
    ["build's short form merges as {context}", ["services: {web: {build: ./web}}", "services: {web: {build: {network: host}}}"], { services: { web: { build: { context: "./web", network: "host" } } } }],
    ["networks' list form merges as a mapping", ["services: {web: {networks: [a]}}", "services: {web: {networks: {b: {aliases: [x]}}}}"], { services: { web: { networks: { a: null, b: { aliases: ["x"] } } } } }],
    ["an override file without services keeps the services", ["services: {web: {}}", "networks: {a: {}}"], { services: { web: {} }, networks: { a: {} } }],
  ])("%s", (_, texts, expected) => {
    expect(merged(...texts)).toEqual(expected);
  });
});
