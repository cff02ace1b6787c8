/**
 * Telemetry events in the machine-local state database, only while telemetry is on: off means
 * nothing is recorded. Old events are pruned as new ones arrive, so the store stays small.
 */
import type { Config } from "../infra/config.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb, type StateDb } from "../infra/state-db.js";
import { displayEndpoint } from "./otlp.js";
import { type EventKind, sanitize, TELEMETRY_SCHEMA } from "./schema.js";
import { environmentSwitch, type TelemetrySwitch } from "./switch.js";

export interface TelemetryEvent {
  id: number;
  at: string;
  kind: EventKind;
  schema: number;
  data: Record<string, unknown>;
}

export { EXPORTING_ENV, environmentSwitch, type TelemetrySwitch } from "./switch.js";

export function telemetrySwitch(
  config: { telemetry: { enabled: boolean } },
  env: NodeJS.ProcessEnv = process.env,
): TelemetrySwitch | undefined {
  return environmentSwitch(env) ?? (config.telemetry.enabled ? undefined : "config.yaml (telemetry.enabled: false)");
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY = 50;

function pruneTelemetry(db: ReturnType<typeof openStateDb>, before: number): number {
  return Number(db.prepare("DELETE FROM telemetry WHERE at < ?").run(new Date(before).toISOString()).changes);
}

/**
 * Records one event when telemetry is on; returns whether it did. It never throws: a database
 * that cannot be written (busy past its timeout, a full disk) costs the event, not the command.
 */
export function recordTelemetry(
  paths: ProjectPaths,
  config: Pick<Config, "telemetry">,
  kind: EventKind,
  data: Record<string, unknown>,
): boolean {
  if (telemetrySwitch(config)) return false;
  try {
    return insertEvent(paths, config, kind, data);
  } catch {
    return false;
  }
}

function insertEvent(paths: ProjectPaths, config: Pick<Config, "telemetry">, kind: EventKind, data: Record<string, unknown>): boolean {
  const db = openStateDb(paths);
  try {
    const now = Date.now();
    const { lastInsertRowid } = db
      .prepare("INSERT INTO telemetry (at, kind, schema, data) VALUES (?, ?, ?, ?)")
      .run(new Date(now).toISOString(), kind, TELEMETRY_SCHEMA, JSON.stringify(sanitize(kind, data)));
    // Pruning every so many events keeps the store small without a delete on every command.
    if (Number(lastInsertRowid) % PRUNE_EVERY === 1) pruneTelemetry(db, now - config.telemetry.retentionDays * DAY_MS);
    return true;
  } finally {
    db.close();
  }
}

export function readTelemetry(paths: ProjectPaths, since?: string): TelemetryEvent[] {
  const db = openStateDb(paths);
  try {
    const rows = db
      .prepare(`SELECT id, at, kind, schema, data FROM telemetry ${since ? "WHERE at >= ?" : ""} ORDER BY id`)
      .all(...(since ? [since] : [])) as { id: number; at: string; kind: EventKind; schema: number; data: string }[];
    return rows.map((r) => ({ id: r.id, at: r.at, kind: r.kind, schema: r.schema, data: parseData(r.data) }));
  } finally {
    db.close();
  }
}

/** How far the exporter has sent, and how its last try went (one row, created by the migration). */
export interface ExportCursor {
  /** The endpoint this machine's user confirmed (`br telemetry enable --export`), if any. */
  confirmedEndpoint: string | null;
  sentThrough: number;
  sentTotal: number;
  lastSent: string | null;
  lastError: string | null;
}

export function readExportCursor(db: StateDb): ExportCursor {
  const row = db
    .prepare("SELECT confirmed_endpoint, sent_through, sent_total, last_sent, last_error FROM telemetry_export WHERE id = 1")
    .get() as {
    confirmed_endpoint: string | null;
    sent_through: number;
    sent_total: number;
    last_sent: string | null;
    last_error: string | null;
  };
  return {
    confirmedEndpoint: row.confirmed_endpoint,
    sentThrough: Number(row.sent_through),
    sentTotal: Number(row.sent_total),
    lastSent: row.last_sent,
    lastError: row.last_error,
  };
}

export const countPending = (db: StateDb, after: number) =>
  Number((db.prepare("SELECT COUNT(*) AS n FROM telemetry WHERE id > ?").get(after) as { n: number }).n);

/** Up to `limit` events after the id `after`, oldest first. */
export function eventsAfter(db: StateDb, after: number, limit: number): TelemetryEvent[] {
  const rows = db.prepare("SELECT id, at, kind, schema, data FROM telemetry WHERE id > ? ORDER BY id LIMIT ?").all(after, limit) as {
    id: number;
    at: string;
    kind: EventKind;
    schema: number;
    data: string;
  }[];
  return rows.map((r) => ({ ...r, data: parseData(r.data) }));
}

/** A row's data; a row that is not JSON (a damaged file) reads as empty rather than stopping every later read. */
function parseData(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The events the exporter has not sent yet (`br telemetry events --pending`). */
export function pendingEvents(paths: ProjectPaths): TelemetryEvent[] {
  const db = openStateDb(paths);
  try {
    return eventsAfter(db, readExportCursor(db).sentThrough, Number.MAX_SAFE_INTEGER);
  } finally {
    db.close();
  }
}

/** Feature counts at which analytics become worth running, and what to run. */
export const THRESHOLDS = [
  { features: 30, advice: "`br telemetry report` now has enough tasks to show pass rates and cost per task by kind" },
  { features: 100, advice: "`br model advise --from-ledger` can now say which task kinds should skip the ladder's first step" },
  { features: 500, advice: "consider parallel streams (`br run --parallel`) and pruning old events (telemetry.retentionDays)" },
] as const;

/**
 * The thresholds the project has newly reached, each returned once ever: the row's primary key
 * makes two processes crossing one at the same moment report it once.
 */
export function newThresholds(
  paths: ProjectPaths,
  config: Pick<Config, "telemetry">,
  countFeatures: () => number,
): (typeof THRESHOLDS)[number][] {
  if (telemetrySwitch(config)) return [];
  const db = openStateDb(paths);
  try {
    // Once every threshold is announced, the registry is not even counted (a large one costs a read).
    const announced = new Set(
      db
        .prepare("SELECT threshold FROM telemetry_alerts")
        .all()
        .map((row) => Number(row.threshold)),
    );
    if (THRESHOLDS.every((t) => announced.has(t.features))) return [];
    const features = countFeatures();
    const reached = THRESHOLDS.filter((t) => features >= t.features && !announced.has(t.features));
    const insert = db.prepare("INSERT OR IGNORE INTO telemetry_alerts (threshold, at) VALUES (?, ?)");
    return reached.filter((t) => Number(insert.run(t.features, new Date().toISOString()).changes) === 1);
  } finally {
    db.close();
  }
}

export interface TelemetryStatus {
  enabled: boolean;
  /** What turned it off, when it is off. */
  disabledBy: TelemetrySwitch | null;
  schema: number;
  events: number;
  oldest: string | null;
  retentionDays: number;
  /** The exporter, when an endpoint is configured. */
  exporter: ExporterStatus | null;
}

export interface ExporterStatus {
  /** The logs URL. */
  endpoint: string;
  /** Whether this machine's user confirmed the endpoint (`br telemetry enable --export`); unconfirmed, nothing is sent. */
  confirmed: boolean;
  intervalSeconds: number;
  pending: number;
  sentTotal: number;
  lastSentAt: string | null;
  lastError: string | null;
}

function exporterStatus(db: StateDb, config: Pick<Config, "telemetry">): ExporterStatus | null {
  const { endpoint, intervalSeconds } = config.telemetry.export;
  if (endpoint === undefined) return null;
  const cursor = readExportCursor(db);
  return {
    endpoint: displayEndpoint(endpoint),
    confirmed: cursor.confirmedEndpoint === endpoint,
    intervalSeconds,
    pending: countPending(db, cursor.sentThrough),
    sentTotal: cursor.sentTotal,
    lastSentAt: cursor.lastSent,
    lastError: cursor.lastError,
  };
}

export function telemetryStatus(paths: ProjectPaths, config: Pick<Config, "telemetry">): TelemetryStatus {
  const disabledBy = telemetrySwitch(config) ?? null;
  const db = openStateDb(paths);
  try {
    const row = db.prepare("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM telemetry").get() as { n: number; oldest: string | null };
    return {
      enabled: disabledBy === null,
      disabledBy,
      schema: TELEMETRY_SCHEMA,
      events: Number(row.n),
      oldest: row.oldest,
      retentionDays: config.telemetry.retentionDays,
      exporter: exporterStatus(db, config),
    };
  } finally {
    db.close();
  }
}

/** Deletes every stored event (`br telemetry disable --purge`); returns how many there were. */
export function purgeTelemetry(paths: ProjectPaths): number {
  const db = openStateDb(paths);
  try {
    return Number(db.prepare("DELETE FROM telemetry").run().changes);
  } finally {
    db.close();
  }
}
