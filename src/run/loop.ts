/**
 * `br run`: takes ready tasks in order, builds each prompt, runs the executor, verifies, records,
 * and moves on (SPEC §5). Resumable after any interruption: the journal says which attempt was in
 * flight; a task whose verification passed is never run again, an interrupted one is retried.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { isGitRepo, listProjectFiles } from "../infra/git.js";
import { say, style, warn } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import { nextTask, transitionTask } from "../plan/scheduler.js";
import type { Task, TasksFile } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { loadRegistry } from "../registry/store.js";
import { clearRequests, isPaused, MAIN_STREAM, stopReason } from "./control.js";
import {
  type ActiveRun,
  attemptTask,
  averageAttemptCost,
  emptySummary,
  type PromptPreview,
  type RunContext,
  type RunOptions,
  type RunSummary,
  spent,
  startProgress,
} from "./engine.js";
import { executorPool } from "./executors/index.js";
import { Journal } from "./journal.js";
import { buildPrompt } from "./prompt.js";
import { settleTask } from "./record.js";
import { recover } from "./recover.js";
import { checkExecutor, claimRun, commitWork, manualEvidence, preflight, requireCleanTree, resetFailed } from "./start.js";
import { loadTokenizer } from "./tokens.js";

export type { PromptPreview, RunOptions, RunSummary } from "./engine.js";

export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

export function dryRun(plan: TasksFile, options: RunOptions, build: (task: Task) => PromptPreview): PromptPreview[] {
  // Walk the plan as if each task succeeded, without writing anything.
  const simulated: TasksFile = { schemaVersion: 1, tasks: plan.tasks.map((t) => ({ ...t })) };
  const prompts: PromptPreview[] = [];
  const limit = options.maxTasks ?? Number.POSITIVE_INFINITY;
  while (prompts.length < limit) {
    const { task } = nextTask(simulated);
    if (!task) break;
    prompts.push(build(task));
    task.status = "done";
    for (const t of simulated.tasks) {
      if (t.status === "pending" && t.dependsOn.every((d) => simulated.tasks.find((x) => x.id === d)?.status === "done"))
        t.status = "ready";
    }
  }
  return prompts;
}

export async function runLoop(paths: ProjectPaths, options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const config = (await loadConfig(paths)).config;
  const executorName = options.executor ?? config.run.executor;
  checkExecutor(executorName, config);
  const countTokens = await loadTokenizer();
  const run: RunContext = { paths, options, config, executorName, countTokens, summary: emptySummary(executorName) };
  if (options.dryRun) run.summary.prompts = await previewPrompts(run);
  else await runWithJournal(run);
  run.summary.durationMs = Date.now() - started;
  return run.summary;
}

/** `--dry-run`: the prompts the run would send, with the registry and tree read once. */
async function previewPrompts(run: RunContext): Promise<PromptPreview[]> {
  const { paths, config, countTokens } = run;
  const plan = await loadTasks(paths);
  const registry = await loadRegistry(paths);
  const tree = listProjectFiles(paths.root) ?? [];
  return dryRun(plan, run.options, (task) => {
    const built = buildPrompt({
      task,
      feature: registry.features.find((f) => f.id === task.featureId),
      attempts: [],
      config,
      paths,
      tree,
      countTokens,
    });
    return { taskId: task.id, tokens: built.tokens, omitted: built.omitted.map((o) => o.item), text: built.text };
  });
}

async function runWithJournal(run: RunContext): Promise<void> {
  if (!isGitRepo(run.paths.root)) {
    throw usageError(`${run.paths.root} is not a git repository.`, {
      fix: "br run verifies work by what changed: run `git init` and commit first.",
    });
  }
  const journal = Journal.open(run.paths);
  try {
    await runTasks(run, journal);
  } finally {
    journal.close();
  }
}

