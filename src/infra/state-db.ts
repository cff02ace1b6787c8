import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { usageError } from "./errors.js";
import type { ProjectPaths } from "./project.js";
import { loadSqlite } from "./sqlite.js";

/**
 * The machine-local state database (.buildrunner/state/state.db). SQLite in WAL mode, because
 * several br processes (parallel workers, the dashboard) write it at once. Each migration runs
 * once, in order, tracked by SQLite's user_version.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     kind TEXT NOT NULL,
     subject TEXT,
     data TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX events_kind_at ON events(kind, at);`,
  // The run journal: one row per `br run`, one per executor attempt.
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     executor TEXT NOT NULL,
     options TEXT NOT NULL DEFAULT '{}',
     outcome TEXT NOT NULL DEFAULT 'running'
   );
   CREATE TABLE attempts (
     id INTEGER PRIMARY KEY,
     run_id INTEGER NOT NULL REFERENCES runs(id),
     task_id TEXT NOT NULL,
     feature_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     executor TEXT NOT NULL,
     model TEXT,
     tier TEXT,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     duration_ms INTEGER,
     outcome TEXT NOT NULL DEFAULT 'running',
     reason TEXT,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cache_write_tokens INTEGER NOT NULL DEFAULT 0,
     cache_read_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL NOT NULL DEFAULT 0,
     cost_source TEXT,
     prompt_tokens INTEGER,
     verification TEXT,
     changed_files TEXT,
     agent_pid INTEGER
   );
   CREATE INDEX attempts_task ON attempts(task_id, id);
   CREATE INDEX attempts_outcome ON attempts(outcome);`,
  // The tree as it was before each attempt, so an interrupted one can be undone precisely.
  "ALTER TABLE attempts ADD COLUMN baseline TEXT;",
  // Every `br quality check`: the score's history and the coverage a later check must not drop below.
  `CREATE TABLE quality_runs (
     id INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     commit_sha TEXT,
     changed_since TEXT,
     passed INTEGER NOT NULL,
     score REAL NOT NULL,
     coverage REAL,
     gates TEXT NOT NULL
   );
   CREATE INDEX quality_runs_at ON quality_runs(at);`,
  // Why each attempt went to its tier: the complexity score and the reasons (escalation included).
  `ALTER TABLE attempts ADD COLUMN route_score INTEGER;
   ALTER TABLE attempts ADD COLUMN route_reason TEXT;
   CREATE INDEX attempts_started ON attempts(started_at);`,
  // When br last saw the attempt alive (ms): files changed well after it are the user's, not the agent's.
  "ALTER TABLE attempts ADD COLUMN heartbeat_ms INTEGER;",
  // Parallel builds: which stream ran an attempt, in which worker process; one row per stream.
  `ALTER TABLE attempts ADD COLUMN stream TEXT;
   ALTER TABLE attempts ADD COLUMN worker_pid INTEGER;
   CREATE TABLE streams (
     name TEXT PRIMARY KEY,
     path TEXT NOT NULL,
     branch TEXT NOT NULL,
     target TEXT NOT NULL,
     port INTEGER NOT NULL,
     status TEXT NOT NULL DEFAULT 'idle',
     task_id TEXT,
     base TEXT,
     commit_sha TEXT,
     worker_pid INTEGER,
     run_id INTEGER,
     last_result TEXT,
     combined TEXT,
     updated_at TEXT NOT NULL
   );`,
  // Telemetry (src/telemetry): events of the one versioned schema, and the feature thresholds already announced.
  `CREATE TABLE telemetry (
     id INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     kind TEXT NOT NULL,
     schema INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX telemetry_at ON telemetry(at);
   CREATE TABLE telemetry_alerts (threshold INTEGER PRIMARY KEY, at TEXT NOT NULL);`,
  // The optional telemetry exporter: how far it has sent, who holds the send (a lease), and how the last try went.
  // The endpoint is sent to only once this machine's user confirmed it: a cloned repository's config alone sends nothing.
  // Event ids become AUTOINCREMENT first, so an id is never reused after a purge and the send cursor stays true.
  `CREATE TABLE telemetry_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     kind TEXT NOT NULL,
     schema INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   INSERT INTO telemetry_events (id, at, kind, schema, data) SELECT id, at, kind, schema, data FROM telemetry;
   DROP TABLE telemetry;
   ALTER TABLE telemetry_events RENAME TO telemetry;
   CREATE INDEX telemetry_at ON telemetry(at);
   CREATE TABLE telemetry_export (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     confirmed_endpoint TEXT,
     sent_through INTEGER NOT NULL DEFAULT 0,
     sent_total INTEGER NOT NULL DEFAULT 0,
     lease_owner TEXT,
     lease_until INTEGER NOT NULL DEFAULT 0,
     last_attempt INTEGER NOT NULL DEFAULT 0,
     last_sent TEXT,
     last_error TEXT
   );
   INSERT INTO telemetry_export (id) VALUES (1);`,
  // Multi-machine runs: attempts copied in from the shared ledger carry their machine and a key that keeps each
  // copied once; each ledger read from has a cursor (its last sequence number copied).
  `ALTER TABLE attempts ADD COLUMN machine TEXT;
   ALTER TABLE attempts ADD COLUMN shared_key TEXT;
   CREATE UNIQUE INDEX attempts_shared_key ON attempts(shared_key);
   CREATE TABLE shared_ledger (source TEXT PRIMARY KEY, seq INTEGER NOT NULL);`,
];

export type StateDb = DatabaseSync;

/** Opens (creating if needed) a SQLite file with the settings every br connection shares. */
export function openSqlite(path: string): StateDb {
  const { DatabaseSync: Database } = loadSqlite();
  const db = new Database(path);
  db.exec("PRAGMA busy_timeout = 10000");
  return db;
}

