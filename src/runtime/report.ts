/**
 * Where errors and notes go. A refusal is one line in the caller's `--log`, in the format it asked
 * for (JSON, or text for `--log-format=text`): Docker, containerd and Podman show the `msg` of the last
 * error line of that file to the user. On stderr, which people read (and Podman prints as it is), it
 * is the message alone, as runsc and runc write theirs. Notes go to runsc-overlay's own log file. A log
 * that cannot be written is skipped: logging never fails a call.
 */
import { appendFileSync, closeSync, openSync, writeSync } from "node:fs";
import { type GlobalFlag, lastValue } from "./argv.js";
import type { Note } from "./plan.js";
import { bytesPath } from "./spec-file.js";

export interface CallerLog {
  /** A byte string, as the caller gave it (spec-file.ts). */
  file: string | undefined;
  fd: number | undefined;
  text: boolean;
}

export function callerLog(flags: readonly GlobalFlag[]): CallerLog {
  const fd = Number.parseInt(lastValue(flags, "log-fd") ?? "", 10);
  return {
    file: lastValue(flags, "log") || undefined,
    fd: Number.isInteger(fd) && fd >= 0 ? fd : undefined,
    text: lastValue(flags, "log-format") === "text",
  };
}

/**
 * No "runsc-overlay:" in front: Podman already puts the runtime's name there (`OCI runtime error:
 * runsc-overlay: ...`), and each message names the file or flag it is about.
 */
export function errorLine(msg: string, now: Date, text: boolean): string {
  const time = now.toISOString();
  return text
    ? `time="${time}" level=error msg=${JSON.stringify(msg)}\n`
    : `${JSON.stringify({ level: "error", msg, time })}\n`;
}

export function reportRefusal(message: string, log: CallerLog): void {
  const now = new Date();
  const attempt = (write: () => void): void => {
    try {
      write();
    } catch {
      // Nowhere to say it: the exit status still says it.
    }
  };
  if (log.fd !== undefined) attempt(() => writeSync(log.fd!, errorLine(message, now, log.text)));
  else if (log.file !== undefined) attempt(() => appendFileSync(bytesPath(log.file!), errorLine(message, now, log.text)));
  attempt(() => writeSync(2, `${message}\n`));
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** The notes that runsc-overlay's own log takes, at its level. */
export function due(notes: readonly Note[], file: string, level: keyof typeof LEVELS): Note[] {
  return file === "" ? [] : notes.filter((note) => LEVELS[note.level] >= LEVELS[level]);
}

/** runsc-overlay's own log file, through pino, loaded only when there is something to log. */
export async function logNotes(notes: readonly Note[], file: string, level: keyof typeof LEVELS, context: object): Promise<void> {
  const lines = due(notes, file, level);
  if (lines.length === 0) return;
  let fd: number;
  try {
    // No mkdir: the log directory is the administrator's to make.
    fd = openSync(file, "a", 0o640);
  } catch {
    return; // An unwritable log file never fails a container.
  }
  try {
    const { pino } = await import("pino");
    const logger = pino({ level, base: { pid: process.pid, ...context }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd, sync: true }));
    for (const note of lines) logger[note.level](note.msg);
  } catch {
    // Nor does one that fails half-way.
  } finally {
    closeSync(fd);
  }
}
