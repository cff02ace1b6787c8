/**
 * Follows the agents' live logs (src/run/agent-log.ts) from another process: what each log gained
 * since the last look, as whole lines. A burst is cut to its newest lines, with a count of what
 * was left out, so a chatty agent costs the page a bounded amount per tick.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";

export const MAX_LINES_PER_BATCH = 200;
/** How much of a log one look reads at most; a log that grew more than this is skipped ahead. */
const MAX_READ_BYTES = 256 * 1024;

export interface LogBatch {
  attemptId: number;
  lines: string[];
  /** Lines left out of this batch (a burst larger than the batch, or a skip ahead). */
  skipped: number;
}

interface Followed {
  path: string;
  offset: number;
  partial: string;
}

export class LogTail {
  private followed = new Map<number, Followed>();

  /**
   * Starts following a log from its beginning: what the agent printed before the dashboard noticed
   * the attempt reaches open pages too (a long log is cut to its newest lines by the first look).
   */
  follow(attemptId: number, path: string): void {
    if (!this.followed.has(attemptId)) this.followed.set(attemptId, { path, offset: 0, partial: "" });
  }

  /** Stops following logs not in `keep` (finished attempts, once read to their end). */
  retain(keep: ReadonlySet<number>): void {
    for (const id of this.followed.keys()) if (!keep.has(id)) this.followed.delete(id);
  }

  /** Where the next look at a log starts (the end of what was sent), if it is followed. */
  offsetOf(attemptId: number): number | undefined {
    const log = this.followed.get(attemptId);
    return log ? log.offset - Buffer.byteLength(log.partial) : undefined;
  }

  get following(): number[] {
    return [...this.followed.keys()];
  }

  /** What each followed log gained since the last call. */
  poll(): LogBatch[] {
    const batches: LogBatch[] = [];
    for (const [attemptId, log] of this.followed) {
      const batch = readNew(log);
      if (batch.lines.length > 0 || batch.skipped > 0) batches.push({ attemptId, ...batch });
    }
    return batches;
  }
}

function readNew(log: Followed): { lines: string[]; skipped: number } {
  const size = sizeOf(log.path);
  if (size < log.offset) Object.assign(log, { offset: 0, partial: "" }); // replaced: start over
  if (size === log.offset) return { lines: [], skipped: 0 };
  let skippedBytes = 0;
  if (size - log.offset > MAX_READ_BYTES) {
    skippedBytes = size - MAX_READ_BYTES - log.offset;
    log.offset = size - MAX_READ_BYTES;
    log.partial = "";
  }
  const text = log.partial + readRange(log.path, log.offset, size - log.offset);
  log.offset = size;
  const lines = text.split("\n");
  log.partial = lines.pop() ?? "";
  // A skip ahead lands mid-line: its first piece is not a whole line.
  if (skippedBytes > 0) lines.shift();
  const cut = Math.max(0, lines.length - MAX_LINES_PER_BATCH);
  const skipped = cut + (skippedBytes > 0 ? Math.max(1, Math.round(skippedBytes / averageLength(lines))) : 0);
  return { lines: lines.slice(cut), skipped };
}

function averageLength(lines: readonly string[]): number {
  if (lines.length === 0) return 80;
  return Math.max(1, lines.reduce((sum, line) => sum + line.length + 1, 0) / lines.length);
}

/** The last `count` lines of a log (the page's view of an attempt it joins late, or one that ended). */
export function lastLines(path: string, count: number, end?: number): string[] {
  const size = Math.min(sizeOf(path), end ?? Number.POSITIVE_INFINITY);
  const start = Math.max(0, size - MAX_READ_BYTES);
  const lines = readRange(path, start, size - start).split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (start > 0) lines.shift();
  return lines.slice(-count);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readRange(path: string, start: number, length: number): string {
  if (length <= 0) return "";
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, start);
    return buffer.subarray(0, read).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
