/**
 * What travels through the queue: a job per task to run (what a worker needs to build it on any
 * machine), its result (where the verified commit was pushed), and the shared ledger of attempts
 * every machine writes to, so a run's cost and `--max-cost` count all of them.
 */
import { hostname } from "node:os";
import { nodeCrypto } from "../../infra/crypto.js";
import type { Task } from "../../plan/task.js";
import type { AttemptRow } from "../../run/journal.js";
import { type QueueConnection, SHARED_SCHEMA } from "./connection.js";

export interface TaskJob {
  project: string;
  runKey: string;
  task: Task;
  /** The target's commit the task is built on (pushed to the shared remote before the job is sent). */
  base: string;
  target: string;
  executor?: string;
  maxTaskCost?: number;
}

export type TaskResult =
  | { outcome: "passed"; branch: string; commit: string; worker: string; machine: string; attempts: number; costUsd: number }
  | { outcome: "failed" | "stopped"; reason: string; worker: string; machine: string; attempts: number; costUsd: number };

/**
 * The job's id, the same for the same run, task and round: sending it again (an orchestrator that
 * was restarted) adds nothing, as pg-boss keeps the first job with an id.
 */
export function jobId(runKey: string, taskId: string, round: number): string {
  const hex = nodeCrypto().createHash("sha256").update(`${runKey}\0${taskId}\0${round}`).digest("hex");
  // A version 4 layout (pg-boss stores ids as uuid).
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The branch of the shared remote a worker pushes a verified commit to: per run, task and lease, so a retried job never overwrites. */
export function resultBranch(runKey: string, taskId: string, retry: number): string {
  // The run's own part of the key (its number and random suffix), not the project's.
  const run = runKey.split("-").slice(1).join("-") || runKey;
  return `br/queue/${run}/${taskId}-${retry}`;
}

/**
 * The machine's name in the ledger and in `br queue status`: BR_MACHINE when set (a CI runner's or
 * container's hostname is often random; a label such as "ci-linux-3" says more), else the hostname.
 */
export function machineLabel(env: NodeJS.ProcessEnv = process.env): string {
  const label = env.BR_MACHINE?.trim();
  return label ? label.slice(0, 100) : hostname();
}

let token: string | undefined;

/**
 * This process's name among the workers: machine, pid and a token drawn once per process. The
 * token keeps two lives of one pid apart (a container's worker is often pid 1 on every start), so
 * the ledger never takes a new worker's attempt for an old one's.
 */
export function workerName(): string {
  token ??= nodeCrypto().randomBytes(3).toString("hex");
  return `${machineLabel()}-${process.pid}-${token}`;
}

/** Records a finished attempt in the shared ledger; the same attempt recorded twice stays one row. */
export async function recordAttempt(
  connection: QueueConnection,
  job: { runKey: string; jobId: string },
  row: AttemptRow,
  worker: string,
): Promise<void> {
  await connection.sql(
    `INSERT INTO ${SHARED_SCHEMA}.attempts (project, run_key, job_id, task_id, attempt, machine, worker, local_id, executor, model, tier,
       outcome, reason, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd, duration_ms, started_at, finished_at,
       feature_id, cost_source, prompt_tokens, route_score, route_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
     ON CONFLICT (project, worker, local_id) DO NOTHING`,
    [
      connection.project,
      job.runKey,
      job.jobId,
      row.task_id,
      row.attempt,
      machineLabel(),
      worker,
      row.id,
      row.executor,
      row.model,
      row.tier,
      row.outcome,
      row.reason?.slice(0, 500) ?? null,
      row.input_tokens,
      row.output_tokens,
      row.cache_write_tokens,
      row.cache_read_tokens,
      row.cost_usd,
      row.duration_ms,
      row.started_at,
      row.finished_at ?? new Date().toISOString(),
      row.feature_id,
      row.cost_source,
      row.prompt_tokens,
      row.route_score ?? null,
      row.route_reason ?? null,
    ],
  );
}

export interface LedgerTotals {
  attempts: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  byMachine: { machine: string; attempts: number; costUsd: number }[];
}

/** What a run has spent on every machine. */
export async function runTotals(connection: QueueConnection, runKey: string): Promise<LedgerTotals> {
  const rows = await connection.sql<{ machine: string; attempts: string; cost: number; input: string; output: string }>(
    `SELECT machine, count(*) AS attempts, coalesce(sum(cost_usd), 0) AS cost,
            coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output
       FROM ${SHARED_SCHEMA}.attempts WHERE project = $1 AND run_key = $2 GROUP BY machine ORDER BY machine`,
    [connection.project, runKey],
  );
  const byMachine = rows.map((r) => ({ machine: r.machine, attempts: Number(r.attempts), costUsd: Number(r.cost) }));
  return {
    attempts: byMachine.reduce((n, r) => n + r.attempts, 0),
    costUsd: byMachine.reduce((n, r) => n + r.costUsd, 0),
    inputTokens: rows.reduce((n, r) => n + Number(r.input), 0),
    outputTokens: rows.reduce((n, r) => n + Number(r.output), 0),
    byMachine,
  };
}

/** A worker's presence: written when it starts, at each task and each heartbeat; `br queue status` lists them. */
export async function markWorker(connection: QueueConnection, worker: string, state: string, taskId: string | null): Promise<void> {
  await connection.sql(
    `INSERT INTO ${SHARED_SCHEMA}.workers (project, worker, machine, pid, state, task_id) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (project, worker) DO UPDATE SET seen_at = now(), state = EXCLUDED.state, task_id = EXCLUDED.task_id`,
    [connection.project, worker, machineLabel(), process.pid, state, taskId],
  );
}
