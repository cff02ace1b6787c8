/**
 * The build engine both paths share: a run's context, one task's attempts until one is verified
 * (or attempts, budget or an outage end them), and a stream worker's entry points. The steps are
 * modules of their own: prepare.ts (prompt, baseline, journal row), attempt.ts (the agent and the
 * evidence), record.ts (accounting, commit or revert, the task's end).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Config, loadConfig } from "../infra/config.js";
import { say, style } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import type { Task } from "../plan/task.js";
import { type RoutedTask, routeTask } from "../routing/ladder.js";
import type { Usage } from "../routing/prices.js";
import { taskText } from "../routing/tiers.js";
import { runAttempt } from "./attempt.js";
import { stopReason } from "./control.js";
import { executorPool } from "./executors/index.js";
import type { Executor } from "./executors/types.js";
import type { Journal } from "./journal.js";
import type { EarlierAttempt } from "./prompt.js";
import { settleTask } from "./record.js";
import type { Recovered } from "./recover.js";
import { checkExecutor, manualEvidence } from "./start.js";
import { loadTokenizer } from "./tokens.js";
import type { TreeSnapshot } from "./tree.js";
import type { Verification } from "./verify.js";

export interface RunOptions {
  auto: boolean;
  executor?: string;
  maxTasks?: number;
  maxCost?: number;
  /** Dollars one task may spend across its attempts (overrides run.maxTaskCost). */
  maxTaskCost?: number;
  dryRun: boolean;
  allowDirty?: boolean;
  /** Put failed tasks back to ready before the run. */
  retryFailed?: boolean;
}

export interface RunSummary {
  runId?: number;
  executor: string;
  done: string[];
  failed: { id: string; reason: string }[];
  skipped: string[];
  attempts: number;
  tokens: Usage;
  costUsd: number;
  costByModel: Record<string, number>;
  durationMs: number;
  stoppedBecause?: string;
  completedFeatures: string[];
  recovered: Recovered;
  /** The agent cannot run here (binary, credentials, folder trust, model): the run stopped, exit 2. */
  setupFailure?: { taskId: string; message: string; fix?: string };
  /** Tasks of the plan that are failed after the run (this run's or earlier), blocking what depends on them. */
  failedInPlan: string[];
  /** The provider stayed unavailable through every retry: the run stopped with the task ready. */
  outage?: string;
  /** Tasks put back to ready by --retry-failed. */
  retriedFailed: string[];
  prompts?: PromptPreview[];
}

export interface PromptPreview {
  taskId: string;
  tokens: number;
  omitted: string[];
  text: string;
}

/**
 * A stream worker's share of a parallel run: its worktree is `paths.root` (br's files stay the main
 * checkout's), its attempts join the orchestrator's run, and a verified task is committed on the
 * stream's branch and left running until it is integrated into the target branch.
 */
interface StreamWork {
  name: string;
  runId: number;
  /** Branches other br processes move during the run (see GitState.ignored). */
  ignoredBranches: string[];
}

/** What every step of a run reads, and the summary it adds to. */
export interface RunContext {
  paths: ProjectPaths;
  stream?: StreamWork;
  options: RunOptions;
  config: Config;
  executorName: string;
  countTokens: (text: string) => number;
  summary: RunSummary;
}

/** A run past its preliminaries: journal open, executor made, run recorded. */
export interface ActiveRun extends RunContext {
  journal: Journal;
  /** The executor for a ladder step, made on first use. */
  executors: (name: string) => Executor;
  runId: number;
  promptsDir: string;
}

/** One task's attempts so far. */
export interface TaskProgress {
  routed: RoutedTask;
  /** When the task's first attempt began (ms), for how long it took to settle. */
  startedAt: number;
  earlier: EarlierAttempt[];
  lastReason: string;
  cost: number;
  /** The provider's Retry-After from the last outage, if the CLI reported one. */
  retryAfterMs?: number;
}

/** What the journal records of a finished attempt, besides its outcome and reason. */
export type AttemptRecord = Omit<Parameters<Journal["finishAttempt"]>[1], "outcome" | "reason">;

/** An attempt once its work is verified (or not) and accounted for. */
export interface FinishedAttempt {
  attempt: number;
  attemptId: number;
  baseline: TreeSnapshot;
  changed: string[];
  verification: Verification;
  record: AttemptRecord;
}

export function emptySummary(executor: string): RunSummary {
  return {
    executor,
    done: [],
    failed: [],
    skipped: [],
    attempts: 0,
    tokens: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    costByModel: {},
    durationMs: 0,
    completedFeatures: [],
    recovered: { retried: [], done: [] },
    failedInPlan: [],
    retriedFailed: [],
  };
}

export function averageAttemptCost(summary: RunSummary): number {
  return summary.attempts > 0 ? summary.costUsd / summary.attempts : 0;
}

/** What the run has spent: this process's attempts, or every stream's when the run is parallel (one budget). */
export function spent(run: ActiveRun): number {
  return run.stream ? run.journal.runCost(run.runId) : run.summary.costUsd;
}

/**
 * How a task's attempts ended: verified, failed, or stopped for a reason that is not the task's
 * (the agent cannot run here, the provider stayed unavailable, a budget) so the task stays ready.
 */
