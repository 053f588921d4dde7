/**
 * The plan as POSIX shell for the launcher (bin/runsc-overlay) to `eval`. The caller's own words are
 * referred to by position ("${3}"), never copied: they reach runsc byte for byte, whatever they hold
 * (quotes, newlines, `$`, backticks, bytes that are not UTF-8). Our words are single-quoted.
 */
import type { Plan } from "./plan.js";

export function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function toShell(plan: Plan): string {
  if (plan.kind === "print") return `printf '%s\\n' ${quote(plan.text)}\n`;
  const words = plan.words.map((word) => ("arg" in word ? `"\${${word.arg + 1}}"` : quote(word.text)));
  return `exec ${words.join(" ")}\n`;
}
