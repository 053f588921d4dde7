/**
 * compose-override on a Compose project of several services, an -f override and extends, checked by
 * the real Compose (Debian 13's docker-compose) accepting the override and making of it what we meant.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { composeOverride } from "../../src/ctl/compose-override.js";
import { loadComposeProject } from "../../src/ctl/compose-project.js";
import { SHOP, composeConfig, composeFile } from "../helpers/compose.js";
import { CTL } from "../helpers/paths.js";
import { workdir } from "../helpers/runtime.js";

const SERVICES = ["web", "api", "worker", "db", "batch", "report", "cache"];

describe("composeOverride", () => {
  it("puts every service on the runtime, and Compose accepts the result", async () => {
    const { text, notes } = composeOverride(loadComposeProject(SHOP), { runtime: "runsc-overlay", hostNetwork: false });
    expect(parse(text)).toEqual({ services: Object.fromEntries(SERVICES.map((name) => [name, { runtime: "runsc-overlay" }])) });
    expect(notes).toEqual(["web: runtime runc is replaced by runsc-overlay", "api: runtime runc is replaced by runsc-overlay", "report: runtime runc is replaced by runsc-overlay"]);
    const result = await composeConfig([...SHOP, composeFile(text, "override.yaml")]);
    expect(Object.keys(result).sort()).toEqual([...SERVICES].sort());
    for (const [name, service] of Object.entries(result)) expect({ name, runtime: service.runtime }).toEqual({ name, runtime: "runsc-overlay" });
  });

  it("with --host-network, gives host networking to every service that names no network mode, as Compose needs it", async () => {
    const { text, notes } = composeOverride(loadComposeProject(SHOP), { runtime: "runsc-overlay", hostNetwork: true });
    const result = await composeConfig([...SHOP, composeFile(text, "override.yaml")]);
    const seen = Object.fromEntries(
      Object.entries(result).map(([name, service]) => [name, { runtime: service.runtime, network_mode: service.network_mode, networks: service.networks, links: service.links, build: service.build?.network }]),
    );
    const host = { runtime: "runsc-overlay", network_mode: "host", networks: undefined, links: undefined, build: undefined };
    expect(seen).toEqual({
      // web's build already names a network: that is the project's choice.
      web: { ...host, build: "default" },
      api: host,
      worker: { ...host, network_mode: "service:api" },
      // db's network_mode: none was reset by compose.prod.yaml; batch got it through extends before that.
      db: host,
      batch: { ...host, network_mode: "none" },
      // report's networks and links came through extends, from another file.
      report: host,
      cache: host,
    });
    expect(notes).toEqual(
      expect.arrayContaining([
        "worker: keeps network_mode: service:api",
        "batch: keeps network_mode: none",
        expect.stringMatching(/^report: links removed, as host networking cannot have them \(the override uses !reset/),
        expect.stringMatching(/^web: networks removed, as host networking cannot have them \(the override uses !reset/),
      ]),
    );
  });

  it("gives a build host networking too, where the project left it unset", async () => {
    const file = composeFile("services:\n  app:\n    build: .\n");
    const dir = dirname(file);
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    const { text } = composeOverride(loadComposeProject([file]), { runtime: "runsc-overlay", hostNetwork: true });
    expect((await composeConfig([file, composeFile(text, "override.yaml")])).app).toMatchObject({ network_mode: "host", build: { context: dir, network: "host" }, runtime: "runsc-overlay" });
  });
});

describe("runsc-overlay-ctl compose-override", () => {
  it("writes the override with -o and says what it changed on stderr", async () => {
    const out = join(workdir("compose"), "runsc-overlay.yaml");
    const result = await execa(CTL, ["compose-override", ...SHOP, "--host-network", "-o", out]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`runsc-overlay-ctl: wrote ${out}`);
    expect(Object.values(await composeConfig([...SHOP, out])).map((service) => service.runtime)).toEqual(Array(SERVICES.length).fill("runsc-overlay"));
  });

  it("names the file and key of invalid input, and writes nothing", async () => {
    const dir = dirname(composeFile("services:\n  web:\n    network_mode: [host]\n"));
    const result = await execa(CTL, ["compose-override", "compose.yaml", "-o", "out.yaml"], { cwd: dir, reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("runsc-overlay-ctl: compose.yaml:3:19: services.web.network_mode must be a string");
    expect(() => loadComposeProject([join(dir, "out.yaml")])).toThrow(/ENOENT/);
  });
});