/** Runs `work` in one write transaction: BEGIN IMMEDIATE takes the write lock up front, so no other writer slips in. */
export function inTransaction<T>(db: StateDb, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    rollbackQuietly(db);
    throw error;
  }
}

/**
 * Ends an open transaction, if SQLite has not already ended it (it does on some errors: a full
 * disk, I/O, RAISE(ROLLBACK)); the error that got here is the one worth reporting.
 */
export function rollbackQuietly(db: StateDb): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // no transaction was active
  }
}

/**
 * Whether an error is SQLite's "database is locked": SQLITE_BUSY (5) or one of its extended codes
 * (BUSY_RECOVERY 261, BUSY_SNAPSHOT 517, BUSY_TIMEOUT 773), which node:sqlite reports as they are.
 */
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && (code & 0xff) === 5;
}

function userVersion(db: StateDb): number {
  return Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
}

export function openStateDb(paths: ProjectPaths): StateDb {
  mkdirSync(paths.state, { recursive: true });
  const db = openSqlite(join(paths.state, "state.db"));
  try {
    enableWal(db);
    db.exec("PRAGMA synchronous = NORMAL");
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

const WAL_SWITCH_DEADLINE_MS = 10_000;

/**
 * Switches a new database to WAL (the mode persists in the file, so later opens only read it).
 * The switch needs an exclusive lock and SQLite does not run the busy handler for it, so processes
 * opening a new database at the same moment get "database is locked"; they retry until a deadline.
 */
function enableWal(db: StateDb): void {
  const deadline = Date.now() + WAL_SWITCH_DEADLINE_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    try {
      const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
      if (mode.journal_mode !== "wal") db.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() + pause > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

function migrate(db: StateDb): void {
  const version = userVersion(db);
  // docs/versioning.md: a later br's database may have tables this one would misread.
  if (version > MIGRATIONS.length)
    throw usageError(`The state database is at version ${version}, written by a newer br; this br knows version ${MIGRATIONS.length}.`, {
      file: ".buildrunner/state/state.db",
      fix: "Upgrade br (npm i -g buildrunner@latest), or move .buildrunner/state/ aside: it holds only this machine's history.",
    });
  if (version === MIGRATIONS.length) return;
  inTransaction(db, () => {
    // Re-read inside the write transaction: another process may have migrated meanwhile.
    for (let i = userVersion(db); i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i] as string);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}

export function recordEvent(paths: ProjectPaths, kind: string, subject: string | null, data: Record<string, unknown>): void {
  const db = openStateDb(paths);
  try {
    db.prepare("INSERT INTO events (at, kind, subject, data) VALUES (?, ?, ?, ?)").run(
      new Date().toISOString(),
      kind,
      subject,
      JSON.stringify(data),
    );
  } finally {
    db.close();
  }
}
