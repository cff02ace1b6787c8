/**
 * One queued task, built in a process of its own (`br worker --job-process`, started by a queue
 * worker for each job). The worker's own process only talks to PostgreSQL: its event loop stays
 * free for the lease's heartbeats however long a git hook, a check or a scan holds this one, and
 * a cancelled or lapsed job ends this process without touching the worker. This process never
 * connects to the queue: it gets the job over IPC, and sends back each finished attempt (for the
 * shared ledger) and the result.
 */
import type { Config } from "../../infra/config.js";
import { loadConfig } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { git } from "../../infra/git.js";
import { say, style } from "../../infra/log.js";
import { type ProjectPaths, projectPaths, streamPaths } from "../../infra/project.js";
import { transitionTask } from "../../plan/scheduler.js";
import { openStreamRun, runStreamTask } from "../../run/engine.js";
import { type AttemptRow, Journal } from "../../run/journal.js";
import { revParse } from "../integrate.js";
import { ensureStreams } from "../orchestrate.js";
import { type StreamRow, StreamStore } from "../store.js";
import { resetWorktree, streamEnv } from "../worktree.js";
import { machineLabel, resultBranch, type TaskJob, type TaskResult } from "./jobs.js";

/** What the worker sends its job process. */
export interface JobOrder {
  job: { id: string; retryCount: number; data: TaskJob };
  clone: string;
  worker: string;
  executor?: string;
}

/** What a job process sends back, for a job: each attempt as it finishes, then the result. */
export type JobMessage = { jobId: string } & ({ attempt: AttemptRow } | { result: TaskResult } | { error: string });

/**
 * The project's config as the clone has it, with the worktrees beside the clone: a worktreeDir set
 * for the orchestrator's machine would put every worker's worktree in the same place.
 */
export async function cloneConfig(paths: ProjectPaths): Promise<Config> {
  const config = (await loadConfig(paths)).config;
  config.parallel.worktreeDir = `${paths.root}.br-streams`;
  return config;
}

/** The clone at the job's base: the target fetched, and the clone's own checkout (its plan and config) moved there. */
function checkoutBase(root: string, job: TaskJob): void {
  const fetched = git(root, ["fetch", "-q", "origin", `+refs/heads/${job.target}:refs/remotes/origin/${job.target}`], 10 * 60_000);
  if (fetched.code !== 0) throw new Error(`git fetch of ${job.target} failed: ${fetched.stderr.trim()}`);
  if (!revParse(root, job.base)) git(root, ["fetch", "-q", "origin", job.base], 10 * 60_000);
  const moved = git(root, ["checkout", "-q", "-f", "-B", job.target, job.base]);
  if (moved.code !== 0) throw new Error(`the base ${job.base.slice(0, 10)} of ${job.task.id} is not in the remote: ${moved.stderr.trim()}`);
}

function slotIndex(): number {
  const slot = Number(process.env.BR_QUEUE_SLOT);
  return Number.isInteger(slot) && slot >= 0 ? slot : 0;
}

/** Builds the task in the clone's stream and tells what came of it; the verified commit is pushed first. */
async function buildTask(
  order: JobOrder,
  journal: Journal,
  store: StreamStore,
  send: (m: JobMessage) => Promise<void>,
): Promise<TaskResult> {
  const { data } = order.job;
  const paths = projectPaths(order.clone);
  checkoutBase(paths.root, data);
  // The clone's config and plan are the base's: read for each task.
  const config = await cloneConfig(paths);
  const [row] = ensureStreams(paths, config, store, 1, data.target) as [StreamRow];
  // Workers of one `--concurrency n` share a machine: each gets its own block of ports.
  Object.assign(process.env, streamEnv(row.name, row.port + 10 * slotIndex()));
  const runId = journal.startRun(data.executor ?? config.run.executor, { worker: order.worker, queue: true, job: order.job.id });
  const executor = data.executor ?? order.executor;
  const options = {
    auto: true,
    dryRun: false,
    ...(executor ? { executor } : {}),
    ...(data.maxTaskCost !== undefined ? { maxTaskCost: data.maxTaskCost } : {}),
  };
  const run = await openStreamRun(
    streamPaths(paths, row.path),
    options,
    { name: row.name, runId, ignoredBranches: [data.target, "br/"] },
    journal,
  );
  resetWorktree(row.path, row.branch, data.base);
  await transitionTask(paths, data.task.id, "start", { force: true }).catch(() => undefined);
  journal.onAttemptFinished = (attempt) => void send({ jobId: order.job.id, attempt });
  const outcome = await runStreamTask(run, data.task);
  journal.finishRun(runId, outcome === "passed" ? "finished" : "failed");
  const who = { worker: order.worker, machine: machineLabel(), attempts: run.summary.attempts, costUsd: run.summary.costUsd };
  if (outcome === "passed") {
    const commit = revParse(row.path, "HEAD") as string;
    const branch = resultBranch(data.runKey, data.task.id, order.job.retryCount);
    const pushed = git(paths.root, ["push", "-q", "origin", `+${commit}:refs/heads/${branch}`], 10 * 60_000);
    if (pushed.code !== 0) throw new Error(`git push of the verified commit failed: ${pushed.stderr.trim()}`);
    say(`  ${style.green("⇡ pushed")} ${data.task.id} (${commit.slice(0, 10)}) to ${branch}`);
    return { outcome: "passed", branch, commit, ...who };
  }
  const failed = run.summary.failed.find((f) => f.id === data.task.id);
  const stopped = run.summary.stoppedBecause;
  if (!failed && stopped) return { outcome: "stopped", reason: stopped, ...who };
  return { outcome: "failed", reason: failed?.reason ?? outcome, ...who };
}

/** The job process's main: orders in, one at a time, each answered with its attempts and result; it ends with its worker. */
export async function runJobProcess(): Promise<void> {
  if (!process.send)
    throw usageError("br worker --job-process is started by br worker --queue, over a channel a shell cannot give it.", {
      fix: "Run br worker --queue <url> instead.",
    });
  // Sent in order over one channel; a result is awaited so the next order starts after it left.
  const send = (message: JobMessage) =>
    new Promise<void>((done) => {
      if (!process.send?.(message, undefined, {}, () => done())) done();
    });
  let busy = false;
  // The worker went away (killed, or its machine): nobody would report a task, so stop building it.
  process.on("disconnect", () => (busy ? process.kill(process.pid, "SIGTERM") : process.exit(0)));
  const orders: JobOrder[] = [];
  let wake: (() => void) | undefined;
  process.on("message", (order: JobOrder) => {
    orders.push(order);
    wake?.();
  });
  for (;;) {
    const order = orders.shift() ?? (await new Promise<void>((done) => (wake = done)).then(() => orders.shift()));
    if (!order) continue;
    busy = true;
    try {
      await send({ jobId: order.job.id, result: await buildOne(order, send) });
    } catch (error) {
      // The job fails with the reason (pg-boss retries it); this process takes the next order.
      await send({ jobId: order.job.id, error: (error as Error).message });
    }
    busy = false;
  }
}

async function buildOne(order: JobOrder, send: (m: JobMessage) => Promise<void>): Promise<TaskResult> {
  const paths = projectPaths(order.clone);
  const journal = Journal.open(paths);
  const store = StreamStore.open(paths);
  try {
    return await buildTask(order, journal, store, send);
  } finally {
    store.close();
    journal.close();
  }
}
