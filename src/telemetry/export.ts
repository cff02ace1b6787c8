/**
 * The optional exporter: sends the stored events, in batches, to the OTLP endpoint the project
 * configured. A command never waits for it: it runs in a detached `br telemetry export` started at
 * most once per interval, and a failed send only leaves the events pending for the next one. A
 * cursor (the last event id sent) and a lease in the state database keep two senders from racing.
 */
import { spawn } from "node:child_process";
import type { Config } from "../infra/config.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb, type StateDb } from "../infra/state-db.js";
import { logsUrl, otlpHeaders, otlpLogsRequest } from "./otlp.js";
import { countPending, EXPORTING_ENV, eventsAfter, readExportCursor, type TelemetryEvent, telemetrySwitch } from "./store.js";

/** Events per request: OTLP collectors accept a few MB per request, and 512 events are about 300 KB. */
export const BATCH_SIZE = 512;
const MAX_REQUESTS = 20;
const REQUEST_TIMEOUT_MS = 10_000;
/** Longer than one request may take; a sender that died lets go of the send when it runs out. */
const LEASE_MS = 30_000;
/** OTLP/HTTP's retryable answers: the batch stays pending. Any other failure status drops it. */
const RETRYABLE = new Set([408, 429, 502, 503, 504]);

export type Send = (url: URL, body: string, headers: Record<string, string>, signal: AbortSignal) => Promise<{ status: number }>;

const fetchSend: Send = async (url, body, headers, signal) => {
  const response = await fetch(url, { method: "POST", body, headers: { ...headers, "content-type": "application/json" }, signal });
  await response.arrayBuffer(); // drain, so the connection is released
  return { status: response.status };
};

export interface ExportResult {
  sent: number;
  requests: number;
  /** Events still waiting after this send. */
  pending: number;
  /** Why the send stopped early: `HTTP 503`, `ECONNREFUSED`, `timeout`; never the URL or a header. */
  error: string | null;
  /** Another sender holds the lease; this one sent nothing. */
  busy: boolean;
}

/** Why a request failed, as a class a user can act on; a message could echo the URL or a header. */
function failureClass(error: unknown): string {
  const name = (error as Error | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === "string" && /^[A-Z_]+$/.test(cause) ? cause : "network error";
}

/** Sends every pending event (up to MAX_REQUESTS batches) now; the caller is `br telemetry export`. */
export async function exportPending(
  paths: ProjectPaths,
  config: Pick<Config, "telemetry">,
  version: string,
  send: Send = fetchSend,
): Promise<ExportResult> {
  const endpoint = config.telemetry.export.endpoint;
  // Off is checked before the database or the network is touched: off means no connection at all.
  if (telemetrySwitch(config) || endpoint === undefined) return { sent: 0, requests: 0, pending: 0, error: null, busy: false };
  const db = openStateDb(paths);
  try {
    const now = Date.now();
    const claimed = db
      .prepare("UPDATE telemetry_export SET lease_until = ?, last_attempt = ? WHERE id = 1 AND lease_until < ?")
      .run(now + LEASE_MS, now, now);
    if (Number(claimed.changes) !== 1)
      return { sent: 0, requests: 0, pending: countPending(db, readExportCursor(db).sentThrough), error: null, busy: true };
    try {
      return await sendBatches(db, logsUrl(endpoint), version, send);
    } finally {
      db.prepare("UPDATE telemetry_export SET lease_until = 0 WHERE id = 1").run();
    }
  } finally {
    db.close();
  }
}

async function sendBatches(db: StateDb, url: URL, version: string, send: Send): Promise<ExportResult> {
  const headers = otlpHeaders();
  const result: ExportResult = { sent: 0, requests: 0, pending: 0, error: null, busy: false };
  const advance = db.prepare(
    "UPDATE telemetry_export SET sent_through = ?, sent_total = sent_total + ?, last_sent = ?, last_error = ?, lease_until = ? WHERE id = 1",
  );
  while (result.requests < MAX_REQUESTS) {
    const batch = eventsAfter(db, readExportCursor(db).sentThrough, BATCH_SIZE);
    if (batch.length === 0) break;
    const body = JSON.stringify(otlpLogsRequest(batch, version));
    result.requests++;
    let status: number;
    try {
      status = (await send(url, body, headers, AbortSignal.timeout(REQUEST_TIMEOUT_MS))).status;
    } catch (error) {
      result.error = failureClass(error);
      break;
    }
    if (RETRYABLE.has(status)) {
      result.error = `HTTP ${status}`;
      break;
    }
    const accepted = status >= 200 && status < 300;
    // A batch the endpoint refuses for good (400, 401, 413…) is dropped, or it would block every later one.
    if (!accepted) result.error = `HTTP ${status}: ${batch.length} event(s) dropped`;
    else result.sent += batch.length;
    const last = batch.at(-1) as TelemetryEvent;
    advance.run(last.id, accepted ? batch.length : 0, new Date().toISOString(), result.error, Date.now() + LEASE_MS);
  }
  if (result.error !== null) db.prepare("UPDATE telemetry_export SET last_error = ? WHERE id = 1").run(result.error);
  result.pending = countPending(db, readExportCursor(db).sentThrough);
  return result;
}

/**
 * Claims the next background send: true when an endpoint is set, telemetry is on, this is not the
 * sender itself, events are pending, no send holds the lease and the last one began at least the
 * interval ago. Claiming in the database makes concurrent commands start one sender, not several.
 */
export function claimSendSlot(paths: ProjectPaths, config: Pick<Config, "telemetry">, now = Date.now()): boolean {
  const { endpoint, intervalSeconds } = config.telemetry.export;
  if (endpoint === undefined || process.env[EXPORTING_ENV] || telemetrySwitch(config)) return false;
  const db = openStateDb(paths);
  try {
    const slot = db
      .prepare(
        `UPDATE telemetry_export SET last_attempt = ? WHERE id = 1 AND lease_until < ? AND last_attempt <= ?
           AND EXISTS (SELECT 1 FROM telemetry WHERE id > sent_through)`,
      )
      .run(now, now, now - intervalSeconds * 1000);
    return Number(slot.changes) === 1;
  } finally {
    db.close();
  }
}

/** After a command has recorded its events: a detached `br telemetry export` when a send is due; the command never waits for it. */
export function startBackgroundExport(paths: ProjectPaths, config: Pick<Config, "telemetry">): boolean {
  if (!claimSendSlot(paths, config)) return false;
  const child = spawn(process.execPath, [process.argv[1] as string, "telemetry", "export"], {
    cwd: paths.root,
    detached: true,
    stdio: "ignore",
    env: { ...process.env, [EXPORTING_ENV]: "1" },
  });
  child.on("error", () => {}); // a sender that cannot start leaves the events pending
  child.unref();
  return true;
}
