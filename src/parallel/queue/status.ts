/**
 * `br queue status`: what the shared queue holds for this project. Jobs by state, the workers that
 * reported in (and when last), the leases held now (which task, since when, until when), and what
 * every machine has spent.
 */
import type { JobWithMetadata } from "pg-boss";
import { redactQueueUrl } from "../../infra/queue-url.js";
import { connectQueue, SHARED_SCHEMA } from "./connection.js";
import type { TaskJob } from "./jobs.js";

export interface QueueStatus {
  url: string;
  queue: string;
  project: string;
  jobs: Record<string, number>;
  workers: { worker: string; machine: string; pid: number; state: string; task: string | null; seenSecondsAgo: number }[];
  leases: { task: string; job: string; lease: number; startedAt: string; expiresInSeconds: number; heartbeatSecondsAgo: number | null }[];
  ledger: { machine: string; attempts: number; costUsd: number }[];
}

const STATES = ["created", "retry", "active", "completed", "cancelled", "failed"] as const;

function leaseOf(job: JobWithMetadata<TaskJob>, now: number): QueueStatus["leases"][number] {
  const started = new Date(job.startedOn).getTime();
  return {
    task: job.data.task.id,
    job: job.id,
    lease: job.retryCount + 1,
    startedAt: new Date(started).toISOString(),
    expiresInSeconds: Math.max(0, Math.round((started + job.expireInSeconds * 1000 - now) / 1000)),
    heartbeatSecondsAgo: job.heartbeatOn ? Math.round((now - new Date(job.heartbeatOn).getTime()) / 1000) : null,
  };
}

export async function queueStatus(url: string, root: string): Promise<QueueStatus> {
  const connection = await connectQueue(url, root);
  try {
    const now = Date.now();
    // No run of this project has used the queue yet: nothing to list, which is no error.
    const exists = (await connection.boss.getQueue(connection.queue)) !== null;
    const jobs = exists ? await connection.boss.findJobs<TaskJob>(connection.queue, { limit: 100_000 }) : [];
    const counts: Record<string, number> = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const job of jobs) counts[job.state] = (counts[job.state] ?? 0) + 1;
    const workers = await connection.sql<{
      worker: string;
      machine: string;
      pid: number;
      state: string;
      task_id: string | null;
      ago: number;
    }>(
      `SELECT worker, machine, pid, state, task_id, extract(epoch FROM now() - seen_at)::float AS ago
         FROM ${SHARED_SCHEMA}.workers WHERE project = $1 ORDER BY seen_at DESC LIMIT 200`,
      [connection.project],
    );
    const ledger = await connection.sql<{ machine: string; attempts: string; cost: number }>(
      `SELECT machine, count(*) AS attempts, coalesce(sum(cost_usd), 0) AS cost FROM ${SHARED_SCHEMA}.attempts
        WHERE project = $1 GROUP BY machine ORDER BY machine`,
      [connection.project],
    );
    return {
      url: redactQueueUrl(url),
      queue: connection.queue,
      project: connection.project,
      jobs: counts,
      workers: workers.map((w) => ({
        worker: w.worker,
        machine: w.machine,
        pid: w.pid,
        state: w.state,
        task: w.task_id,
        seenSecondsAgo: Math.round(w.ago),
      })),
      leases: jobs.filter((j) => j.state === "active").map((j) => leaseOf(j, now)),
      ledger: ledger.map((l) => ({ machine: l.machine, attempts: Number(l.attempts), costUsd: Number(l.cost) })),
    };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