async function runTasks(run: RunContext, journal: Journal): Promise<void> {
  const { paths, options, config, executorName, summary } = run;
  const runId = await claimRun(paths, journal, executorName, options);
  summary.runId = runId;
  // A pause or stop belongs to the run it was asked of: a new run starts without one.
  clearRequests(paths.state, runId, [MAIN_STREAM]);
  try {
    summary.recovered = await recover(paths, journal, config, (files, message) => commitWork(paths, config, files, message));
    // After recovery: what an interrupted agent left (a detached HEAD, a rebase) is undone by then.
    preflight(paths, config, executorName);
    if (config.run.commit && !options.allowDirty) requireCleanTree(paths);
  } catch (error) {
    journal.finishRun(runId, "refused");
    throw error;
  }
  if (options.retryFailed) summary.retriedFailed = await resetFailed(paths);
  const executors = executorPool(config, paths.root, manualEvidence(paths));
  const promptsDir = join(paths.state, "prompts");
  mkdirSync(promptsDir, { recursive: true });
  const active: ActiveRun = { ...run, journal, executors, runId, promptsDir };
  for (;;) {
    const task = await nextTaskToRun(active);
    if (!task) break;
    await runTask(active, task);
    if (summary.stoppedBecause) break;
  }
  const outcome = summary.stoppedBecause ? "stopped" : "finished";
  // Failures and feature completions changed the plan files too: keep them committed.
  if (config.run.commit) {
    const rejected = commitWork(paths, config, [], "br: update plan status");
    if (rejected) warn(`a git hook rejected br's commit of the plan's status; .buildrunner/ stays uncommitted: ${rejected}`);
  }
  summary.failedInPlan = (await loadTasks(paths)).tasks.filter((t) => t.status === "failed").map((t) => t.id);
  journal.finishRun(runId, summary.failed.length > 0 ? "failed" : outcome);
}

/** The next task to run, or undefined when the run ends here (plan done, a limit reached, or the user's answer). */
async function nextTaskToRun(run: ActiveRun): Promise<Task | undefined> {
  const { options, summary } = run;
  if (options.maxTasks !== undefined && summary.done.length + summary.failed.length >= options.maxTasks) {
    summary.stoppedBecause = `--max-tasks ${options.maxTasks} reached`;
    return undefined;
  }
  if (await stoppedFromOutside(run)) return undefined;
  const { task } = nextTask(await loadTasks(run.paths));
  if (!task) return undefined;
  if (!options.auto && process.stdin.isTTY && process.stderr.isTTY && !(await confirmTask(run, task))) return undefined;
  if (options.maxCost !== undefined && spent(run) + averageAttemptCost(summary) > options.maxCost) {
    summary.stoppedBecause = `--max-cost $${options.maxCost} would be exceeded by the next attempt (spent $${spent(run).toFixed(4)})`;
    return undefined;
  }
  return task;
}

/**
 * A stop or pause asked for from outside the run (the dashboard): a pause holds the run before its
 * next task until it is resumed; a stop ends it there. The attempt in flight has finished by now.
 */
async function stoppedFromOutside(run: ActiveRun): Promise<boolean> {
  const { state } = run.paths;
  if (isPaused(state, MAIN_STREAM)) {
    say(`${style.yellow("‖")} paused from the dashboard; resume there (or run \`br dashboard\`) to go on`);
    while (isPaused(state, MAIN_STREAM) && stopReason(state, run.runId) === undefined) await sleep(200);
  }
  const stopped = stopReason(state, run.runId);
  if (stopped) run.summary.stoppedBecause = stopped;
  return stopped !== undefined;
}

/** Asks before a task. False ends the run: `q` stops it; `n` skips the task and stops too. */
async function confirmTask(run: ActiveRun, task: Task): Promise<boolean> {
  const answer = await ask(`Run ${style.bold(task.id)} (${task.title})? [Y/n/q] `);
  if (answer === "q") {
    run.summary.stoppedBecause = "stopped at your request";
    return false;
  }
  if (answer === "n") {
    run.summary.skipped.push(task.id);
    await transitionTask(run.paths, task.id, "start");
    await transitionTask(run.paths, task.id, "reset");
    return false;
  }
  return true;
}

async function runTask(run: ActiveRun, task: Task): Promise<void> {
  await transitionTask(run.paths, task.id, "start");
  say(`${style.cyan("▶")} ${task.id}: ${task.title}`);
  const progress = startProgress(run, task);
  const outcome = await attemptTask(run, task, progress);
  await settleTask(run, task, outcome, progress);
}
