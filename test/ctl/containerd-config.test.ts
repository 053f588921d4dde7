import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { addImport, configVersion, dropInConfig, newMainConfig, parseContainerdConfig, removeImport, runcSystemdCgroup } from "../../src/ctl/containerd-config.js";

const F = "/etc/containerd/config.toml";
const D = "/etc/containerd/conf.d/runsc-overlay.toml";

describe("configVersion", () => {
  it.each([
    ["version = 2", true, undefined, 2],
    ["version = 3", true, undefined, 3],
    ["", false, 1, 2],
    ["", false, 2, 3],
  ] as const)("%j (file exists: %s, containerd %s) is version %s", (text, exists, major, expected) => {
    expect(configVersion(parseContainerdConfig(text, F), F, exists, major)).toBe(expected);
  });

  it.each([
    ["[plugins.cri]\n", true, undefined, /has no version line, so containerd reads it as version 1.+containerd config migrate/],
    ["version = 1", true, undefined, /has config version 1/],
    ["", false, undefined, /does not exist and containerd's version is unknown: pass --config-version/],
  ] as const)("refuses %j (exists: %s)", (text, exists, major, message) => {
    expect(() => configVersion(parseContainerdConfig(text, F), F, exists, major)).toThrow(message);
  });
});

describe("dropInConfig", () => {
  it.each([
    [2, "io.containerd.grpc.v1.cri"],
    [3, "io.containerd.cri.v1.runtime"],
  ] as const)("version %s puts the runtime under %s with its own version line", (version, plugin) => {
    const parsed = parse(dropInConfig(version, "runsc-overlay", "/usr/local/bin/runsc-overlay", true));
    expect(parsed).toEqual({
      version,
      plugins: { [plugin]: { containerd: { runtimes: { "runsc-overlay": { runtime_type: "io.containerd.runc.v2", options: { BinaryName: "/usr/local/bin/runsc-overlay", SystemdCgroup: true } } } } } },
    });
  });

  it("leaves SystemdCgroup out where runc has none", () => {
    expect(dropInConfig(2, "x", "/b", undefined)).not.toContain("SystemdCgroup");
  });
});

describe("runcSystemdCgroup", () => {
  it.each([
    ['version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\nSystemdCgroup = true', 2, true],
    ["version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = false", 3, false],
    ['version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\nSystemdCgroup = true', 3, undefined],
    ["version = 3", 3, undefined],
  ] as const)("%j as version %s: %s", (text, version, expected) => {
    expect(runcSystemdCgroup(parseContainerdConfig(text, F), version)).toBe(expected);
  });
});

describe("addImport and removeImport", () => {
  const SECTION = '\n# the CRI plugin\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.6"\n';
  it.each([
    ["no imports", `version = 2\n${SECTION}`, `version = 2\nimports = ["${D}"]\n${SECTION}`],
    ["no version line", `# mine\nroot = "/r"\n`, `imports = ["${D}"]\n# mine\nroot = "/r"\n`],
    ["other imports", `version = 2\nimports = ["/etc/a.toml"] # keep\n${SECTION}`, `version = 2\nimports = ["/etc/a.toml", "${D}"]\n${SECTION}`],
  ])("adds the import to a file with %s, and removes exactly it", (_, text, expected) => {
    const added = addImport(text, F, D);
    expect(added).toBe(expected);
    expect(addImport(added, F, D)).toBe(added);
    expect(parse(removeImport(added, F, D))).toEqual(parse(text));
  });

  it("adds nothing where a glob import already covers the drop-in", () => {
    const text = 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n';
    expect(addImport(text, F, D)).toBe(text);
    expect(removeImport(text, F, D)).toBe(text);
  });

  it("removes a main file that it created, once nothing else is in it", () => {
    expect(removeImport(newMainConfig(3, D), F, D)).toBe("");
    expect(parse(newMainConfig(3, D))).toEqual({ version: 3, imports: [D] });
  });

  it.each([
    ["version = 2\nimports = [\n  \"/etc/a.toml\",\n]\n", /cannot edit its imports line safely.+nothing was changed/],
    ["version = 2\nimports = 3\n", /imports must be an array of paths/],
    ["version = 2\n[plugins\n", /is not valid TOML .+nothing was changed/],
  ])("refuses %j", (text, message) => {
    expect(() => addImport(text, F, D)).toThrow(message);
  });
});
