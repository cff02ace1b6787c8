/**
 * The live agent log: what an agent prints, masked line by line and appended to
 * .buildrunner/state/logs/<attempt>.log as it arrives, so the dashboard (another process) can
 * tail it during the attempt and show it afterwards. Bounded: a log stops at MAX_LOG_BYTES and
 * only the newest KEEP_LOGS logs are kept.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { mask } from "../security/mask.js";

export const MAX_LOG_BYTES = 4 * 1024 * 1024;
export const KEEP_LOGS = 300;
/** A line longer than this is written (masked) without waiting for its end. */
const MAX_PENDING = 64 * 1024;

export function logsDir(state: string): string {
  return join(state, "logs");
}

export function attemptLogPath(state: string, attemptId: number): string {
  return join(logsDir(state), `${attemptId}.log`);
}

export interface AgentLog {
  write(stream: "stdout" | "stderr", chunk: string): void;
  close(): void;
}

/** A writer for one attempt's log. Never throws: a log that cannot be written must not fail the attempt. */
export function openAgentLog(path: string, maxBytes = MAX_LOG_BYTES): AgentLog {
  let fd: number | undefined;
  try {
    fd = openSync(path, "a");
  } catch {
    fd = undefined;
  }
  const pending = { stdout: "", stderr: "" };
  let written = 0;
  let full = false;
  const append = (text: string) => {
    if (fd === undefined || full || text === "") return;
    const bytes = Buffer.byteLength(text);
    full = written + bytes > maxBytes;
    const out = full ? `${text.slice(0, Math.max(0, maxBytes - written))}\n[br: log cut at ${maxBytes} bytes]\n` : text;
    try {
      written += writeSync(fd, out);
    } catch {
      full = true;
    }
  };
  const flushLines = (stream: "stdout" | "stderr", final: boolean) => {
    const text = pending[stream];
    const cut = final ? text.length : flushablePrefix(text);
    if (cut === 0) return;
    pending[stream] = text.slice(cut);
    const lines = text.slice(0, cut);
    append(mask(lines.endsWith("\n") ? lines : `${lines}\n`));
  };
  return {
    write(stream, chunk) {
      if (full) return;
      pending[stream] += chunk;
      flushLines(stream, false);
    },
    close() {
      flushLines("stdout", true);
      flushLines("stderr", true);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/**
 * How much of the pending text can be masked and written now: whole lines, but not an open
 * private-key block (a secret that spans lines is masked only whole). Past MAX_PENDING it goes out
 * anyway, cut at a space rather than inside a token.
 */
export function flushablePrefix(text: string): number {
  const openKey = text.lastIndexOf("-----BEGIN");
  const lineEnd = text.lastIndexOf("\n") + 1;
  const end = openKey >= 0 && text.indexOf("-----END", openKey) < 0 ? Math.min(lineEnd, text.lastIndexOf("\n", openKey) + 1) : lineEnd;
  if (text.length <= MAX_PENDING) return end;
  if (end > 0) return end;
  const space = Math.max(text.lastIndexOf(" ", MAX_PENDING), text.lastIndexOf("\t", MAX_PENDING));
  return space > 0 ? space + 1 : text.length;
}

/** Creates the logs folder and removes all but the newest logs (by attempt number). */
export function prepareLogs(state: string): void {
  const dir = logsDir(state);
  mkdirSync(dir, { recursive: true });
  const ids = readdirSync(dir)
    .map((name) => /^(\d+)\.log$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  for (const id of ids.slice(KEEP_LOGS)) rmSync(join(dir, `${id}.log`), { force: true });
}
