import { describe, expect, it } from "vitest";
import { goClean, specPath } from "../../src/runtime/spec-file.js";

describe("goClean, as Go's path/filepath.Clean", () => {
  // Go's own examples (path/filepath's TestClean), and the shapes a bundle path takes.
  it.each([
    ["", "."],
    ["abc", "abc"],
    ["abc/def", "abc/def"],
    ["a/b/c", "a/b/c"],
    [".", "."],
    ["..", ".."],
    ["../..", "../.."],
    ["../../abc", "../../abc"],
    ["/abc", "/abc"],
    ["/", "/"],
    ["abc/", "abc"],
    ["abc/def/", "abc/def"],
    ["/abc/", "/abc"],
    ["//abc", "/abc"],
    ["///abc", "/abc"],
    ["//abc//", "/abc"],
    ["abc//def//ghi", "abc/def/ghi"],
    ["abc/./def", "abc/def"],
    ["/./abc/def", "/abc/def"],
    ["abc/.", "abc"],
    ["abc/def/ghi/../jkl", "abc/def/jkl"],
    ["abc/def/../ghi/../jkl", "abc/jkl"],
    ["abc/def/..", "abc"],
    ["abc/def/../..", "."],
    ["/abc/def/../..", "/"],
    ["abc/def/../../..", ".."],
    ["/abc/def/../../..", "/"],
    ["abc/def/../../../ghi/jkl/../../../mno", "../../mno"],
    ["/../abc", "/abc"],
    ["abc/./../def", "def"],
    ["abc//./../def", "def"],
    ["abc/../../././../def", "../../def"],
    ["lnk/../b/config.json", "b/config.json"],
    ["/d/b/../lnk/../b/config.json", "/d/b/config.json"],
    ["b\xff/./config.json", "b\xff/config.json"],
  ])("%j is %j", (path, clean) => {
    expect(goClean(path)).toBe(clean);
  });
});

describe("specPath: the config.json runsc opens", () => {
  const cwd = "/d/other/b";
  const namesCwd = (path: string) => ["/d/other/b", "/d/lnk/../b", "/d/other//b"].includes(path);
  it.each([
    ["--bundle, relative through a link", "lnk/../b", undefined, "b/config.json"],
    ["--bundle, absolute", "/d/b/../lnk/../b", undefined, "/d/b/config.json"],
    ["--bundle wins over $PWD", "x", "/d/lnk/../b", "x/config.json"],
    ["no --bundle: $PWD, cleaned lexically", undefined, "/d/lnk/../b", "/d/b/config.json"],
    ["--bundle= (empty) is none", "", "/d/lnk/../b", "/d/b/config.json"],
    ["no --bundle, $PWD naming another directory: the physical one", undefined, "/d/b", "config.json"],
    ["no --bundle, a relative $PWD: the physical one", undefined, "d/other/b", "config.json"],
    ["no --bundle, no $PWD", undefined, undefined, "config.json"],
    ["no --bundle, the physical $PWD", undefined, cwd, `${cwd}/config.json`],
  ])("%s", (_name, bundle, pwd, path) => {
    expect(specPath(bundle, pwd, namesCwd)).toBe(path);
  });
});
