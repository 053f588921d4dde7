/** Where the management CLI speaks: results on stdout, progress on stderr, so that stdout can be piped. */
export interface Output {
  print(text: string): void;
  say(line: string): void;
}

export const terminal: Output = {
  print: (text) => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  say: (line) => void process.stderr.write(`runsc-overlay-ctl: ${line}\n`),
};
