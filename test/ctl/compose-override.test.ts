/**
 * compose-override on a Compose project of several services, an -f override and extends, loaded by the
 * real Compose (Debian 13's docker-compose 2.26), which then accepts the override and makes of it what
 * we meant.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { composeOverride } from "../../src/ctl/compose-override.js";
import { type Compose, fileProblems, findCompose, loadComposeProject } from "../../src/ctl/compose.js";
import { SHOP, composeConfig, composeFile } from "../helpers/compose.js";
import { COMPOSE, CTL } from "../helpers/paths.js";
import { workdir } from "../helpers/runtime.js";

const SERVICES = ["web", "api", "worker", "db", "batch", "report", "cache"];

const ENV = { PATH: "/usr/bin:/bin" };
let compose: Compose;
const load = async (files: string[]) => loadComposeProject(compose ??= await findCompose(COMPOSE, ENV), files, ENV);

describe("composeOverride", () => {
  it("puts every service on the runtime, and Compose accepts the result", async () => {
    const { text, notes } = composeOverride(await load(SHOP), { runtime: "runsc-overlay", hostNetwork: false });
    expect(parse(text)).toEqual({ services: Object.fromEntries(SERVICES.map((name) => [name, { runtime: "runsc-overlay" }])) });
    expect([...notes].sort()).toEqual(["api: runtime runc is replaced by runsc-overlay", "report: runtime runc is replaced by runsc-overlay", "web: runtime runc is replaced by runsc-overlay"]);
    const result = await composeConfig([...SHOP, composeFile(text, "override.yaml")]);
    expect(Object.keys(result).sort()).toEqual([...SERVICES].sort());
    for (const [name, service] of Object.entries(result)) expect({ name, runtime: service.runtime }).toEqual({ name, runtime: "runsc-overlay" });
  });

  it("with --host-network, gives host networking to every service that names no network mode, as Compose needs it", async () => {
    const { text, notes } = composeOverride(await load(SHOP), { runtime: "runsc-overlay", hostNetwork: true });
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
    const { text } = composeOverride(await load([file]), { runtime: "runsc-overlay", hostNetwork: true });
    expect((await composeConfig([file, composeFile(text, "override.yaml")])).app).toMatchObject({ network_mode: "host", build: { context: dir, network: "host" }, runtime: "runsc-overlay" });
  });
});

describe("runsc-overlay-ctl compose-override", () => {
  const ctl = (args: string[], options: { cwd?: string } = {}) => execa(CTL, ["compose-override", "--compose", COMPOSE, ...args], { ...options, env: ENV, reject: false });

  it("writes the override with -o, says which Compose loaded the project and what it changed on stderr", async () => {
    const out = join(workdir("compose"), "runsc-overlay.yaml");
    const result = await ctl([...SHOP, "--host-network", "-o", out]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`runsc-overlay-ctl: loading the project with ${COMPOSE} 2.26.1`);
    expect(result.stderr).toContain(`runsc-overlay-ctl: wrote ${out}`);
    expect(Object.values(await composeConfig([...SHOP, out])).map((service) => service.runtime)).toEqual(Array(SERVICES.length).fill("runsc-overlay"));
  });

  it("handles include, which Compose resolves", async () => {
    const dir = dirname(composeFile("include: [other.yaml]\nservices:\n  a:\n    image: busybox\n"));
    writeFileSync(join(dir, "other.yaml"), "services:\n  b:\n    image: busybox\n    networks: [n]\nnetworks:\n  n: {}\n");
    const result = await ctl(["compose.yaml", "--host-network"], { cwd: dir });
    expect(result.exitCode).toBe(0);
    const reset = { tag: "!reset", resolve: () => "!reset" };
    expect(parse(result.stdout, { customTags: [reset] }).services).toEqual({ a: { runtime: "runsc-overlay", network_mode: "host" }, b: { runtime: "runsc-overlay", network_mode: "host", networks: "!reset" } });
  });

  it("passes Compose's own error and exit status through for invalid input, and writes nothing", async () => {
    const dir = dirname(composeFile("services:\n  web:\n    network_mode: [host]\n"));
    const result = await ctl(["compose.yaml", "-o", "out.yaml"], { cwd: dir });
    const direct = await execa(COMPOSE, ["-f", "compose.yaml", "config"], { cwd: dir, env: ENV, reject: false });
    expect(result.exitCode).toBe(direct.exitCode);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(direct.stderr);
    expect(existsSync(join(dir, "out.yaml"))).toBe(false);
  });

  it.each([
    ["a YAML error in the second file", (dir: string) => writeFileSync(join(dir, "b.yaml"), "services: [web\n"), /^runsc-overlay-ctl: b\.yaml:2:1: .+$/m],
    ["a second file that does not exist", (_dir: string) => {}, /^runsc-overlay-ctl: b\.yaml: no such file$/m],
    ["a second file that is a directory", (dir: string) => mkdirSync(join(dir, "b.yaml")), /^runsc-overlay-ctl: b\.yaml: is a directory, not a Compose file$/m],
  ])("names the file Compose could not load for %s, then passes Compose's own error and exit status", async (_, make, named) => {
    const dir = dirname(composeFile("services:\n  web:\n    image: busybox\n", "a.yaml"));
    make(dir);
    const result = await ctl(["a.yaml", "b.yaml"], { cwd: dir });
    const direct = await execa(COMPOSE, ["-f", "a.yaml", "-f", "b.yaml", "config"], { cwd: dir, env: ENV, reject: false });
    expect(result.exitCode).toBe(direct.exitCode);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(named);
    expect(result.stderr).not.toMatch(/a\.yaml:/);
    expect(result.stderr).toContain(direct.stderr);
  });

  it("refuses a Compose older than 2.24, saying which it found", async () => {
    const old = join(workdir("compose-old"), "docker-compose");
    writeFileSync(old, '#!/bin/sh\necho 2.20.3\n', { mode: 0o755 });
    const result = await ctl([...SHOP, "--compose", old]);
    expect([result.exitCode, result.stderr]).toEqual([1, `runsc-overlay-ctl: ${old} is Compose 2.20.3: compose-override needs Compose 2.24 or later, whose !reset the override uses`]);
  });
});

describe("fileProblems", () => {
  const files: Record<string, string | NodeJS.ErrnoException> = {
    "ok.yaml": "services:\n  a: {image: x}\n",
    "bad.yaml": "services:\n  a: {image: x\n",
    "two.yaml": "a: 1\n---\nb: [\n",
    "locked.yaml": Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" }),
    "gone.yaml": Object.assign(new Error("ENOENT"), { code: "ENOENT" }),
  };
  const read = (file: string) => {
    const entry = files[file]!;
    if (typeof entry !== "string") throw entry;
    return entry;
  };

  it.each([
    [["ok.yaml"], []],
    [["ok.yaml", "bad.yaml"], [/^bad\.yaml:3:1: /]],
    [["two.yaml"], [/^two\.yaml:4:1: /]],
    [["locked.yaml"], [/^locked\.yaml: cannot be read \(EACCES\)$/]],
    [["gone.yaml", "bad.yaml"], [/^gone\.yaml: no such file$/, /^bad\.yaml:/]],
  ])("%j", (names, expected) => {
    const problems = fileProblems(names, read);
    expect(problems).toHaveLength(expected.length);
    problems.forEach((problem, i) => expect(problem).toMatch(expected[i]!));
  });
});
