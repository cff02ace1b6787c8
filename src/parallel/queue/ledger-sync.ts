/**
 * Every machine's attempts in this machine's journal. The shared ledger's rows this journal has not
 * got yet are copied into its attempts, labelled with the machine that made them, so `br status`,
 * `br model stats`, `br telemetry report` and the dashboard read one journal holding the whole
 * team's work, with the queries they already have. A cursor per ledger (its last sequence number)
 * keeps the copy incremental, and a key per attempt keeps it idempotent: two br processes copying
 * at once, or a copy cut short by a kill, never count an attempt twice.
 */
import { nodeCrypto } from "../../infra/crypto.js";
import type { ProjectPaths } from "../../infra/project.js";
import { redactQueueUrl } from "../../infra/queue-url.js";
import { inTransaction, openStateDb, type StateDb } from "../../infra/state-db.js";
import { connectQueue, type QueueConnection, SHARED_SCHEMA } from "./connection.js";

/** A page of the ledger: large enough that a day's work is one or two round trips. */
const PAGE = 5000;
/**
 * Sequence numbers are drawn at insert and become visible at commit, which two workers may do in
 * the other order: each read goes back this far behind the cursor, so a row committed late is still
 * copied (the key of each attempt keeps the rows read again from counting twice).
 */
export const OVERLAP = 1000;

export interface SharedAttempt {
  seq: string;
  run_key: string;
  task_id: string;
  feature_id: string | null;
  attempt: number;
  machine: string;
  worker: string;
  local_id: string;
  executor: string | null;
  model: string | null;
  tier: string | null;
  outcome: string;
  reason: string | null;
  input_tokens: string;
  output_tokens: string;
  cache_write_tokens: string;
  cache_read_tokens: string;
  cost_usd: number;
  cost_source: string | null;
  prompt_tokens: string | null;
  route_score: number | null;
  route_reason: string | null;
  duration_ms: string | null;
  started_at: Date | string | null;
  finished_at: Date | string;
}

/** The cursor's name for a ledger: the server (without credentials) and the project, hashed. */
function sourceOf(connection: QueueConnection): string {
  return nodeCrypto()
    .createHash("sha256")
    .update(`${redactQueueUrl(connection.url)}\0${connection.project}`)
    .digest("hex")
    .slice(0, 16);
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** The journal's run for a queued run: the orchestrator's own when it ran here, else one row standing for it. */
function runFor(db: StateDb, row: SharedAttempt, runs: Map<string, number>): number {
  const known = runs.get(row.run_key);
  if (known !== undefined) return known;
  const found = db.prepare("SELECT id FROM runs WHERE json_extract(options, '$.queueRunKey') = ? ORDER BY id LIMIT 1").get(row.run_key) as
    | { id: number }
    | undefined;
  const id =
    found?.id ??
    Number(
      db
        .prepare(
          "INSERT INTO runs (started_at, finished_at, pid, host, executor, options, outcome) VALUES (?, ?, 0, 'queue', ?, ?, 'remote')",
        )
        .run(
          iso(row.started_at) ?? iso(row.finished_at),
          iso(row.finished_at),
          row.executor ?? "unknown",
          JSON.stringify({ queueRunKey: row.run_key }),
        ).lastInsertRowid,
    );
  runs.set(row.run_key, id);
  return id;
}

/** Copies rows into the journal in one transaction, moving the cursor with them; returns how many were new. */
export function copyIntoJournal(db: StateDb, source: string, rows: readonly SharedAttempt[]): number {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, started_at, finished_at, duration_ms,
       outcome, reason, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd, cost_source, prompt_tokens,
       route_score, route_reason, machine, shared_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const runs = new Map<string, number>();
  let copied = 0;
  inTransaction(db, () => {
    for (const r of rows) {
      const finished = iso(r.finished_at) as string;
      copied += Number(
        insert.run(
          runFor(db, r, runs),
          r.task_id,
          r.feature_id ?? "",
          r.attempt,
          r.executor ?? "unknown",
          r.model,
          r.tier,
          iso(r.started_at) ?? finished,
          finished,
          r.duration_ms === null ? null : Number(r.duration_ms),
          r.outcome,
          r.reason,
          Number(r.input_tokens),
          Number(r.output_tokens),
          Number(r.cache_write_tokens),
          Number(r.cache_read_tokens),
          r.cost_usd,
          r.cost_source,
          r.prompt_tokens === null ? null : Number(r.prompt_tokens),
          r.route_score,
          r.route_reason,
          r.machine,
          `${r.worker}/${r.local_id}`,
        ).changes,
      );
    }
    const last = rows.at(-1);
    if (last)
      db.prepare(
        "INSERT INTO shared_ledger (source, seq) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET seq = max(seq, excluded.seq)",
      ).run(source, Number(last.seq));
  });
  return copied;
}

function cursorOf(db: StateDb, source: string): number {
  return (db.prepare("SELECT seq FROM shared_ledger WHERE source = ?").get(source) as { seq: number } | undefined)?.seq ?? 0;
}

/** Copies what the shared ledger holds beyond this journal's cursor, page by page; returns how many attempts were new here. */
export async function pullLedger(paths: ProjectPaths, connection: QueueConnection): Promise<number> {
  const source = sourceOf(connection);
  const db = openStateDb(paths);
  try {
    let copied = 0;
    for (;;) {
      const rows = await connection.sql<SharedAttempt>(
        `SELECT * FROM ${SHARED_SCHEMA}.attempts WHERE project = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
        [connection.project, Math.max(0, cursorOf(db, source) - OVERLAP)],
      );
      copied += copyIntoJournal(db, source, rows);
      // A full page moves the cursor by more than the overlap, so the next read starts further on.
      if (rows.length < PAGE) return copied;
    }
  } finally {
    db.close();
  }
}

/**
 * For a command that reads the journal (`br status`, `br model stats`): the other machines' work
 * copied in first. A server that cannot be reached is a warning, not a failure: the command shows
 * what this machine knows.
 */
export async function pullLedgerFrom(paths: ProjectPaths, url: string): Promise<{ copied: number } | { error: string }> {
  let connection: QueueConnection | undefined;
  try {
    connection = await connectQueue(url, paths.root, undefined, { observe: true });
    return { copied: await pullLedger(paths, connection) };
  } catch (error) {
    return { error: redactQueueUrl((error as Error).message) };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * For a long-lived reader (the dashboard): the ledger copied in every `everyMs` over one connection,
 * made again after a failure, which is told once per outage.
 */
export function followLedger(paths: ProjectPaths, url: string, everyMs: number, onError: (message: string) => void): void {
  let connection: QueueConnection | undefined;
  let failing = false;
  const pull = async (): Promise<void> => {
    try {
      connection ??= await connectQueue(url, paths.root, undefined, { observe: true });
      await pullLedger(paths, connection);
      failing = false;
    } catch (error) {
      if (!failing) onError(redactQueueUrl((error as Error).message));
      failing = true;
      await connection?.close().catch(() => undefined);
      connection = undefined;
    }
    setTimeout(pull, everyMs).unref();
  };
  void pull();
}
