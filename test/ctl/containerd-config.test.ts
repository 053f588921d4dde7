import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import {
  type Handler,
  configVersion,
  differences,
  handlerBlock,
  newMainConfig,
  runtimesOf,
  shimOptions,
  withHandler,
  withoutHandler,
  withoutRuntime,
  writtenByInstall,
} from "../../src/ctl/containerd-config.js";
import { parseToml } from "../../src/ctl/files.js";

const F = "/etc/containerd/config.toml";
const OPTIONS = "/etc/containerd/runsc-overlay.toml";
const handler = (version: 2 | 3, extra: Partial<Handler> = {}): Handler => ({ version, name: "runsc-overlay", shimOptionsFile: OPTIONS, podAnnotations: [], restated: {}, ...extra });
const OURS = { runtime_type: "io.containerd.runsc.v1", options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: OPTIONS } };

describe("configVersion", () => {
  it.each([
    ["version = 2", true, undefined, 2],
    ["version = 3", true, undefined, 3],
    ["", false, 1, 2],
    ["", false, 2, 3],
  ] as const)("%j (file exists: %s, containerd %s) is version %s", (text, exists, major, expected) => {
    expect(configVersion(parseToml(text, F), F, exists, major)).toBe(expected);
  });

  it.each([
    ["[plugins.cri]\n", true, undefined, /has no version line, so containerd reads it as version 1.+containerd config migrate/],
    ["version = 1", true, undefined, /has config version 1/],
    ["", false, undefined, /does not exist and containerd's version is unknown: pass --config-version/],
  ] as const)("refuses %j (exists: %s)", (text, exists, major, message) => {
    expect(() => configVersion(parseToml(text, F), F, exists, major)).toThrow(message);
  });
});

describe("handlerBlock", () => {
  it.each([
    [2, "io.containerd.grpc.v1.cri"],
    [3, "io.containerd.cri.v1.runtime"],
  ] as const)("version %s puts gVisor's shim under %s, with the options file and the pod annotations", (version, plugin) => {
    const block = handlerBlock(handler(version, { podAnnotations: ["dev.gvisor.*"] }));
    expect(parse(block)).toEqual({ plugins: { [plugin]: { containerd: { runtimes: { "runsc-overlay": { ...OURS, pod_annotations: ["dev.gvisor.*"] } } } } } });
  });

  it("restates the default runtimes it is given, and leaves pod_annotations out where there are none", () => {
    const runc = { runtime_type: "io.containerd.runc.v2", options: { BinaryName: "", SystemdCgroup: false } };
    const block = handlerBlock(handler(2, { restated: { runc } }));
    expect(runtimesOf(parseToml(`version = 2\n${block}`, F))).toEqual({ runc, "runsc-overlay": OURS });
  });
});

describe("withHandler and withoutHandler", () => {
  const V2 = 'version = 2\n# mine\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.6"\n';
  const V3 = "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true\n";
  it.each([
    ["a version 2 file", V2, 2],
    ["a version 3 file", V3, 3],
    ["a file without a final newline", V2.trimEnd(), 2],
    ["an empty file", "", 3],
  ] as const)("adds the block to %s, keeps every byte of it, replaces the block on a re-run, and removes exactly it", (_, text, version) => {
    const added = withHandler(text, F, handler(version));
    expect(added.startsWith(text)).toBe(true);
    expect(runtimesOf({ ...parseToml(added, F), version })["runsc-overlay"]).toEqual(OURS);
    expect(withHandler(added, F, handler(version))).toBe(added);
    const changed = withHandler(added, F, handler(version, { podAnnotations: ["dev.gvisor.*"] }));
    expect(withoutHandler(changed, F, "runsc-overlay")).toBe(text);
    expect(withoutHandler(text, F, "runsc-overlay")).toBe(text);
  });

  it("removes a main file that it created, once nothing else is in it", () => {
    const created = newMainConfig(handler(3));
    expect(parse(created)).toEqual({ version: 3, plugins: { "io.containerd.cri.v1.runtime": { containerd: { runtimes: { "runsc-overlay": OURS } } } } });
    expect(withoutHandler(created, F, "runsc-overlay")).toBe("");
    expect(withoutHandler("version = 3\n", F, "runsc-overlay")).toBe("version = 3\n");
  });

  it.each([
    ["runtimes written inline", 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  runtimes = { runc = { runtime_type = "io.containerd.runc.v2" } }\n', /cannot add the runtime table safely.+nothing was changed/],
    ["a runtime of that name of its own", 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-overlay]\n  runtime_type = "io.containerd.runc.v2"\n', /already defines a runtime runsc-overlay of its own/],
    ["a block without its END line", `version = 2\n${handlerBlock(handler(2)).split("# END")[0]}`, /has no END line/],
    ["invalid TOML", "version = 2\n[plugins\n", /is not valid TOML .+nothing was changed/],
  ])("refuses a file with %s", (_, text, message) => {
    expect(() => withHandler(text, F, handler(2))).toThrow(message);
  });
});

describe("differences and withoutRuntime", () => {
  it("name the key paths at which two dumps differ, and a dump less one runtime", () => {
    const before = { version: 2, plugins: { "io.containerd.grpc.v1.cri": { sandbox_image: "a", containerd: { runtimes: { runc: { runtime_type: "x" } } } } } };
    const after = structuredClone(before) as typeof before & Record<string, unknown>;
    (after.plugins["io.containerd.grpc.v1.cri"].containerd.runtimes as Record<string, unknown>).ours = { runtime_type: "y" };
    after.plugins["io.containerd.grpc.v1.cri"].sandbox_image = "b";
    expect(differences(before, after)).toEqual(["plugins.io.containerd.grpc.v1.cri.containerd.runtimes.ours", "plugins.io.containerd.grpc.v1.cri.sandbox_image"]);
    expect(differences(before, withoutRuntime(after, "ours"))).toEqual(["plugins.io.containerd.grpc.v1.cri.sandbox_image"]);
    expect(differences(before, before)).toEqual([]);
  });
});

describe("shimOptions", () => {
  it("names the launcher as the shim's runsc, and nothing else: the launcher owns the overlay flags", () => {
    const text = shimOptions("/usr/local/bin/runsc-overlay");
    expect(parse(text)).toEqual({ binary_name: "/usr/local/bin/runsc-overlay" });
    expect(writtenByInstall(text)).toBe(true);
    expect(writtenByInstall('binary_name = "/usr/bin/runsc"\n')).toBe(false);
  });
});
