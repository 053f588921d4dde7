/**
 * What a runsc binary can do, read from its own `--version`, `flags` and `help` output. Pure: the
 * outputs come in as text (see probe.ts for running the binary and caching the result).
 */

import type { FlagSyntax } from "./argv.js";
import type { BundleSubcommand } from "./policy.js";

/** The `--overlay2` grammar of one runsc build (see shared/docs/gvisor-overlay.md for the history). */
export interface OverlayGrammar {
  /** `{root|all}:self` (release-20230214.0 and later). */
  self: boolean;
  /** `dir=/abs` media (release-20230130.0 and later); before that, a plain directory path. */
  dirPrefix: boolean;
  /** The optional `,size=N` suffix (release-20250611.0 and later). */
  size: boolean;
  /** What runsc does with no `--overlay2` flag, as its flag listing says. */
  default: string;
}

export interface Capabilities {
  /** From `runsc --version`: `0.0~20240729.0` (Debian), `release-20260817.0` (gVisor's own builds). */
  version: string;
  /** The OCI runtime-spec version from `runsc --version` (`spec: 1.2.0`), if printed. */
  spec: string | undefined;
  booleans: string[];
  valued: string[];
  /** Flags whose listing does not say whether they are boolean: `probe.ts` asks the binary. */
  ambiguous: string[];
  /** null: this runsc has no `--overlay2` flag at all. */
  overlay2: OverlayGrammar | null;
  /** runsc answers `features` itself (release-20260511.0 and later). */
  features: boolean;
  /** The flags of the subcommands that read a bundle (`runsc help create|run|restore`), where it lists them. */
  subcommands: Partial<Record<BundleSubcommand, { booleans: string[]; valued: string[] }>>;
}

/** Go's flag listing prints these for valued flags that do not name their value in back-quotes. */
const GO_TYPE_NAMES = new Set(["value", "string", "int", "int64", "uint", "uint64", "float", "duration"]);

export interface ProbeOutputs {
  version: string;
  flags: string;
  help: string;
  /** `runsc help <subcommand>` for each subcommand that reads a bundle. */
  subcommandHelp: Partial<Record<BundleSubcommand, string>>;
}

export function parseCapabilities(outputs: ProbeOutputs): Capabilities {
  const spec = /^spec: (\S+)/m.exec(outputs.version)?.[1];
  const listing = parseFlagListing(outputs.flags);
  const { booleans, valued, ambiguous } = classify(listing);
  const subcommands: Capabilities["subcommands"] = {};
  for (const [subcommand, help] of Object.entries(outputs.subcommandHelp) as [BundleSubcommand, string][]) {
    const flags = classify(parseFlagListing(help));
    // runsc cannot be asked which way an unclear subcommand flag goes without running the subcommand:
    // a table with one is left out, and argv.ts refuses that subcommand's calls rather than guess.
    if (flags.ambiguous.length === 0 && flags.booleans.length + flags.valued.length > 0) subcommands[subcommand] = { booleans: flags.booleans, valued: flags.valued };
  }
  const overlayEntry = listing.find((flag) => flag.name === "overlay2");
  return {
    version: /version (\S+)/.exec(outputs.version)?.[1] ?? outputs.version.split("\n")[0]!.trim(),
    spec,
    booleans,
    valued,
    ambiguous,
    overlay2: overlayEntry ? overlayGrammar(overlayEntry.usage) : null,
    features: /^\s+features\s/m.test(outputs.help),
    subcommands,
  };
}

/** Boolean or valued, as far as the listing says. */
function classify(listing: ListedFlag[]): { booleans: string[]; valued: string[]; ambiguous: string[] } {
  const out = { booleans: [] as string[], valued: [] as string[], ambiguous: [] as string[] };
  for (const { name, typeWord, usage } of listing) {
    if (typeWord === undefined) out.booleans.push(name);
    else if (GO_TYPE_NAMES.has(typeWord)) out.valued.push(name);
    // A back-quoted word in the usage replaces the type name, for booleans too (`-net-raw runsc exec`).
    else if (/\(default (true|false)\)/.test(usage)) out.booleans.push(name);
    else out.ambiguous.push(name);
  }
  return out;
}

interface ListedFlag {
  name: string;
  typeWord: string | undefined;
  usage: string;
}

/** Go's `PrintDefaults` format: `  -name [type]` then the usage on lines starting `    \t`. */
function parseFlagListing(text: string): ListedFlag[] {
  const flags: ListedFlag[] = [];
  for (const line of text.split("\n")) {
    const head = /^ {2}-(\S+?)(?:\t(.*)| (.*))?$/.exec(line);
    if (head) {
      // One-letter booleans print their usage after a tab on the same line.
      flags.push({ name: head[1]!, typeWord: head[3], usage: head[2] ?? "" });
    } else if (line.startsWith("    \t") && flags.length > 0) {
      flags[flags.length - 1]!.usage += `${line.slice(5)}\n`;
    }
  }
  return flags;
}

function overlayGrammar(usage: string): OverlayGrammar {
  return {
    self: usage.includes("'self'"),
    dirPrefix: usage.includes("dir="),
    size: usage.includes("size="),
    default: /\(default ([^)]+)\)/.exec(usage)?.[1] ?? "none",
  };
}

/** The flag syntax argv.ts needs, once every flag is known to be boolean or valued. */
export function flagSyntax(caps: Pick<Capabilities, "booleans" | "valued">): FlagSyntax {
  return { booleans: new Set(caps.booleans), valued: new Set(caps.valued) };
}

/** The same for each subcommand that reads a bundle. */
export function subcommandSyntax(caps: Capabilities): Partial<Record<BundleSubcommand, FlagSyntax>> {
  return Object.fromEntries(Object.entries(caps.subcommands).map(([subcommand, flags]) => [subcommand, flagSyntax(flags)]));
}
