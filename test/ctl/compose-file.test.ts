import { describe, expect, it } from "vitest";
import { Override, RESET, parseComposeFile, plain, readComposeFile } from "../../src/ctl/compose-file.js";

const F = "compose.yaml";
/** Each level names the one before ten times: 10^8 expansions in all. */
const LAUGHS = ["a0: &a0 [x]", ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`)].join("\n");

describe("parseComposeFile", () => {
  it("resolves anchors, aliases and merge keys, the mapping's own keys winning over merged ones", () => {
    const text = "x-a: &a {image: one, runtime: runc}\nx-b: &b {image: two, user: me}\nservices:\n  web:\n    <<: [*a, *b]\n    image: own\n";
    expect(plain(parseComposeFile(text, F).model)).toMatchObject({ services: { web: { image: "own", runtime: "runc", user: "me" } } });
  });

  it("keeps !reset and !override as markers, whatever value they carry", () => {
    const { model } = parseComposeFile("services:\n  web:\n    links: !reset []\n    networks: !override {back: {}}\n    network_mode: !reset null\n", F);
    expect(model).toEqual({ services: { web: { links: RESET, networks: new Override({ back: {} }), network_mode: RESET } } });
  });

  it.each([
    ["an empty file", "", {}],
    ["an override with no services key", "networks: {a: {}}\n", { networks: { a: {} } }],
    ["services left empty", "services:\n", { services: null }],
    ["keys it does not read, of any type", "services:\n  web: {ports: [80], deploy: {replicas: 2}}\n", { services: { web: { ports: [80], deploy: { replicas: 2 } } } }],
  ])("accepts %s", (_, text, expected) => {
    expect(plain(parseComposeFile(text, F).model)).toEqual(expected);
  });

  it.each([
    ["invalid YAML", "services:\n  web: [\n", /^compose\.yaml:3:1: not valid YAML: /],
    ["a duplicate key", "services:\n  web: {}\n  web: {}\n", /^compose\.yaml:3:3: not valid YAML: Map keys must be unique/],
    ["a list at the top", "- services\n", /^compose\.yaml: a Compose file is a mapping of top-level keys/],
    ["services as a list", "services:\n  - web\n", /^compose\.yaml:2:3: services must be a mapping or empty$/],
    ["a service that is a string", "services:\n  web: nginx\n", /^compose\.yaml:2:8: services\.web must be a mapping$/],
    ["network_mode as a number", "services:\n  web:\n    network_mode: 5\n", /^compose\.yaml:3:19: services\.web\.network_mode must be a string$/],
    ["networks as a string", "services:\n  web:\n    networks: front\n", /^compose\.yaml:3:15: services\.web\.networks must be a list or a mapping$/],
    ["links with a mapping inside", "services:\n  web:\n    links: [{db: x}]\n", /^compose\.yaml:3:13: services\.web\.links\.0 must be a string$/],
    ["build as a list", "services:\n  web:\n    build: [.]\n", /^compose\.yaml:3:12: services\.web\.build must be a string or a mapping$/],
    ["a key that is a mapping", "services:\n  ? {a: b}\n  : {}\n", /^compose\.yaml:2:5: a Compose key must be a plain scalar$/],
    ["an alias inside the node it names", "x: &a\n  b: *a\n", /^compose\.yaml:2:6: alias \*a is inside the node it names, so it never ends$/],
    ["aliases that expand a billion times", LAUGHS, /: more than 10000 aliases to expand; a Compose file needs far fewer$/],
  ])("refuses %s, naming the file, line and key", (_, text, message) => {
    expect(() => parseComposeFile(text, F)).toThrow(message);
  });

  it("points at the service when a bad value came in through a merge key", () => {
    expect(() => parseComposeFile("x-a: &a {runtime: 7}\nservices:\n  web:\n    <<: *a\n", F)).toThrow(/^compose\.yaml:4:5: services\.web\.runtime must be a string$/);
  });

  it("names a file it cannot read", () => {
    expect(() => readComposeFile("/nonexistent/compose.yaml")).toThrow(/^cannot read Compose file \/nonexistent\/compose\.yaml: ENOENT/);
  });
});
