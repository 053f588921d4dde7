/**
 * The `--overlay2` value: parsed in today's grammar, then written in the grammar of the runsc at hand
 * (see shared/docs/gvisor-overlay.md). Pure.
 */
import type { OverlayGrammar } from "./capabilities.js";

export type Medium = { kind: "memory" } | { kind: "self" } | { kind: "dir"; path: string };
export type Overlay2 = { kind: "none" } | { kind: "on"; mount: "root" | "all"; medium: Medium; size: string | undefined };

/** Parses `none | {root|all}:{memory|self|dir=/abs}[,size=N]`; returns an error message otherwise. */
export function parseOverlay2(value: string): Overlay2 | string {
  if (value === "none") return { kind: "none" };
  const match = /^(root|all):([^,]*)(?:,size=([0-9]+[a-zA-Z]*))?$/.exec(value);
  if (!match) return `"${value}" is not none or {root|all}:{memory|self|dir=/abs/path}[,size=N]`;
  const [, mount, medium, size] = match;
  if (medium === "memory" || medium === "self") return { kind: "on", mount: mount as "root" | "all", medium: { kind: medium }, size };
  if (medium!.startsWith("dir=/")) return { kind: "on", mount: mount as "root" | "all", medium: { kind: "dir", path: medium!.slice(4) }, size };
  return `"${value}": the medium must be memory, self or dir=/an/absolute/path, not "${medium}"`;
}

/** The flag value for a runsc with this grammar, or why it cannot be written in it. */
export function renderOverlay2(overlay: Overlay2, grammar: OverlayGrammar): { value: string } | { unsupported: string } {
  if (overlay.kind === "none") return { value: "none" };
  const { mount, medium, size } = overlay;
  if (medium.kind === "self" && !grammar.self) return { unsupported: "has no `self` medium (added in release-20230214.0)" };
  if (size !== undefined && !grammar.size) return { unsupported: "has no `,size=` suffix (added in release-20250611.0)" };
  const written =
    medium.kind === "dir" ? (grammar.dirPrefix ? `dir=${medium.path}` : medium.path) : medium.kind;
  return { value: `${mount}:${written}${size === undefined ? "" : `,size=${size}`}` };
}

export function overlayEnabled(value: string): boolean {
  return value !== "none";
}
