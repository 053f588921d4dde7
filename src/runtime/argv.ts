/**
 * runsc's command line, read the way runsc's Go `flag` package reads it: global flags first, parsing
 * stops at the first word that is not a flag (or after `--`), a boolean flag never takes the next word.
 * Positions are kept so that the plan can pass every word it does not change through byte for byte.
 */
import { Refusal } from "./errors.js";
import { type BundleSubcommand, readsBundle } from "./policy.js";

export interface FlagSyntax {
  /** Global flags that take no separate value word. */
  booleans: ReadonlySet<string>;
  /** Global flags that take a value, as `--x=v` or `--x v`. */
  valued: ReadonlySet<string>;
}

export interface GlobalFlag {
  name: string;
  /** undefined for a boolean given without `=`. */
  value: string | undefined;
  /** Index of the flag's first word in argv. */
  index: number;
  /** How many argv words it spans: 1, or 2 for `--x v`. */
  words: 1 | 2;
}

export type ParsedArgv =
  /** `insertAt` is where global flags may be added: the subcommand's index, or the `--` before it. */
  | { kind: "command"; flags: GlobalFlag[]; subcommand: string; subcommandIndex: number; insertAt: number }
  /** Global flags only, such as `--version`: runsc acts on them without a subcommand. */
  | { kind: "no-command"; flags: GlobalFlag[] }
  /** Something runsc itself rejects (an unknown flag, a missing value): runsc must say so, not us. */
  | { kind: "invalid"; reason: string };

export function parseArgv(argv: readonly string[], syntax: FlagSyntax): ParsedArgv {
  const scan = scanFlags(argv, 0, syntax);
  if ("invalid" in scan) return { kind: "invalid", reason: scan.invalid };
  const { flags, next, dashes } = scan;
  if (next >= argv.length) return { kind: "no-command", flags };
  return { kind: "command", flags, subcommand: argv[next]!, subcommandIndex: next, insertAt: dashes ? next - 1 : next };
}

/**
 * Go's FlagSet.Parse from argv[from]: flags until the first word that is not one, or after `--`
 * (`dashes`); `next` is the first word after them.
 */
function scanFlags(argv: readonly string[], from: number, syntax: FlagSyntax): { flags: GlobalFlag[]; next: number; dashes: boolean } | { invalid: string } {
  const flags: GlobalFlag[] = [];
  let i = from;
  while (i < argv.length) {
    const word = argv[i]!;
    if (word.length < 2 || word[0] !== "-") break;
    if (word === "--") return { flags, next: i + 1, dashes: true };
    const body = word.slice(word[1] === "-" ? 2 : 1);
    if (body === "" || body[0] === "-" || body[0] === "=") return { invalid: `bad flag syntax: ${word}` };
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (syntax.booleans.has(name) || (syntax.valued.has(name) && inline !== undefined)) {
      flags.push({ name, value: inline, index: i, words: 1 });
      i += 1;
    } else if (syntax.valued.has(name)) {
      if (i + 1 >= argv.length) return { invalid: `flag needs an argument: ${word}` };
      flags.push({ name, value: argv[i + 1], index: i, words: 2 });
      i += 2;
    } else {
      return { invalid: `flag provided but not defined: ${word}` };
    }
  }
  return { flags, next: i, dashes: false };
}

/** The value of the last occurrence of a global flag, as runsc applies it. */
export function lastValue(flags: readonly GlobalFlag[], name: string): string | undefined {
  for (let i = flags.length - 1; i >= 0; i--) if (flags[i]!.name === name) return flags[i]!.value ?? "true";
  return undefined;
}

/** runsc's subcommands (`runsc help`), where scanLogFlags stops. */
const SUBCOMMANDS = new Set(
  "checkpoint create delete do events exec features flags help kill list pause port-forward ps restore resume run spec start state wait debug install mitigate trace uninstall boot gofer umount".split(" "),
);

/**
 * The caller's `--log`, `--log-format` and `--log-fd`, found without knowing runsc's flags, for errors
 * raised before runsc's flag syntax is known (a bad config, a missing runsc). They take a value in every
 * runsc, so `--log X` and `--log=X` are unambiguous; not knowing which other flags take a value, the
 * scan steps over bare words and stops at the first subcommand name.
 */
export function scanLogFlags(argv: readonly string[]): GlobalFlag[] {
  const found: GlobalFlag[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--" || SUBCOMMANDS.has(word)) break;
    const match = /^--?(log|log-format|log-fd)(=(.*))?$/s.exec(word);
    if (!match) continue;
    if (match[2] !== undefined) found.push({ name: match[1]!, value: match[3], index: i, words: 1 });
    else if (i + 1 < argv.length) found.push({ name: match[1]!, value: argv[i + 1], index: i++, words: 2 });
  }
  return found;
}

/**
 * For a create/run/restore call, the bundle runsc will read: the last `--bundle`/`-bundle` among the
 * subcommand's flags, parsed as runsc parses them (a valued flag takes the next word, whatever it
 * looks like; parsing stops at the first word that is not a flag), or undefined for none (runsc then
 * uses the working directory). null for a call that reads no bundle. A line the subcommand's flag
 * table cannot read with certainty is refused: guessing could check one bundle while runsc reads another.
 */
export function bundleArg(argv: readonly string[], parsed: ParsedArgv, subcommandFlags: Partial<Record<BundleSubcommand, FlagSyntax>>): string | undefined | null {
  if (parsed.kind !== "command" || !readsBundle(parsed.subcommand)) return null;
  const syntax = subcommandFlags[parsed.subcommand];
  if (!syntax) throw new Refusal(`runsc's \`${parsed.subcommand}\` lists no flags (\`runsc help ${parsed.subcommand}\`), so runsc-overlay cannot know its bundle: refusing rather than guessing`);
  const scan = scanFlags(argv, parsed.subcommandIndex + 1, syntax);
  if ("invalid" in scan) throw new Refusal(`runsc ${parsed.subcommand}: ${scan.invalid}: runsc-overlay refuses, as the bundle runsc would read cannot be known`);
  return lastValue(scan.flags, "bundle");
}
