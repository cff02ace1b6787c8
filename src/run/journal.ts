/**
 * The run journal in the machine-local SQLite database: every `br run` and every executor
 * attempt, with tokens, cost, duration, outcome and the verification. Each write is its own
 * transaction, so a kill -9 at any moment leaves every finished record intact.
 */
import { hostname } from "node:os";
import { isAlive } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { inTransaction, openStateDb, type StateDb } from "../infra/state-db.js";
import { verifiedOwners } from "../infra/verified-files.js";
import type { Usage } from "../routing/prices.js";

/** `setup` and `transient`: the agent could not work (see FailureClass); not counted as the task's attempts. */
export type AttemptOutcome = "running" | "passed" | "failed" | "interrupted" | "setup" | "transient";

export interface AttemptRow {
  id: number;
  run_id: number;
  task_id: string;
  feature_id: string;
  attempt: number;
  executor: string;
  model: string | null;
  tier: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  outcome: AttemptOutcome;
  reason: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
  cost_source: string | null;
  prompt_tokens: number | null;
  verification: string | null;
  changed_files: string | null;
  agent_pid: number | null;
  baseline: string | null;
  heartbeat_ms: number | null;
  /** The parallel stream that ran the attempt (its worktree), null for the main checkout. */
  stream: string | null;
  /** The process that ran the attempt when it was not the run's own (a stream's worker). */
  worker_pid: number | null;
  route_score?: number | null;
  route_reason?: string | null;
  /** The machine of an attempt copied in from a shared queue's ledger; null for this machine's own. */
  machine?: string | null;
}

export class Journal {
  /** Told of each attempt as it finishes: a queue worker copies it to the shared ledger. */
  onAttemptFinished?: (row: AttemptRow) => void;

  private constructor(private readonly db: StateDb) {}

  static open(paths: ProjectPaths): Journal {
    return new Journal(openStateDb(paths));
  }

  close(): void {
    this.db.close();
  }

  startRun(executor: string, options: Record<string, unknown>): number {
    const info = this.db
      .prepare("INSERT INTO runs (started_at, pid, host, executor, options) VALUES (?, ?, ?, ?, ?)")
      .run(new Date().toISOString(), process.pid, hostname(), executor, JSON.stringify(options));
    return Number(info.lastInsertRowid);
  }

  /** Adds to a run's recorded options (a queued run's key, by which other machines' attempts find it). */
  tagRun(runId: number, extra: Record<string, unknown>): void {
    this.db.prepare("UPDATE runs SET options = json_patch(options, ?) WHERE id = ?").run(JSON.stringify(extra), runId);
  }

  finishRun(runId: number, outcome: string): void {
    this.db.prepare("UPDATE runs SET finished_at = ?, outcome = ? WHERE id = ?").run(new Date().toISOString(), outcome, runId);
  }

  startAttempt(row: {
    runId: number;
    taskId: string;
    featureId: string;
    attempt: number;
    executor: string;
    model: string;
    tier: string;
    /** Why this tier: the complexity score and its reasons, and any escalation. */
    route: { score: number; reason: string };
    promptTokens: number;
    baseline: unknown;
    stream?: string;
  }): number {
    const info = this.db
      .prepare(
        "INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, route_score, route_reason, started_at, prompt_tokens, baseline, stream, worker_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        row.runId,
        row.taskId,
        row.featureId,
        row.attempt,
        row.executor,
        row.model,
        row.tier,
        row.route.score,
        row.route.reason,
        new Date().toISOString(),
        row.promptTokens,
        JSON.stringify(row.baseline),
        row.stream ?? null,
        row.stream ? process.pid : null,
      );
    return Number(info.lastInsertRowid);
  }

  recordAgentChanges(attemptId: number, files: { path: string; hash: string | null }[]): void {
    this.db.prepare("UPDATE attempts SET changed_files = ? WHERE id = ?").run(JSON.stringify(files), attemptId);
  }

  /** Marks the attempt as alive now (see AttemptRow.heartbeat_ms). */
  heartbeat(attemptId: number): void {
    this.db.prepare("UPDATE attempts SET heartbeat_ms = ? WHERE id = ?").run(Date.now(), attemptId);
  }

  setAgentPid(attemptId: number, pid: number): void {
    this.db.prepare("UPDATE attempts SET agent_pid = ? WHERE id = ?").run(pid, attemptId);
  }

