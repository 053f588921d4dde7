import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig, parseConfig } from "../../src/runtime/config.js";
import { PLANNER } from "../../src/runtime/planner.js";

const F = "/etc/runsc-overlay/config.toml";

describe("parseConfig", () => {
  it("fills in every default from an empty file", () => {
    expect(parseConfig("", F)).toEqual({
      runsc: { path: "", flags: [] },
      overlay: { overlay2: "root:self", fallback: "dir", fallback_dir: "/var/lib/runsc-overlay/filestore", annotations: "enforce", allow_annotations: [] },
      log: { file: "/var/log/runsc-overlay.log", level: "error" },
      cache: { dir: "/var/cache/runsc-overlay" },
    });
  });

  it("keeps what the file sets", () => {
    const config = parseConfig('[runsc]\npath = "/opt/runsc"\nflags = ["--network=host"]\n[overlay]\noverlay2 = "all:dir=/srv/fs,size=2g"\nannotations = "allow"', F);
    expect(config.runsc).toEqual({ path: "/opt/runsc", flags: ["--network=host"] });
    expect(config.overlay.overlay2).toBe("all:dir=/srv/fs,size=2g");
    expect(config.overlay.annotations).toBe("allow");
  });

  it.each([
    ["[overlay\noverlay2 = 1", /config \/etc\/runsc-overlay\/config\.toml is not valid TOML/],
    ['[overlay]\noverlay2 = "root:tmpfs"', /overlay\.overlay2 = "root:tmpfs": the medium must be memory, self or dir=/],
    ['[overlay]\noverlay2 = "self"', /overlay\.overlay2 = "self" is not none or \{root\|all\}/],
    ['[overlay]\noverlay2 = "root:dir=relative"', /the medium must be memory, self or dir=\/an\/absolute\/path/],
    ['[overlay]\nfallback = "tmpfs"', /overlay\.fallback must be one of "dir", "fail", "passthrough"/],
    ['[overlay]\nfallback_dir = "relative"', /overlay\.fallback_dir must be an absolute path/],
    ['[overlay]\nannotations = "strip"', /overlay\.annotations must be one of "enforce", "allow"/],
    ["[overlay]\noverlay2 = 3", /overlay\.overlay2 must be string/],
    ['[runsc]\npath = "runsc"', /runsc\.path = "runsc" must be an absolute path/],
    ['[runsc]\nflags = "--debug"', /runsc\.flags must be array/],
    ['[runsc]\nflags = ["network=host"]', /runsc\.flags\.0 must be a flag such as "--network=host"/],
    ['[runsc]\nflags = ["--overlay2=root:memory"]', /runsc\.flags has "--overlay2=root:memory": set the overlay with overlay\.overlay2/],
    ['[runsc]\nflags = ["--overlay"]', /runsc\.flags has "--overlay"/],
    ['[runsc]\nflag = []', /unknown key runsc\.flag/],
    ['[overlays]\noverlay2 = "none"', /unknown key overlays/],
    ['[log]\nlevel = "trace"', /log\.level must be one of/],
  ])("refuses %j", (text, message) => {
    expect(() => parseConfig(text, F)).toThrow(message);
  });
});

describe("loadConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "rso-config-"));

  it("reads the file named by RUNSC_OVERLAY_CONFIG", () => {
    const file = join(dir, "c.toml");
    writeFileSync(file, '[overlay]\noverlay2 = "root:memory"\n');
    expect(loadConfig({ RUNSC_OVERLAY_CONFIG: file })).toMatchObject({ file, config: { overlay: { overlay2: "root:memory" } } });
  });

  it("refuses a named file that does not exist", () => {
    expect(() => loadConfig({ RUNSC_OVERLAY_CONFIG: join(dir, "missing.toml") })).toThrow(/cannot read config .*missing\.toml \(named by RUNSC_OVERLAY_CONFIG\)/);
  });
});

describe("loadConfig with the launcher's cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "rso-config-cache-"));
  const later = () => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3_600_000 });
  afterEach(() => vi.useRealTimers());

  const slot = (name: string) => ({ root: dir, file: join(dir, `plans/${name}.json`) });

  it("reads a settled file once, then its copy, until the file changes", () => {
    const file = join(dir, "settled.toml");
    const cache = slot("settled");
    writeFileSync(file, '[overlay]\noverlay2 = "root:memory"\n');
    later();
    expect(loadConfig({ RUNSC_OVERLAY_CONFIG: file }, cache).config.overlay.overlay2).toBe("root:memory");
    const copy = JSON.parse(readFileSync(cache.file, "utf8"));
    expect(copy.planner).toBe(PLANNER);
    expect(statSync(cache.file).mode & 0o777).toBe(0o600);
    // What the next call reads is the copy: mark it to tell.
    const marked = JSON.stringify({ ...copy, config: { ...copy.config, overlay: { ...copy.config.overlay, overlay2: "all:memory" } } });
    writeFileSync(cache.file, marked);
    expect(loadConfig({ RUNSC_OVERLAY_CONFIG: file }, cache).config.overlay.overlay2).toBe("all:memory");
    writeFileSync(file, '[overlay]\noverlay2 = "root:self"\n');
    expect(loadConfig({ RUNSC_OVERLAY_CONFIG: file }, cache).config.overlay.overlay2).toBe("root:self");
  });

  it.each([
    ["writable by others", (file: string) => chmodSync(file, 0o666)],
    ["owned by another user", (file: string) => chownSync(file, 65534, 65534)],
    ["a link", (file: string) => { renameSync(file, `${file}.real`); symlinkSync(`${file}.real`, file); }],
    ["made by another planner", (file: string) => writeFileSync(file, readFileSync(file, "utf8").replace(PLANNER, "0000000000000000"))],
    ["in a directory writable by others", (file: string) => chmodSync(dirname(file), 0o777)],
  ])("ignores a copy %s", (name, tamper) => {
    const file = join(dir, `${name.replaceAll(" ", "-")}.toml`);
    const cache = { root: join(dir, name.replaceAll(" ", "-")), file: join(dir, name.replaceAll(" ", "-"), "plans/c.json") };
    writeFileSync(file, '[overlay]\noverlay2 = "root:self"\n');
    later();
    loadConfig({ RUNSC_OVERLAY_CONFIG: file }, cache);
    const copy = JSON.parse(readFileSync(cache.file, "utf8"));
    writeFileSync(cache.file, JSON.stringify({ ...copy, config: { ...copy.config, overlay: { ...copy.config.overlay, overlay2: "root:memory" } } }));
    tamper(cache.file);
    expect(loadConfig({ RUNSC_OVERLAY_CONFIG: file }, cache).config.overlay.overlay2).toBe("root:self");
  });

  it("keeps no copy of a file changed in the last 2 s, whose timestamp could come round again", () => {
    const file = join(dir, "racy.toml");
    writeFileSync(file, "");
    loadConfig({ RUNSC_OVERLAY_CONFIG: file }, slot("racy"));
    expect(existsSync(slot("racy").file)).toBe(false);
  });

  it("still refuses a named file that does not exist", () => {
    const file = join(dir, "gone.toml");
    const cache = slot("gone");
    mkdirSync(dirname(cache.file), { recursive: true });
    writeFileSync(cache.file, JSON.stringify({ planner: PLANNER, file, identity: "absent", config: parseConfig("", file) }));
    expect(() => loadConfig({ RUNSC_OVERLAY_CONFIG: file }, cache)).toThrow(/cannot read config .*gone\.toml/);
  });
});
