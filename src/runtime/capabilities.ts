/**
 * What a runsc binary can do, read from its own `--version`, `flags` and `help` output. Pure: the
 * outputs come in as text (see probe.ts for running the binary and caching the result).
 */

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
}

/** Go's flag listing prints these for valued flags that do not name their value in back-quotes. */
const GO_TYPE_NAMES = new Set(["value", "string", "int", "int64", "uint", "uint64", "float", "duration"]);

export function parseCapabilities(outputs: { version: string; flags: string; help: string }): Capabilities {
  const spec = /^spec: (\S+)/m.exec(outputs.version)?.[1];
  const listing = parseFlagListing(outputs.flags);
  const booleans: string[] = [];
  const valued: string[] = [];
  const ambiguous: string[] = [];
  for (const { name, typeWord, usage } of listing) {
    if (typeWord === undefined) booleans.push(name);
    else if (GO_TYPE_NAMES.has(typeWord)) valued.push(name);
    // A back-quoted word in the usage replaces the type name, for booleans too (`-net-raw runsc exec`).
    else if (/\(default (true|false)\)/.test(usage)) booleans.push(name);
    else ambiguous.push(name);
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
  };
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
export function flagSyntax(caps: Capabilities): { booleans: Set<string>; valued: Set<string> } {
  return { booleans: new Set(caps.booleans), valued: new Set(caps.valued) };
}