  finishAttempt(
    attemptId: number,
    result: {
      outcome: AttemptOutcome;
      reason?: string;
      model?: string;
      usage?: Usage;
      costUsd: number;
      costSource: string;
      durationMs: number;
      verification: unknown;
      /** Each changed file with the hash of its verified content. */
      changedFiles: { path: string; hash: string | null }[];
    },
  ): void {
    const u = result.usage ?? { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
    this.db
      .prepare(
        `UPDATE attempts SET finished_at = ?, duration_ms = ?, outcome = ?, reason = ?, model = COALESCE(?, model),
           input_tokens = ?, output_tokens = ?, cache_write_tokens = ?, cache_read_tokens = ?, cost_usd = ?, cost_source = ?,
           verification = ?, changed_files = ? WHERE id = ?`,
      )
      .run(
        new Date().toISOString(),
        result.durationMs,
        result.outcome,
        result.reason ?? null,
        result.model ?? null,
        u.inputTokens,
        u.outputTokens,
        u.cacheWriteTokens,
        u.cacheReadTokens,
        result.costUsd,
        result.costSource,
        JSON.stringify(result.verification),
        JSON.stringify(result.changedFiles),
        attemptId,
      );
    if (this.onAttemptFinished) {
      const row = this.db.prepare("SELECT * FROM attempts WHERE id = ?").get(attemptId) as AttemptRow | undefined;
      if (row) this.onAttemptFinished(row);
    }
  }

  /**
   * The files each feature's verified attempts changed (path → feature id, the latest attempt
   * winning): the code that stands behind a feature built by `br run`, and whose it is.
   */
  verifiedFiles(): Map<string, string> {
    return verifiedOwners(this.db);
  }

  /** The latest attempts, newest first (this machine's and those copied from a shared ledger). */
  recentAttempts(limit: number): AttemptRow[] {
    return this.db.prepare("SELECT * FROM attempts ORDER BY id DESC LIMIT ?").all(limit) as unknown as AttemptRow[];
  }

  lastAttempt(taskId: string): AttemptRow | undefined {
    // This machine's own attempts: one copied from a shared queue's ledger is another machine's to recover.
    return this.db.prepare("SELECT * FROM attempts WHERE task_id = ? AND shared_key IS NULL ORDER BY id DESC LIMIT 1").get(taskId) as
      | AttemptRow
      | undefined;
  }

  /**
   * Attempts left `running` by a run whose process is gone (killed, crashed, power cut): they are
   * marked interrupted, and any agent they left behind is returned so it can be stopped.
   */
  recoverInterrupted(): { attempts: AttemptRow[]; orphanAgents: number[] } {
    const rows = this.db
      .prepare(
        "SELECT a.*, r.pid AS run_pid, r.host AS run_host FROM attempts a JOIN runs r ON r.id = a.run_id WHERE a.outcome = 'running'",
      )
      .all() as unknown as (AttemptRow & { run_pid: number; run_host: string })[];
    const dead = rows.filter((row) => row.run_host !== hostname() || !isAlive(row.worker_pid ?? row.run_pid));
    const mark = this.db.prepare(
      "UPDATE attempts SET outcome = 'interrupted', finished_at = ?, reason = 'br was interrupted' WHERE id = ?",
    );
    const markRun = this.db.prepare(
      "UPDATE runs SET outcome = 'interrupted', finished_at = COALESCE(finished_at, ?) WHERE id = ? AND outcome = 'running'",
    );
    const now = new Date().toISOString();
    inTransaction(this.db, () => {
      for (const row of dead) {
        mark.run(now, row.id);
        // A dead stream worker does not end the run its orchestrator is still driving.
        if (row.run_host !== hostname() || !isAlive(row.run_pid)) markRun.run(now, row.run_id);
      }
    });
    const orphanAgents = dead.map((row) => row.agent_pid).filter((pid): pid is number => pid !== null && isAlive(pid));
    return { attempts: dead, orphanAgents };
  }

  /** Dollars the run's attempts have cost so far, in every process that works for it. */
  runCost(runId: number): number {
    const row = this.db
      .prepare("SELECT COALESCE(SUM(cost_usd), 0) AS cost FROM attempts WHERE run_id = ? AND shared_key IS NULL")
      .get(runId) as { cost: number };
    return row.cost;
  }

  /** How many tasks the run has finished one way or the other (verified, or failed for good). */
  runTasksSettled(runId: number): number {
    const row = this.db
      .prepare(
        "SELECT COUNT(DISTINCT task_id) AS n FROM attempts WHERE run_id = ? AND outcome IN ('passed', 'failed') AND shared_key IS NULL",
      )
      .get(runId) as { n: number };
    return row.n;
  }

  /** The run's attempts, for a summary assembled from the journal (parallel runs). */
  runAttempts(runId: number): AttemptRow[] {
    return this.db
      .prepare("SELECT * FROM attempts WHERE run_id = ? AND shared_key IS NULL ORDER BY id")
      .all(runId) as unknown as AttemptRow[];
  }

  runOutcome(runId: number): string | undefined {
    return (this.db.prepare("SELECT outcome FROM runs WHERE id = ?").get(runId) as { outcome: string } | undefined)?.outcome;
  }

  /** Whether a live `br run` (other than this process) is recorded as running. */
  liveRun(): { id: number; pid: number } | undefined {
    const rows = this.db.prepare("SELECT id, pid, host FROM runs WHERE outcome = 'running'").all() as {
      id: number;
      pid: number;
      host: string;
    }[];
    return rows.find((r) => r.pid !== process.pid && r.host === hostname() && isAlive(r.pid));
  }
}
