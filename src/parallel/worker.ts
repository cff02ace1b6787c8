/**
 * `br worker --stream <name>`: one stream's loop. It claims a ready task, resets its worktree to
 * the target's tip, runs the task through the same attempts and evidence as the sequential loop
 * (its worktree as the project's root), and integrates the verified commit before the next claim.
 */
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { type Config, loadConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { say, style, warn } from "../infra/log.js";
import { isAlive } from "../infra/process.js";
import { type ProjectPaths, streamPaths } from "../infra/project.js";
import { loadTasks } from "../plan/task-store.js";
import { isPaused, requestStop, stopReason } from "../run/control.js";
import { type ActiveRun, openStreamRun, type RunOptions, runStreamTask } from "../run/engine.js";
import { Journal } from "../run/journal.js";
import { completeFeatureIfVerified } from "../run/record.js";
import { claimTask } from "./claims.js";
import { type Integration, integrateStream, revParse } from "./integrate.js";
import { recoverStreams } from "./recover.js";
import { type StreamRow, StreamStore } from "./store.js";
import { resetWorktree, streamEnv } from "./worktree.js";

/** How often an idle worker looks again for work that other streams' integrations made ready. */
const POLL_MS = 200;
/** Every this many polls, a waiting worker settles claims whose worker died. */
const RECOVER_EVERY = 10;

export interface WorkerOptions extends RunOptions {
  stream: string;
  /** The orchestrator's run; a worker started by hand records its own. */
  runId?: number;
}

export interface WorkerReport {
  stream: string;
  runId: number;
  integrated: string[];
  failed: { id: string; reason: string }[];
  conflicts: { task: string; files: string[]; tasks: string[]; kept: string }[];
  waiting: { task: string; reason: string }[];
  stoppedBecause?: string;
  setupFailure?: { taskId: string; message: string; fix?: string };
  outage?: string;
  attempts: number;
  costUsd: number;
  /** How long each integration took (prediction, rebase or merge, moving the target), ms. */
  integrationMs: number[];
}

interface Worker {
  paths: ProjectPaths;
  config: Config;
  store: StreamStore;
  row: StreamRow;
  run: ActiveRun;
  report: WorkerReport;
}

export async function runWorker(paths: ProjectPaths, options: WorkerOptions): Promise<WorkerReport> {
  const config = (await loadConfig(paths)).config;
  const store = StreamStore.open(paths);
  const journal = Journal.open(paths);
  try {
    const row = store.get(options.stream);
    if (!row)
      throw usageError(`No stream named "${options.stream}".`, {
        fix: "Create streams with `br orchestrate --parallel --streams <n>` (br streams list shows them).",
      });
    if (row.worker_pid !== null && row.worker_pid !== process.pid && isAlive(row.worker_pid))
      throw usageError(`Stream ${row.name} already has a worker (process ${row.worker_pid}).`, {
        fix: "One worker per stream: wait for it, or pick another stream (br streams list).",
      });
    const runId = options.runId ?? journal.startRun(options.executor ?? config.run.executor, { worker: options.stream });
    Object.assign(process.env, streamEnv(row.name, row.port));
    store.update(row.name, { worker_pid: process.pid, run_id: runId });
    if (options.runId === undefined) await recoverStreams(paths, config, journal, store);
    const stream = { name: row.name, runId, ignoredBranches: [row.target, "br/"] };
    const run = await openStreamRun(streamPaths(paths, row.path), options, stream, journal);
    const report = emptyReport(row.name, runId);
    await workLoop({ paths, config, store, row, run, report });
    // What stops this stream for a reason that is not its task's stops the run's other streams too.
    if (run.summary.stoppedBecause) requestStop(paths.state, runId, run.summary.stoppedBecause);
    store.update(row.name, { worker_pid: null });
    if (options.runId === undefined) journal.finishRun(runId, report.failed.length ? "failed" : "finished");
    return finishReport(report, run);
  } finally {
    journal.close();
    store.close();
  }
}

function emptyReport(stream: string, runId: number): WorkerReport {
  return { stream, runId, integrated: [], failed: [], conflicts: [], waiting: [], attempts: 0, costUsd: 0, integrationMs: [] };
}

function finishReport(report: WorkerReport, run: ActiveRun): WorkerReport {
  const { summary } = run;
  report.failed.push(...summary.failed);
  report.attempts = summary.attempts;
  report.costUsd = summary.costUsd;
  if (summary.stoppedBecause && !report.stoppedBecause) report.stoppedBecause = summary.stoppedBecause;
  if (summary.setupFailure) report.setupFailure = summary.setupFailure;
  if (summary.outage) report.outage = summary.outage;
  return report;
}

async function workLoop(worker: Worker): Promise<void> {
  const { paths, store, row, run } = worker;
  const tip = () => revParse(paths.root, `refs/heads/${row.target}`) as string;
  for (let waits = 0; ; ) {
    if (budgetReached(run)) return;
    if (!(await nothingUnintegrated(worker))) return;
    if (await waitWhilePaused(paths, row.name, run.runId)) continue;
    const claim = await claimTask(paths, store, row.name, tip);
    if (claim === "none") {
      const stopped = stopReason(paths.state, run.runId);
      if (stopped && !run.summary.stoppedBecause) run.summary.stoppedBecause = stopped;
      return;
    }
    if (claim === "wait") {
      // Waiting on work another stream holds: if its worker died, its claim is settled here.
      if (++waits % RECOVER_EVERY === 0) await recoverStreams(paths, worker.config, run.journal, store);
      await planChanged(paths.tasks, RECOVER_EVERY * POLL_MS);
      continue;
    }
    waits = 0;
    resetWorktree(row.path, row.branch, claim.base);
    const outcome = await runStreamTask(run, claim.task);
    if (outcome === "passed") await integrateTask(worker, claim.task.id, claim.task.featureId);
    else store.update(row.name, { status: "idle", task_id: null, last_result: `${claim.task.id} ${outcome}` });
    if (run.summary.stoppedBecause) return;
  }
}

/**
 * Holds a paused stream before its next claim (its current task has finished). True when it
 * waited, so the loop looks at the budget and the plan again; a stop request ends the pause.
 */
async function waitWhilePaused(paths: ProjectPaths, stream: string, runId: number): Promise<boolean> {
  const holding = () => isPaused(paths.state, stream) && stopReason(paths.state, runId) === undefined;
  if (!holding()) return false;
  while (holding()) await sleep(POLL_MS);
  return true;
}

/** The run's limits, counted over every stream (one journal): its budget and its number of tasks. */
function budgetReached(run: ActiveRun): boolean {
  const { maxCost, maxTasks } = run.options;
  if (maxCost !== undefined && run.journal.runCost(run.runId) >= maxCost) {
    run.summary.stoppedBecause = `--max-cost $${maxCost} reached`;
    return true;
  }
  if (maxTasks !== undefined && run.journal.runTasksSettled(run.runId) >= maxTasks) {
    run.summary.stoppedBecause = `--max-tasks ${maxTasks} reached`;
    return true;
  }
  return false;
}

/** A stream holding a verified commit (its integration waited) integrates it before it takes other work, or stops. */
async function nothingUnintegrated(worker: Worker): Promise<boolean> {
  const current = worker.store.get(worker.row.name);
  if (current?.status !== "verified" || !current.task_id) return true;
  const task = (await loadTasks(worker.paths)).tasks.find((t) => t.id === current.task_id);
  if (!task) return true;
  await integrateTask(worker, task.id, task.featureId);
  return worker.store.get(worker.row.name)?.status !== "verified";
}

/** Waits until the plan file changes (a task finished or was claimed), or at most `limitMs`: polling a stat is cheap, a claim is not. */
async function planChanged(file: string, limitMs: number): Promise<void> {
  const stamp = () => {
    try {
      const s = statSync(file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return "";
    }
  };
  const before = stamp();
  const until = Date.now() + limitMs;
  do await sleep(POLL_MS / 4);
  while (stamp() === before && Date.now() < until);
}

async function integrateTask(worker: Worker, taskId: string, featureId: string): Promise<void> {
  const { paths, config, store, row, run, report } = worker;
  store.update(row.name, { status: "verified", commit_sha: revParse(row.path, "HEAD") ?? null });
  const started = Date.now();
  const result: Integration = await integrateStream(paths, config, store, row.name);
  report.integrationMs.push(Date.now() - started);
  if (result.kind === "integrated" || result.kind === "present") {
    report.integrated.push(taskId);
    run.summary.done.push(taskId);
    say(`  ${style.green("⇢ integrated")} ${taskId} into ${row.target}`);
    // Checked in the stream's worktree, which holds the target as integrated: the main checkout moves under other streams' merges.
    if (await completeFeatureIfVerified(streamPaths(paths, row.path), config, featureId))
      say(`  ${style.green("✓")} feature ${featureId} complete`);
  } else if (result.kind === "conflict") {
    report.conflicts.push({ task: taskId, files: result.files, tasks: result.tasks, kept: result.kept });
    warn(
      `${taskId} conflicts with ${result.tasks.slice(1).join(", ") || row.target} in ${result.files.join(", ")}; its commit is kept on ${result.kept}`,
    );
  } else {
    report.waiting.push({ task: taskId, reason: result.reason });
    report.stoppedBecause = `${taskId} is verified but cannot be integrated: ${result.reason}`;
    run.summary.stoppedBecause = report.stoppedBecause;
  }
}
