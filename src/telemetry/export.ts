/**
 * The optional exporter: sends the stored events, in batches, to the OTLP endpoint the project
 * configured and this machine's user confirmed. A command never waits for it: it runs in a
 * detached `br telemetry export` started at most once per interval, and a failed send leaves the
 * events pending for the next one. A cursor (the last event id sent) and a lease with an owner in
 * the state database keep two senders from sending the same events. Delivery is at least once: a
 * sender killed between the answer and the cursor's move sends those events again.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
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
/** Answers that say the batch itself is wrong (malformed, too large): it is dropped. Any other failure keeps it pending. */
const DROPPED = new Set([400, 413]);

export type Send = (url: URL, body: string, headers: Record<string, string>, signal: AbortSignal) => Promise<{ status: number }>;

/** Redirects are not followed: a header with a key must not go to a host the user did not name. */
const fetchSend: Send = async (url, body, headers, signal) => {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "application/json" },
    signal,
    redirect: "manual",
  });
  await response.arrayBuffer(); // drain, so the connection is released
  return { status: response.status };
};

export interface ExportResult {
  sent: number;
  /** Events the endpoint refused as malformed or too large (400, 413): dropped, or they would block the rest. */
  dropped: number;
  requests: number;
  /** Events still waiting after this send. */
  pending: number;
  /** Why the send stopped early: `HTTP 503`, `ECONNREFUSED`, `timeout`; never the URL or a header. */
  error: string | null;
  /** Another sender holds the lease; this one sent nothing. */
  busy: boolean;
}

const nothing = (pending = 0, busy = false): ExportResult => ({ sent: 0, dropped: 0, requests: 0, pending, error: null, busy });

