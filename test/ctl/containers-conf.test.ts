import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { PODMAN_JSON_RUNTIMES, withPodmanRuntime, withoutPodmanRuntime } from "../../src/ctl/containers-conf.js";

const F = "/etc/containers/containers.conf";
const L = "/usr/local/bin/runsc-overlay";
const ours = { name: "runsc-overlay", launcher: L, makeDefault: false };

describe("withPodmanRuntime and withoutPodmanRuntime", () => {
  it.each([
    ["an empty drop-in", ""],
    ["a file with other tables", '# mine\n[containers]\nlog_size_max = 100\n\n[network]\nnetwork_backend = "cni"\n'],
    ["a file with [engine] and its own list", '[engine]\ncgroup_manager = "cgroupfs" # keep\nruntime_supports_json = ["crun"]   # mine\n\n[engine.runtimes]\ncrun = ["/usr/bin/crun"]\n'],
    ["a file with only [engine.runtimes]", '[engine.runtimes]\nkrun = ["/usr/bin/krun"]\n'],
  ])("adds the runtime to %s, keeps every line, and is undone exactly", (_, text) => {
    const added = withPodmanRuntime(text, F, ours, PODMAN_JSON_RUNTIMES);
    const engine = (parse(added) as { engine: { runtimes: Record<string, string[]>; runtime_supports_json: string[] } }).engine;
    expect(engine.runtimes["runsc-overlay"]).toEqual([L]);
    expect(engine.runtime_supports_json.at(-1)).toBe("runsc-overlay");
    for (const line of text.split("\n").filter(Boolean)) expect(added).toContain(line);
    expect(withPodmanRuntime(added, F, ours, PODMAN_JSON_RUNTIMES)).toBe(added);
    expect(withoutPodmanRuntime(added)).toBe(text);
  });

  it("extends the file's own list, else the inherited one (a list in the file replaces it)", () => {
    const own = parse(withPodmanRuntime('[engine]\nruntime_supports_json = ["crun"]\n', F, ours, PODMAN_JSON_RUNTIMES)) as { engine: { runtime_supports_json: string[] } };
    expect(own.engine.runtime_supports_json).toEqual(["crun", "runsc-overlay"]);
    const inherited = parse(withPodmanRuntime("", F, ours, ["crun", "runc", "kata", "runsc", "krun"])) as { engine: { runtime_supports_json: string[] } };
    expect(inherited.engine.runtime_supports_json).toEqual(["crun", "runc", "kata", "runsc", "krun", "runsc-overlay"]);
  });

  it("makes it the default runtime with makeDefault, and gives the old default back", () => {
    const text = '[engine]\nruntime = "crun"\n';
    const added = withPodmanRuntime(text, F, { ...ours, makeDefault: true }, []);
    expect((parse(added) as { engine: { runtime: string } }).engine.runtime).toBe("runsc-overlay");
    expect(withoutPodmanRuntime(added)).toBe(text);
  });

  it("refuses a second runtime in a file that holds one from install", () => {
    const added = withPodmanRuntime("", F, ours, PODMAN_JSON_RUNTIMES);
    expect(() => withPodmanRuntime(added, F, { ...ours, name: "other" }, PODMAN_JSON_RUNTIMES)).toThrow(/already has runtime runsc-overlay from runsc-overlay-ctl install podman/);
  });

  it.each([
    ["a runtime of that name of its own", '[engine.runtimes]\nrunsc-overlay = ["/usr/bin/runsc"]\n', /already defines a runtime runsc-overlay of its own/],
    ["runtimes written as dotted keys", '[engine]\nruntimes.crun = ["/usr/bin/crun"]\n', /cannot add the runtime safely.+nothing was changed/],
    ["invalid TOML", "[engine\n", /is not valid TOML .+nothing was changed/],
  ])("refuses a file with %s", (_, text, message) => {
    expect(() => withPodmanRuntime(text, F, ours, PODMAN_JSON_RUNTIMES)).toThrow(message);
  });
});
