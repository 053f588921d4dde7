/**
 * compose-override on a Compose project with several services and an -f override file, checked
 * against the real Compose (Debian 13's docker-compose): Compose merges the files as we do, and
 * accepts the override we write.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readComposeFile } from "../../src/ctl/compose-file.js";
import { mergeComposeFiles } from "../../src/ctl/compose-merge.js";
import { composeOverride } from "../../src/ctl/compose-override.js";
import { COMPOSE, CTL } from "../helpers/paths.js";
import { workdir } from "../helpers/runtime.js";

const SHOP = join(import.meta.dirname, "fixtures/compose/shop");
const FILES = [join(SHOP, "compose.yaml"), join(SHOP, "compose.prod.yaml")];

interface ComposeService {
  runtime?: string;
  network_mode?: string;
  networks?: Record<string, unknown>;
  links?: string[];
  build?: { network?: string };
}

/** The model the real Compose makes of these files. */
async function composeConfig(files: string[]): Promise<Record<string, ComposeService>> {
  const { stdout } = await execa(COMPOSE, [...files.flatMap((file) => ["-f", file]), "config", "--format", "json"], { env: { PATH: "/usr/bin:/bin" } });
  return JSON.parse(stdout).services;
}

const reading = (service: ComposeService) => ({
  runtime: service.runtime,
  network_mode: service.network_mode,
  // Compose puts a service with no network of its own on the implicit "default" network.
  networks: Object.keys(service.networks ?? {}).filter((name) => name !== "default"),
  links: service.links ?? [],
  buildNetwork: service.build?.network,
});

describe("compose-override on a project of five services and an -f override", () => {
  it("merges the files as Compose does, in every key it reads", async () => {
    const ours = mergeComposeFiles(FILES.map(readComposeFile)).services as Record<string, ComposeService>;
    const theirs = await composeConfig(FILES);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) expect({ name, ...reading(ours[name]!) }).toEqual({ name, ...reading(theirs[name]!) });
  });

  it("puts every service on the runtime, and Compose accepts the result", async () => {
    const { text, notes } = composeOverride(FILES.map(readComposeFile), { runtime: "runsc-overlay", hostNetwork: false });
    expect(parse(text)).toEqual({ services: Object.fromEntries(["web", "api", "worker", "db", "cache"].map((name) => [name, { runtime: "runsc-overlay" }])) });
    expect(notes).toEqual(["web: runtime runc is replaced by runsc-overlay", "api: runtime runc is replaced by runsc-overlay"]);
    const result = await composeConfig([...FILES, written(text)]);
    for (const [name, service] of Object.entries(result)) expect({ name, runtime: service.runtime }).toEqual({ name, runtime: "runsc-overlay" });
  });

  it("with --host-network, gives host networking to every service that names no network mode, as Compose needs it", async () => {
    const { text, notes } = composeOverride(FILES.map(readComposeFile), { runtime: "runsc-overlay", hostNetwork: true });
    const result = await composeConfig([...FILES, written(text)]);
    expect(Object.fromEntries(Object.entries(result).map(([name, service]) => [name, reading(service)]))).toEqual({
      // web's build already names a network: that is the project's choice.
      web: { runtime: "runsc-overlay", network_mode: "host", networks: [], links: [], buildNetwork: "default" },
      api: { runtime: "runsc-overlay", network_mode: "host", networks: [], links: [], buildNetwork: undefined },
      worker: { runtime: "runsc-overlay", network_mode: "service:api", networks: [], links: [], buildNetwork: undefined },
      // db's network_mode: none was reset by compose.prod.yaml.
      db: { runtime: "runsc-overlay", network_mode: "host", networks: [], links: [], buildNetwork: undefined },
      cache: { runtime: "runsc-overlay", network_mode: "host", networks: [], links: [], buildNetwork: undefined },
    });
    expect(notes).toEqual(expect.arrayContaining(["worker: keeps network_mode: service:api", expect.stringMatching(/^web: networks removed, as host networking cannot have them \(the override uses !reset/)]));
  });

  it("gives a build host networking too, where the project left it unset", async () => {
    const dir = workdir("compose");
    const file = join(dir, "compose.yaml");
    writeFileSync(file, "services:\n  app:\n    build: .\n");
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    const { text } = composeOverride([readComposeFile(file)], { runtime: "runsc-overlay", hostNetwork: true });
    expect((await composeConfig([file, written(text)])).app).toMatchObject({ network_mode: "host", build: { context: dir, network: "host" }, runtime: "runsc-overlay" });
  });

  it.each([
    ["include", "include: [other.yaml]\nservices: {a: {}}\n", /: include is not supported: pass the included Compose files to compose-override as well$/],
    ["no services", "networks: {a: {}}\n", /: no services to run under runsc-overlay$/],
  ])("refuses a project with %s", (_, text, message) => {
    const file = join(workdir("compose"), "compose.yaml");
    writeFileSync(file, text);
    expect(() => composeOverride([readComposeFile(file)], { runtime: "runsc-overlay", hostNetwork: false })).toThrow(message);
  });

  it("the installed CLI writes the override with -o and says what it changed on stderr", async () => {
    const out = join(workdir("compose"), "runsc-overlay.yaml");
    const result = await execa(CTL, ["compose-override", ...FILES, "--host-network", "-o", out]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`runsc-overlay-ctl: wrote ${out}`);
    expect(Object.values(await composeConfig([...FILES, out])).map((service) => service.runtime)).toEqual(Array(5).fill("runsc-overlay"));
  });

  it("the installed CLI names the file and key of invalid input, and writes nothing", async () => {
    const dir = workdir("compose");
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    network_mode: [host]\n");
    const result = await execa(CTL, ["compose-override", "compose.yaml", "-o", "out.yaml"], { cwd: dir, reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("runsc-overlay-ctl: compose.yaml:3:19: services.web.network_mode must be a string");
    expect(() => readComposeFile(join(dir, "out.yaml"))).toThrow(/ENOENT/);
  });
});

function written(text: string): string {
  const file = join(workdir("compose"), "override.yaml");
  writeFileSync(file, text);
  return file;
}