/** Why a request failed, as a class a user can act on; a message could echo the URL or a header. */
function failureClass(error: unknown): string {
  const name = (error as Error | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === "string" && /^[A-Z_]+$/.test(cause) ? cause : "network error";
}

/** Whether this project sends: telemetry on, an endpoint configured, and that endpoint confirmed on this machine. */
export type ExportReadiness = "off" | "no endpoint" | "unconfirmed" | "ready";

export function exportReadiness(db: StateDb, config: Pick<Config, "telemetry">): ExportReadiness {
  const endpoint = config.telemetry.export.endpoint;
  if (telemetrySwitch(config)) return "off";
  if (endpoint === undefined) return "no endpoint";
  return readExportCursor(db).confirmedEndpoint === endpoint ? "ready" : "unconfirmed";
}

/**
 * Sends the pending events (up to MAX_REQUESTS batches) now, when the export is ready; the caller
 * is `br telemetry export`. The lease is this sender's own (a token): a sender that stalled past it
 * and lost it stops at its next write instead of moving the cursor or freeing another's lease.
 */
export async function exportPending(
  paths: ProjectPaths,
  config: Pick<Config, "telemetry">,
  version: string,
  send: Send = fetchSend,
): Promise<ExportResult> {
  // Off is checked before the database or the network is touched: off means no connection at all.
  if (telemetrySwitch(config) || config.telemetry.export.endpoint === undefined) return nothing();
  const db = openStateDb(paths);
  try {
    if (exportReadiness(db, config) !== "ready") return nothing(countPending(db, readExportCursor(db).sentThrough));
    const owner = randomUUID();
    const now = Date.now();
    const claimed = db
      .prepare("UPDATE telemetry_export SET lease_owner = ?, lease_until = ?, last_attempt = ? WHERE id = 1 AND lease_until < ?")
      .run(owner, now + LEASE_MS, now, now);
    if (Number(claimed.changes) !== 1) return nothing(countPending(db, readExportCursor(db).sentThrough), true);
    try {
      return await sendBatches(db, owner, logsUrl(config.telemetry.export.endpoint), version, send);
    } finally {
      db.prepare("UPDATE telemetry_export SET lease_until = 0, lease_owner = NULL WHERE id = 1 AND lease_owner = ?").run(owner);
    }
  } finally {
    db.close();
  }
}

/** What an answer means for the batch: sent, dropped for good, or kept for the next send. */
function verdict(status: number): "sent" | "dropped" | "kept" {
  if (status >= 200 && status < 300) return "sent";
  return DROPPED.has(status) ? "dropped" : "kept";
}

async function sendBatches(db: StateDb, owner: string, url: URL, version: string, send: Send): Promise<ExportResult> {
  const headers = otlpHeaders();
  const result = nothing();
  // MAX() keeps the cursor from ever moving back; the owner check makes a lost lease a stop.
  const advance = db.prepare(
    `UPDATE telemetry_export SET sent_through = MAX(sent_through, ?), sent_total = sent_total + ?, last_sent = ?, last_error = ?,
       lease_until = ? WHERE id = 1 AND lease_owner = ?`,
  );
  while (result.requests < MAX_REQUESTS && result.error === null) {
    const batch = eventsAfter(db, readExportCursor(db).sentThrough, BATCH_SIZE);
    if (batch.length === 0) break;
    result.requests++;
    let status: number;
    try {
      status = (await send(url, otlpBody(batch, version), headers, AbortSignal.timeout(REQUEST_TIMEOUT_MS))).status;
    } catch (error) {
      result.error = failureClass(error);
      break;
    }
    const outcome = verdict(status);
    if (outcome === "kept") {
      result.error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
      break;
    }
    if (outcome === "sent") result.sent += batch.length;
    else {
      result.dropped += batch.length;
      result.error = `HTTP ${status}: ${batch.length} event(s) dropped`;
    }
    const moved = advance.run(
      (batch.at(-1) as TelemetryEvent).id,
      outcome === "sent" ? batch.length : 0,
      new Date().toISOString(),
      result.error,
      Date.now() + LEASE_MS,
      owner,
    );
    if (Number(moved.changes) !== 1) break; // the lease ran out and another sender has it
  }
  if (result.error !== null) db.prepare("UPDATE telemetry_export SET last_error = ? WHERE id = 1").run(result.error);
  result.pending = countPending(db, readExportCursor(db).sentThrough);
  return result;
}

/** One request's body; `br telemetry events --otlp` prints the same bodies. */
export function otlpBody(batch: readonly TelemetryEvent[], version: string): string {
  return JSON.stringify(otlpLogsRequest(batch, version));
}

/**
 * Confirms, on this machine, that the configured endpoint may receive the events, from the next
 * one recorded on (what was recorded before is not sent). Returns the last event id not sent.
 */
export function confirmExport(paths: ProjectPaths, endpoint: string): number {
  const db = openStateDb(paths);
  try {
    const last = Number((db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM telemetry").get() as { id: number }).id);
    db.prepare(
      "UPDATE telemetry_export SET confirmed_endpoint = ?, sent_through = MAX(sent_through, ?), last_error = NULL WHERE id = 1",
    ).run(endpoint, last);
    return last;
  } finally {
    db.close();
  }
}

/** Withdraws the confirmation: nothing more is sent until the user confirms again. */
export function withdrawExport(paths: ProjectPaths): void {
  const db = openStateDb(paths);
  try {
    db.prepare("UPDATE telemetry_export SET confirmed_endpoint = NULL WHERE id = 1").run();
  } finally {
    db.close();
  }
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
    // A read first: most commands find no send due and never take the write lock.
    const due = `confirmed_endpoint = ? AND lease_until < ? AND last_attempt <= ? AND EXISTS (SELECT 1 FROM telemetry WHERE id > sent_through)`;
    const args = [endpoint, now, now - intervalSeconds * 1000] as const;
    if (!db.prepare(`SELECT 1 FROM telemetry_export WHERE id = 1 AND ${due}`).get(...args)) return false;
    return Number(db.prepare(`UPDATE telemetry_export SET last_attempt = ? WHERE id = 1 AND ${due}`).run(now, ...args).changes) === 1;
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
