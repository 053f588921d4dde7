import { describe, expect, it } from "vitest";
import { parseCapabilities } from "../../src/runtime/capabilities.js";
import { fixtureOutputs } from "../helpers/capabilities.js";

describe("parseCapabilities on real runsc outputs", () => {
  it.each([
    { version: "20221219", line: "0.0~20221219.0", spec: "1.0.2-dev", grammar: { self: false, dirPrefix: false, size: false, default: "none" } },
    { version: "20240729", line: "0.0~20240729.0", spec: "1.2.0", grammar: { self: true, dirPrefix: true, size: false, default: "root:self" } },
  ] as const)("$version: version, spec and --overlay2 grammar", ({ version, line, spec, grammar }) => {
    const caps = parseCapabilities(fixtureOutputs(version));
    expect(caps.version).toBe(line);
    expect(caps.spec).toBe(spec);
    expect(caps.overlay2).toEqual(grammar);
    expect(caps.features).toBe(false);
  });

  it.each([
    ["20240729", "debug", "booleans"],
    ["20240729", "overlay", "booleans"],
    ["20240729", "directfs", "booleans"],
    ["20240729", "root", "valued"],
    ["20240729", "log", "valued"],
    ["20240729", "overlay2", "valued"],
    ["20240729", "file-access", "valued"],
    ["20240729", "network", "valued"],
    ["20240729", "gvisor-gro", "booleans"],
    ["20221219", "gvisor-gro", "valued"],
    ["20240729", "net-raw", "ambiguous"],
    ["20240729", "metric-server", "ambiguous"],
    ["20240729", "nvproxy-docker", "ambiguous"],
  ] as const)("%s: -%s is %s", (version, flag, kind) => {
    const caps = parseCapabilities(fixtureOutputs(version));
    expect(caps[kind]).toContain(flag);
  });

  it("reads a newer grammar: size suffix and features", () => {
    const caps = parseCapabilities({
      version: "runsc version release-20260817.0\nspec: 1.2.1\n",
      flags:
        "  -overlay2 value\n    \twrap mounts with overlayfs. medium can be 'memory', 'self' or 'dir=/abs/dir/path'. Optional ',size=N'. (default root:self)\n  -x\tone-letter boolean\n",
      help: "Subcommands:\n\tcreate           create a secure container\n\tfeatures         show the features\n",
      subcommandHelp: {},
    });
    expect(caps.overlay2).toEqual({ self: true, dirPrefix: true, size: true, default: "root:self" });
    expect(caps.booleans).toEqual(["x"]);
    expect(caps.features).toBe(true);
  });

  it.each(["20221219", "20240729"] as const)("%s: reads the flags of create, run and restore", (version) => {
    const { subcommands } = parseCapabilities(fixtureOutputs(version));
    expect(subcommands.create).toEqual({ booleans: [], valued: ["bundle", "console-socket", "pid-file", "user-log"] });
    expect(subcommands.run?.booleans).toEqual(["detach"]);
    expect(subcommands.restore?.valued).toContain("image-path");
  });

  it("leaves out a subcommand whose listing has a flag it cannot classify", () => {
    const caps = parseCapabilities({
      version: "runsc version release-20260817.0\n",
      flags: "  -root string\n    \troot dir\n",
      help: "",
      subcommandHelp: { create: "  -bundle string\n    \tbundle\n  -odd `runsc create`\n    \tsomething\n", run: "  -bundle string\n    \tbundle\n" },
    });
    expect(caps.subcommands).toEqual({ run: { booleans: [], valued: ["bundle"] } });
  });

  it("has no overlay grammar for a runsc without --overlay2", () => {
    const caps = parseCapabilities({ version: "runsc version release-20220101.0\n", flags: "  -root string\n    \troot dir\n", help: "", subcommandHelp: {} });
    expect(caps.overlay2).toBeNull();
  });
});
