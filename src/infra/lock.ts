import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { failure, usageError } from "./errors.js";
import { notice } from "./log.js";
import { isBusy, openSqlite, rollbackQuietly, type StateDb } from "./state-db.js";

/**
 * The inter-process lock is a write transaction on a small SQLite file. SQLite takes an OS file
 * lock, which the kernel releases however the holder ends (exit, Ctrl-C, kill -9), so there is no
 * stale-lock guessing by pid or age, and no window in which two processes both believe they hold it.
 * A side file names the holder for the "still waiting" message only; correctness never reads it.
 */
interface LockOwner {
  pid: number;
  host: string;
  acquiredAt: string;
  command: string;
}

function lockTimeoutMs(explicit: number | undefined): number {
  if (explicit !== undefined) return explicit;
  const fromEnv = process.env.BR_LOCK_TIMEOUT_MS;
  if (fromEnv === undefined || fromEnv === "") return 30_000;
  const value = Number(fromEnv);
  if (!Number.isFinite(value) || value < 0) {
    throw usageError(`BR_LOCK_TIMEOUT_MS must be a number of milliseconds, not "${fromEnv}".`, { fix: "Unset it or give e.g. 30000." });
  }
  return value;
}

function describeOwner(ownerFile: string): string {
  try {
    const owner = JSON.parse(readFileSync(ownerFile, "utf8")) as LockOwner;
    return `process ${owner.pid} on ${owner.host} (\`${owner.command}\`, since ${owner.acquiredAt})`;
  } catch {
    return "another process";
  }
}

export interface LockOptions {
  /** How long to wait for another process before giving up (default: BR_LOCK_TIMEOUT_MS or 30 s). */
  timeoutMs?: number;
  /** A name for the thing locked, used in the timeout message. */
  what?: string;
}

/**
 * Lock connections kept open for the process, one per lock file: the lock is the transaction,
 * not the connection, and opening SQLite for every lock cost a run ~1 ms of CPU each time. Kept
 * with the file's identity, so a lock file removed and made again is opened again (a connection
 * to the removed file would lock nothing another process sees).
 */
const connections = new Map<string, { db: StateDb; id: string }>();
/** Lock files whose kept connection is in use (waiting or holding): another lock on one meanwhile gets a connection of its own, as before. */
const inUse = new Set<string>();

function fileId(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

function openLockDb(path: string): StateDb {
  mkdirSync(dirname(path), { recursive: true });
  const db = openSqlite(path);
  // Waiting is done with awaits (Ctrl-C stays responsive); SQLite itself must not block.
  db.exec("PRAGMA busy_timeout = 0");
  return db;
}

/** The connection to lock `path` with, and whether it is kept for later locks (else closed after). */
function lockConnection(path: string): { db: StateDb; kept: boolean } {
  if (inUse.has(path)) return { db: openLockDb(path), kept: false };
  const cached = connections.get(path);
  const id = fileId(path);
  if (cached !== undefined && cached.id === id) {
    inUse.add(path);
    return { db: cached.db, kept: true };
  }
  cached?.db.close();
  connections.delete(path);
  const db = openLockDb(path);
  const opened = fileId(path);
  if (opened === undefined) return { db, kept: false };
  connections.set(path, { db, id: opened });
  inUse.add(path);
  return { db, kept: true };
}

/** Runs `work` while holding an exclusive inter-process lock; waiters poll with jittered backoff. */
export async function withLock<T>(path: string, work: () => T | Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = lockTimeoutMs(options.timeoutMs);
  const { db, kept } = lockConnection(path);
  const ownerFile = `${path}.owner`;
  try {
    const started = Date.now();
    let delay = 2;
    let toldWaiting = false;
    for (;;) {
      try {
        db.exec("BEGIN IMMEDIATE");
        break;
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
      if (Date.now() - started >= timeoutMs) {
        throw failure(
          `Timed out after ${timeoutMs} ms waiting for the lock on ${options.what ?? path}, held by ${describeOwner(ownerFile)}.`,
          {
            fix: "Wait for the other br command to finish, or stop it. (A lock is released automatically when its process ends.)",
          },
        );
      }
      if (!toldWaiting && Date.now() - started >= 1000) {
        // A silent wait looks like a hang; say once who br is waiting for.
        notice(`waiting for the lock on ${options.what ?? path}, held by ${describeOwner(ownerFile)}…`);
        toldWaiting = true;
      }
      // Awaiting (not blocking in SQLite's busy handler) keeps Ctrl-C responsive while waiting.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      acquiredAt: new Date().toISOString(),
      command: ["br", ...process.argv.slice(2)].join(" ").slice(0, 200),
    };
    // A note for the waiting message only (a torn one reads as "another process"): not worth a flush.
    writeFileSync(ownerFile, JSON.stringify(owner));
    try {
      return await work();
    } finally {
      // Best effort: the lock itself goes with the connection below, and work's own error matters more.
      try {
        rmSync(ownerFile, { force: true });
      } catch {
        // a waiter may hold the file open (Windows); the note is only ever read for messages
      }
      rollbackQuietly(db);
    }
  } finally {
    if (kept) inUse.delete(path);
    else db.close();
  }
}
