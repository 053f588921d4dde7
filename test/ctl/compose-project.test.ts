/**
 * A Compose project loaded from several -f files, with extends, checked against the real Compose
 * (Debian 13's docker-compose): its `config` is the model Compose itself makes of the same files.
 */
import { describe, expect, it } from "vitest";
import { loadComposeProject } from "../../src/ctl/compose-project.js";
import { type ComposeServiceConfig, SHOP, composeConfig, composeFile } from "../helpers/compose.js";

/** What compose-override reads of a service. */
const reading = (service: ComposeServiceConfig) => ({
  runtime: service.runtime,
  network_mode: service.network_mode,
  // Compose puts a service with no network of its own on the implicit "default" network.
  networks: Object.keys(service.networks ?? {}).filter((name) => name !== "default"),
  links: service.links ?? [],
  buildNetwork: service.build?.network,
});

describe("loadComposeProject", () => {
  it("makes the model Compose makes of a seven-service project with an -f override and extends, in every key it reads", async () => {
    const ours = loadComposeProject(SHOP).model.services as Record<string, ComposeServiceConfig>;
    const theirs = await composeConfig(SHOP);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) expect({ name, ...reading(ours[name]!) }).toEqual({ name, ...reading(theirs[name]!) });
  });

  it.each([
    ["include", "include: [other.yaml]\nservices: {a: {}}\n", /compose\.yaml: include is not supported: pass the included Compose files to compose-override as well$/],
    ["no services", "networks: {a: {}}\n", /compose\.yaml: no services$/],
    ["extends of a service that is not there", "services:\n  a: {extends: b}\n", /compose\.yaml: services\.a\.extends names service b, which .+compose\.yaml does not define$/],
    ["extends in a circle", "services:\n  a: {extends: b}\n  b: {extends: a}\n", /compose\.yaml: services\.a\.extends goes round in a circle: .+services\.a -> .+services\.b -> .+services\.a$/],
    ["extends without a service", "services:\n  a:\n    extends: {file: base.yaml}\n", /compose\.yaml:3:14: services\.a\.extends must have required property 'service'$/],
    ["extends of a file that is not there", "services:\n  a:\n    extends: {file: gone.yaml, service: b}\n", /^cannot read Compose file .+\/gone\.yaml: ENOENT/],
  ])("refuses %s, naming the file and key", (_, text, message) => {
    expect(() => loadComposeProject([composeFile(text)])).toThrow(message);
  });
});
