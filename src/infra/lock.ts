import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { failure } from "./errors.js";

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  acquiredAt: string;
}

/** Locks this process holds, so they are released however the process ends (exit, Ctrl-C). */
const heldLocks = new Map<string, string>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [path, token] of heldLocks) releaseIfOurs(path, token);
  });
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    // Missing, or caught between create and write: treat as held by an unknown live owner.
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A lock whose owner was killed (kill -9 leaves the file behind) is taken over. Only owners on
 * this host can be checked; a lock from another host is trusted until it is very old.
 */
function isStale(owner: LockOwner): boolean {
  if (owner.host === hostname()) return !isAlive(owner.pid);
  return Date.now() - Date.parse(owner.acquiredAt) > 10 * 60_000;
}

function tryAcquire(path: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), token, acquiredAt: new Date().toISOString() };
  writeSync(fd, JSON.stringify(owner));
  closeSync(fd);
  return true;
}

/**
 * Removes a stale lock without racing another process doing the same: the file is moved aside
 * first (only one rename can win) and checked to be the stale one that was judged.
 */
function breakStaleLock(path: string, stale: LockOwner): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(3).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = readOwner(aside);
  if (moved && moved.token !== stale.token) {
    // We moved a fresh lock taken in between: put it back unless a third process holds the name.
    try {
      closeSync(openSync(path, "wx"));
    } catch {
      rmSync(aside, { force: true });
      return;
    }
    renameSync(aside, path);
    return;
  }
  rmSync(aside, { force: true });
}

function releaseIfOurs(path: string, token: string): void {
  const owner = readOwner(path);
  if (owner?.token === token) rmSync(path, { force: true });
  heldLocks.delete(path);
}

export interface LockOptions {
  /** How long to wait for another process before giving up. */
  timeoutMs?: number;
  /** A name for the thing locked, used in the timeout message. */
  what?: string;
}

/**
 * Runs `work` while holding an exclusive inter-process lock file. Waiting processes poll with
 * jittered backoff, so many concurrent `br` processes all get their turn.
 */
export async function withLock<T>(path: string, work: () => T | Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? Number(process.env.BR_LOCK_TIMEOUT_MS ?? 30_000);
  mkdirSync(dirname(path), { recursive: true });
  releaseAllOnExit();
  const token = randomBytes(8).toString("hex");
  const started = Date.now();
  let delay = 2;
  while (!tryAcquire(path, token)) {
    const owner = readOwner(path);
    if (owner && isStale(owner)) {
      breakStaleLock(path, owner);
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      const who = owner ? `process ${owner.pid} on ${owner.host} since ${owner.acquiredAt}` : "another process";
      throw failure(`Timed out after ${timeoutMs} ms waiting for the lock on ${options.what ?? path}, held by ${who}.`, {
        file: path,
        fix: "Wait for the other br command to finish. If no br process is running, delete the lock file.",
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  heldLocks.set(path, token);
  try {
    return await work();
  } finally {
    releaseIfOurs(path, token);
  }
}
