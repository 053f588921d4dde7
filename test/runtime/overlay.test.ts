import { describe, expect, it } from "vitest";
import type { OverlayGrammar } from "../../src/runtime/capabilities.js";
import { type Overlay2, parseOverlay2, renderOverlay2 } from "../../src/runtime/overlay.js";

const G20221219: OverlayGrammar = { self: false, dirPrefix: false, size: false, default: "none" };
const G20240729: OverlayGrammar = { self: true, dirPrefix: true, size: false, default: "root:self" };
const G20260817: OverlayGrammar = { self: true, dirPrefix: true, size: true, default: "root:self" };

describe("parseOverlay2", () => {
  it.each([
    ["none", { kind: "none" }],
    ["root:self", { kind: "on", mount: "root", medium: { kind: "self" }, size: undefined }],
    ["all:memory", { kind: "on", mount: "all", medium: { kind: "memory" }, size: undefined }],
    ["root:dir=/srv/fs", { kind: "on", mount: "root", medium: { kind: "dir", path: "/srv/fs" }, size: undefined }],
    ["root:self,size=2g", { kind: "on", mount: "root", medium: { kind: "self" }, size: "2g" }],
  ])("%s", (value, expected) => {
    expect(parseOverlay2(value)).toEqual(expected);
  });

  it.each(["", "self", "root:", "root:tmpfs", "root:/plain/path", "root:dir=rel", "mounts:self", "root:self,size=", "root:self,size=-1", "None"])("refuses %j", (value) => {
    expect(typeof parseOverlay2(value)).toBe("string");
  });
});

describe("renderOverlay2 in each runsc's grammar", () => {
  const parsed = (value: string) => parseOverlay2(value) as Overlay2;
  it.each([
    ["root:self", G20240729, { value: "root:self" }],
    ["root:self", G20221219, { unsupported: "has no `self` medium (added in release-20230214.0)" }],
    ["root:dir=/fs", G20240729, { value: "root:dir=/fs" }],
    ["root:dir=/fs", G20221219, { value: "root:/fs" }],
    ["all:memory", G20221219, { value: "all:memory" }],
    ["none", G20221219, { value: "none" }],
    ["root:self,size=1g", G20240729, { unsupported: "has no `,size=` suffix (added in release-20250611.0)" }],
    ["root:self,size=1g", G20260817, { value: "root:self,size=1g" }],
  ] as const)("%s for %o", (value, grammar, expected) => {
    expect(renderOverlay2(parsed(value), grammar)).toEqual(expected);
  });
});
