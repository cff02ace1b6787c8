/**
 * Requests to a run from outside it (the dashboard, another stream): stop taking work, or pause
 * one stream. They are files in the state folder, so any process can make one and a run notices
 * it before its next task; the run in flight finishes its current attempt (its work is verified
 * and kept) rather than being killed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The stream name of a sequential `br run`, so it can be paused like a parallel stream. */
export const MAIN_STREAM = "main";

export function stopFile(state: string, runId: number): string {
  return join(state, "streams", `run-${runId}.stop`);
}

export function requestStop(state: string, runId: number, reason: string): void {
  mkdirSync(dirname(stopFile(state, runId)), { recursive: true });
  writeFileSync(stopFile(state, runId), `${reason}\n`);
}

/** A new run's id may repeat an old one's (a state database made anew): no request carries over. */
export function clearRequests(state: string, runId: number, streams: readonly string[]): void {
  rmSync(stopFile(state, runId), { force: true });
  for (const stream of streams) setPaused(state, stream, false);
}

export function stopReason(state: string, runId: number): string | undefined {
  const file = stopFile(state, runId);
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, "utf8").trim() || "a stop was requested";
  } catch {
    return "a stop was requested";
  }
}

export function pauseFile(state: string, stream: string): string {
  return join(state, "streams", `${stream}.pause`);
}

export function setPaused(state: string, stream: string, paused: boolean): void {
  const file = pauseFile(state, stream);
  if (!paused) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${new Date().toISOString()}\n`);
}

export function isPaused(state: string, stream: string): boolean {
  return existsSync(pauseFile(state, stream));
}