export type TaskOutcome = "passed" | "failed" | "stopped";

/** What one attempt came to. `setup` and `transient` are not the task's failures and are not counted as attempts. */
export type AttemptOutcome = "passed" | "failed" | "setup" | "transient";

/** Attempts the task until one passes verification, the attempts run out, or a budget or an outage stops it. */
export async function attemptTask(run: ActiveRun, task: Task, progress: TaskProgress): Promise<TaskOutcome> {
  const { options, summary } = run;
  let outages = 0;
  for (let attempt = 1; attempt <= run.config.run.maxAttempts; ) {
    // A stop asked for from outside (the dashboard) lets the attempt in flight finish, and no other start.
    if (attempt > 1 && stopAsked(run)) return "stopped";
    if (attempt > 1 && retryRefused(run, progress)) return "failed";
    const outcome = await runAttempt(run, task, progress, attempt);
    if (outcome === "passed") return "passed";
    if (outcome === "setup") return "stopped";
    if (outcome === "transient") {
      if (stopAsked(run) || retryRefused(run, progress)) return "stopped";
      outages++;
      if (!(await waitOutOutage(run, progress, outages))) return "stopped";
      continue;
    }
    attempt++;
    if (options.maxCost !== undefined && spent(run) >= options.maxCost) {
      summary.stoppedBecause = `--max-cost $${options.maxCost} reached`;
      return "failed";
    }
  }
  return "failed";
}

/** Whether the run was asked to stop (src/run/control.ts); the summary then says why. */
function stopAsked(run: ActiveRun): boolean {
  const reason = stopReason(run.paths.state, run.runId);
  if (reason !== undefined) run.summary.stoppedBecause = reason;
  return reason !== undefined;
}

const MAX_OUTAGE_PAUSE_MS = 5 * 60_000;

/**
 * After a provider outage: pause (doubling each time, or as long as the provider asked) and try the
 * same tier again, up to run.transientRetries times; then stop the run with the task left ready.
 */
async function waitOutOutage(run: ActiveRun, progress: TaskProgress, outages: number): Promise<boolean> {
  const { transientRetries, retryDelaySeconds } = run.config.run;
  if (outages > transientRetries) {
    run.summary.outage = progress.lastReason;
    run.summary.stoppedBecause = `the provider stayed unavailable after ${transientRetries} retr${transientRetries === 1 ? "y" : "ies"} (${progress.lastReason}); the task is left ready: run br run again later`;
    return false;
  }
  const pause = Math.min(progress.retryAfterMs ?? retryDelaySeconds * 1000 * 2 ** (outages - 1), MAX_OUTAGE_PAUSE_MS);
  say(style.dim(`  provider unavailable; the same tier again in ${Math.round(pause / 1000)} s (retry ${outages}/${transientRetries})`));
  await sleep(pause);
  return true;
}

/** Whether the task's cap or the run's budget forbids another attempt (the reason says which). */
function retryRefused(run: ActiveRun, progress: TaskProgress): boolean {
  const { options, summary } = run;
  const maxTaskCost = options.maxTaskCost ?? run.config.run.maxTaskCost;
  if (maxTaskCost !== undefined && progress.cost >= maxTaskCost) {
    progress.lastReason = `${progress.lastReason}; not retried: the task has spent $${progress.cost.toFixed(4)} of its $${maxTaskCost} cap`;
    return true;
  }
  if (options.maxCost !== undefined && spent(run) + averageAttemptCost(summary) > options.maxCost) {
    progress.lastReason = `not retried: --max-cost $${options.maxCost} would be exceeded`;
    summary.stoppedBecause = `--max-cost $${options.maxCost} reached`;
    return true;
  }
  return false;
}

/**
 * Opens a stream worker's side of a parallel run (see StreamWork): the executor, the prompts
 * folder and the run's journal, without claiming the project (the orchestrator holds the run).
 */
export async function openStreamRun(paths: ProjectPaths, options: RunOptions, stream: StreamWork, journal: Journal): Promise<ActiveRun> {
  const config = (await loadConfig(paths)).config;
  const executorName = options.executor ?? config.run.executor;
  checkExecutor(executorName, config);
  const countTokens = await loadTokenizer();
  const executors = executorPool(config, paths.root, manualEvidence(paths));
  const promptsDir = join(paths.state, "prompts");
  mkdirSync(promptsDir, { recursive: true });
  const summary = emptySummary(executorName);
  summary.runId = stream.runId;
  return { paths, options, config, executorName, countTokens, summary, stream, journal, executors, runId: stream.runId, promptsDir };
}

/** A task's progress before its first attempt: routed once, nothing spent. */
export function startProgress(run: RunContext, task: Task): TaskProgress {
  return { routed: routeTask(taskText(task), run.config, run.executorName), earlier: [], lastReason: "", cost: 0, startedAt: Date.now() };
}

/** Runs one claimed task in a stream: its attempts, verification and commit on the stream's branch. */
export async function runStreamTask(run: ActiveRun, task: Task): Promise<TaskOutcome> {
  say(`${style.cyan("▶")} ${task.id}: ${task.title}`);
  const progress = startProgress(run, task);
  const outcome = await attemptTask(run, task, progress);
  await settleTask(run, task, outcome, progress);
  return outcome;
}
