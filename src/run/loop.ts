/**
 * `br run`: takes ready tasks in order, builds each prompt, runs the executor, verifies, records,
 * and moves on (SPEC §5). Resumable after any interruption: the journal says which attempt was in
 * flight; a task whose verification passed is never run again, an interrupted one is retried.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { type Config, loadConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { git, headCommit, isGitRepo, listProjectFiles, tryCommitPaths } from "../infra/git.js";
import { withLock } from "../infra/lock.js";
import { say, style, warn } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import { nextTask, transitionTask } from "../plan/scheduler.js";
import type { Task, TasksFile } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { updateFeature } from "../registry/features.js";
import { loadRegistry } from "../registry/store.js";
import type { Usage } from "../routing/prices.js";
import { modelFor, type Route, route, TIERS, type Tier, taskText, tierForAttempt } from "../routing/tiers.js";
import { mask } from "../security/mask.js";
import { excludeCheckOutputs } from "./check-outputs.js";
import { addUsage, attemptCost } from "./cost.js";
import { guardAttempt } from "./evidence/attempt-guard.js";
import { countsAt, recordCounts } from "./evidence/counts-store.js";
import { captureGitState } from "./evidence/git-state.js";
import type { EvidenceInputs } from "./evidence/index.js";
import { snapshotOwnFiles } from "./evidence/own-files.js";
import type { TestCounts } from "./evidence/test-counts.js";
import type { Violation } from "./evidence/violation.js";
import { createExecutor } from "./executors/index.js";
import type { Executor, ExecutorReport } from "./executors/types.js";
import { Journal } from "./journal.js";
import { type BuiltPrompt, buildPrompt, type EarlierAttempt } from "./prompt.js";
import { type AttemptBaseline, type Recovered, recover } from "./recover.js";
import { checkExecutor, claimRun, commitWork, manualEvidence, preflight, requireCleanTree, resetFailed } from "./start.js";
import { loadTokenizer } from "./tokens.js";
import { changesSince, fileHash, revertChanges, snapshotTree, type TreeSnapshot } from "./tree.js";
import { acceptanceCommand, isOwnFile, runCheck, type Verification, verify } from "./verify.js";

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

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

/** When every task of a feature is done it is in testing; its acceptance commands and tests then complete it. */
export async function completeFeatureIfVerified(paths: ProjectPaths, config: Config, featureId: string): Promise<boolean> {
  const registry = await loadRegistry(paths);
  const feature = registry.features.find((f) => f.id === featureId);
  if (feature?.status !== "testing") return false;
  const commands = [config.commands.test, ...feature.acceptance.map(acceptanceCommand)].filter((c): c is string => !!c);
  for (const command of commands) {
    const result = await runCheck("feature acceptance", command, paths.root, config.run.checkTimeoutSeconds * 1000);
    if (!result.passed) {
      warn(`feature ${featureId} stays in testing: \`${command}\` failed`);
      return false;
    }
  }
  await updateFeature(paths, featureId, { status: "complete" });
  return true;
}

function dryRun(plan: TasksFile, options: RunOptions, build: (task: Task) => PromptPreview): PromptPreview[] {
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

/**
 * A stream worker's share of a parallel run: its worktree is `paths.root` (br's files stay the main
 * checkout's), its attempts join the orchestrator's run, and a verified task is committed on the
 * stream's branch and left running until it is integrated into the target branch.
 */
export interface StreamWork {
  name: string;
  runId: number;
  /** Branches other br processes move during the run (see GitState.ignored). */
  ignoredBranches: string[];
}

/** What every step of a run reads, and the summary it adds to. */
interface RunContext {
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
  executor: Executor;
  runId: number;
  promptsDir: string;
}

/** One task's attempts so far. */
interface TaskProgress {
  routed: Route;
  earlier: EarlierAttempt[];
  lastReason: string;
  cost: number;
  /** The provider's Retry-After from the last outage, if the CLI reported one. */
  retryAfterMs?: number;
}

/** What the journal records of a finished attempt, besides its outcome and reason. */
type AttemptRecord = Omit<Parameters<Journal["finishAttempt"]>[1], "outcome" | "reason">;

/** An attempt once its work is verified (or not) and accounted for. */
interface FinishedAttempt {
  attempt: number;
  attemptId: number;
  baseline: TreeSnapshot;
  changed: string[];
  verification: Verification;
  record: AttemptRecord;
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

function emptySummary(executor: string): RunSummary {
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

async function promptFor(run: RunContext, task: Task, attempts: EarlierAttempt[]): Promise<BuiltPrompt> {
  const { paths, config, countTokens } = run;
  const registry = await loadRegistry(paths);
  return buildPrompt({
    task,
    feature: registry.features.find((f) => f.id === task.featureId),
    attempts,
    config,
    paths,
    tree: listProjectFiles(paths.root) ?? [],
    countTokens,
  });
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
  const executor = createExecutor(executorName, config, paths.root, manualEvidence(paths));
  const promptsDir = join(paths.state, "prompts");
  mkdirSync(promptsDir, { recursive: true });
  const active: ActiveRun = { ...run, journal, executor, runId, promptsDir };
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

function averageAttemptCost(summary: RunSummary): number {
  return summary.attempts > 0 ? summary.costUsd / summary.attempts : 0;
}

/** What the run has spent: this process's attempts, or every stream's when the run is parallel (one budget). */
function spent(run: ActiveRun): number {
  return run.stream ? run.journal.runCost(run.runId) : run.summary.costUsd;
}

/** The next task to run, or undefined when the run ends here (plan done, a limit reached, or the user's answer). */
async function nextTaskToRun(run: ActiveRun): Promise<Task | undefined> {
  const { options, summary } = run;
  if (options.maxTasks !== undefined && summary.done.length + summary.failed.length >= options.maxTasks) {
    summary.stoppedBecause = `--max-tasks ${options.maxTasks} reached`;
    return undefined;
  }
  const { task } = nextTask(await loadTasks(run.paths));
  if (!task) return undefined;
  if (!options.auto && process.stdin.isTTY && process.stderr.isTTY && !(await confirmTask(run, task))) return undefined;
  if (options.maxCost !== undefined && spent(run) + averageAttemptCost(summary) > options.maxCost) {
    summary.stoppedBecause = `--max-cost $${options.maxCost} would be exceeded by the next attempt (spent $${spent(run).toFixed(4)})`;
    return undefined;
  }
  return task;
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
  const progress: TaskProgress = { routed: route(taskText(task), run.config), earlier: [], lastReason: "", cost: 0 };
  const outcome = await attemptTask(run, task, progress);
  await settleTask(run, task, outcome, progress);
}

/**
 * How a task's attempts ended: verified, failed, or stopped for a reason that is not the task's
 * (the agent cannot run here, the provider stayed unavailable, a budget) so the task stays ready.
 */
export type TaskOutcome = "passed" | "failed" | "stopped";

/** What one attempt came to. `setup` and `transient` are not the task's failures and are not counted as attempts. */
type AttemptOutcome = "passed" | "failed" | "setup" | "transient";

/** Attempts the task until one passes verification, the attempts run out, or a budget or an outage stops it. */
async function attemptTask(run: ActiveRun, task: Task, progress: TaskProgress): Promise<TaskOutcome> {
  const { options, summary } = run;
  let outages = 0;
  for (let attempt = 1; attempt <= run.config.run.maxAttempts; ) {
    if (attempt > 1 && retryRefused(run, progress)) return "failed";
    const outcome = await runAttempt(run, task, progress, attempt);
    if (outcome === "passed") return "passed";
    if (outcome === "setup") return "stopped";
    if (outcome === "transient") {
      if (retryRefused(run, progress)) return "stopped";
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
 * The models an attempt may escalate to: none when one model is pinned for the executor or a human
 * does the work (escalating would relabel the same model, or a person).
 */
function escalationModels(run: ActiveRun): Record<Tier, string> | undefined {
  const { config, executorName } = run;
  if (executorName === "manual" || executorName === "replay" || config.executors[executorName]?.model) return undefined;
  return Object.fromEntries(TIERS.map((t) => [t, modelFor(config, t)])) as Record<Tier, string>;
}

/** The configured check commands, which the agent is told to run and so must be allowed to. */
function checkCommands(config: Config): string[] {
  const { test, build, lint, typecheck } = config.commands;
  return [test, build, lint, typecheck].filter((c): c is string => typeof c === "string");
}

/** An attempt up to the moment the agent is started: its model, prompt, baseline and journal row. */
interface StartedAttempt {
  attempt: number;
  attemptId: number;
  model: string;
  promptFile: string;
  prompt: BuiltPrompt;
  baseline: AttemptBaseline;
  testsBefore: TestCounts | undefined;
}

async function startAttempt(run: ActiveRun, task: Task, progress: TaskProgress, attempt: number): Promise<StartedAttempt> {
  const { paths, config, executorName, journal } = run;
  const { tier, reason: tierReason } = tierForAttempt(progress.routed, attempt, escalationModels(run));
  const model = config.executors[executorName]?.model ?? modelFor(config, tier);
  const prompt = await promptFor(run, task, progress.earlier);
  const promptFile = join(run.promptsDir, `${task.id}.attempt-${attempt}.md`);
  // Measured before the snapshot, so what the test command writes (a coverage report) is not taken for the agent's work.
  const beforeTests = snapshotTree(paths.root);
  const testsBefore = await testsAtStart(run, beforeTests.head);
  excludeCheckOutputs(paths.root, beforeTests, []);
  // The snapshot comes before the prompt: whoever reads the prompt (a human, with the manual
  // executor) may start changing files the moment it appears. The git state is kept with it, so
  // an interrupted attempt can be undone entirely on resume.
  const baseline: AttemptBaseline = {
    ...snapshotTree(paths.root),
    git: captureGitState(paths.root, run.stream?.ignoredBranches),
    ...(executorName === "manual" ? {} : { own: { files: snapshotOwnFiles(paths.dir, paths.state), at: Date.now() } }),
  };
  writeFileAtomic(promptFile, prompt.text);
  // A human's `br tasks done` from an earlier, rejected attempt must not count for this one.
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === task.id);
  if (current && current.status !== "running") await transitionTask(paths, task.id, "start", { force: true });
  const attemptId = journal.startAttempt({
    runId: run.runId,
    taskId: task.id,
    featureId: task.featureId,
    attempt,
    executor: executorName,
    model,
    tier,
    route: { score: progress.routed.score, reason: tierReason },
    promptTokens: prompt.tokens,
    baseline,
    ...(run.stream ? { stream: run.stream.name } : {}),
  });
  say(
    style.dim(
      `  attempt ${attempt}/${config.run.maxAttempts}: ${executorName}, ${model} (${tier}: ${tierReason}), prompt ${prompt.tokens} tokens`,
    ),
  );
  return { attempt, attemptId, model, promptFile, prompt, baseline, testsBefore };
}

/** How often a running attempt tells the journal it is alive (see recover.ts). */
const HEARTBEAT_MS = 1000;

/** One attempt: prompt, agent, verification and accounting. */
async function runAttempt(run: ActiveRun, task: Task, progress: TaskProgress, attempt: number): Promise<AttemptOutcome> {
  const started = await startAttempt(run, task, progress, attempt);
  run.journal.heartbeat(started.attemptId);
  const beat = setInterval(() => {
    try {
      run.journal.heartbeat(started.attemptId);
    } catch {
      // the database is busy: the next beat will do
    }
  }, HEARTBEAT_MS);
  try {
    return await agentThenVerify(run, task, progress, started);
  } finally {
    clearInterval(beat);
  }
}

async function agentThenVerify(run: ActiveRun, task: Task, progress: TaskProgress, started: StartedAttempt): Promise<AttemptOutcome> {
  const { paths, config, executorName, journal } = run;
  const { attempt, attemptId, model, baseline } = started;
  const guard = guardAttempt(paths, {
    ownFiles: executorName !== "manual",
    ...(baseline.git ? { git: baseline.git } : {}),
    ...(baseline.own ? { own: baseline.own } : {}),
  });
  let agentPid: number | undefined;
  const maxTaskCost = run.options.maxTaskCost ?? config.run.maxTaskCost;
  const report = await run.executor.run({
    taskId: task.id,
    prompt: started.prompt.text,
    promptFile: started.promptFile,
    model,
    workdir: paths.root,
    timeoutMs: (config.executors[executorName]?.timeoutSeconds ?? config.run.timeoutSeconds) * 1000,
    idleTimeoutMs: config.run.idleTimeoutSeconds * 1000,
    checkCommands: checkCommands(config),
    ...(maxTaskCost !== undefined ? { maxBudgetUsd: Math.max(0.01, maxTaskCost - progress.cost) } : {}),
    onSpawn: (pid) => {
      agentPid = pid;
      journal.setAgentPid(attemptId, pid);
    },
  });
  // Under the project lock: a br command the user runs meanwhile has either written (and is kept) or waits.
  const restored = await withLock(paths.lock, () => guard(agentPid), { what: "the project" });
  const changed = agentChanges(run, attemptId, baseline);
  // A report of success stands even if the agent then lingered past the idle timeout.
  if (!report.success && report.failure && report.failure.class !== "task")
    return notTheTasksFailure(run, task, progress, { ...started, changed, report, restored });
  const verification = await verify(task, report, changed, config, paths.root, await evidenceInputs(run, restored, started.testsBefore));
  excludeCheckOutputs(paths.root, baseline, changed);
  const record = account(run, progress, report, model, verification);
  const finished: FinishedAttempt = { attempt, attemptId, baseline, changed, verification, record };
  if (!verification.passed) {
    rejectAttempt(run, progress, finished);
    return "failed";
  }
  return acceptAttempt(run, task, finished, progress);
}

/**
 * A setup or transient failure: recorded, undone, and not counted as the task's attempt. Setup
 * stops the run (exit 2, with the fix); transient is retried on the same tier after a pause.
 */
function notTheTasksFailure(
  run: ActiveRun,
  task: Task,
  progress: TaskProgress,
  attempt: StartedAttempt & { changed: string[]; report: ExecutorReport; restored: Violation[] },
): AttemptOutcome {
  const failure = attempt.report.failure as NonNullable<ExecutorReport["failure"]>;
  const message = mask(failure.message);
  const verification: Verification = {
    passed: false,
    reason: message,
    executor: { success: false, summary: mask(attempt.report.summary) },
    changedFiles: [],
    outOfScope: [],
    checks: [],
    violations: attempt.restored,
  };
  const record = account(run, progress, attempt.report, attempt.model, verification);
  run.journal.finishAttempt(attempt.attemptId, { ...record, outcome: failure.class === "setup" ? "setup" : "transient", reason: message });
  if (run.config.run.commit)
    revertChanges(
      run.paths.root,
      attempt.baseline,
      attempt.changed.filter((p) => !isOwnFile(p)),
    );
  progress.lastReason = message;
  if (failure.class === "setup") {
    say(`  ${style.red("✗")} the agent cannot run here: ${message}`);
    run.summary.setupFailure = { taskId: task.id, message, ...(failure.fix ? { fix: failure.fix } : {}) };
    run.summary.stoppedBecause = `the agent cannot run here (${message}); ${task.id} is left ready`;
    return "setup";
  }
  say(`  ${style.yellow("…")} ${message}`);
  if (failure.retryAfterMs !== undefined) progress.retryAfterMs = failure.retryAfterMs;
  else delete progress.retryAfterMs;
  return "transient";
}

/**
 * The test runner's counts at the commit the attempt starts from: recorded after br's last commit,
 * or measured now when there is no record (the first attempt, or the user committed since).
 */
async function testsAtStart(run: ActiveRun, head: string | undefined): Promise<TestCounts | undefined> {
  const { paths, config } = run;
  const known = countsAt(paths.state, head);
  if (known || !config.commands.test || !config.run.commit) return known;
  say(style.dim("  measuring the tests before the attempt (no record for this commit)"));
  const result = await runCheck("test", config.commands.test, paths.root, config.run.checkTimeoutSeconds * 1000);
  recordCounts(paths.state, head, result.counts);
  return result.counts;
}

async function evidenceInputs(run: ActiveRun, restored: Violation[], testsBefore: TestCounts | undefined): Promise<EvidenceInputs> {
  const registry = await loadRegistry(run.paths);
  return {
    plan: (await loadTasks(run.paths)).tasks,
    featureNames: new Map(registry.features.map((f) => [f.id, f.name])),
    owners: run.journal.verifiedFiles(),
    restored,
    ...(testsBefore ? { testsBefore } : {}),
  };
}

/** The files the attempt changed (br's own files and the git state are already put back). */
function agentChanges(run: ActiveRun, attemptId: number, baseline: TreeSnapshot): string[] {
  const changed = changesSince(run.paths.root, baseline);
  // What the agent produced, recorded before the (possibly long) checks: if br dies during
  // them, the next run knows exactly which files to undo.
  run.journal.recordAgentChanges(
    attemptId,
    changed.filter((p) => !isOwnFile(p)).map((path) => ({ path, hash: fileHash(run.paths.root, path) })),
  );
  return changed;
}

/** Adds the attempt's cost and usage to the run's and the task's totals; returns its journal record. */
function account(run: ActiveRun, progress: TaskProgress, report: ExecutorReport, model: string, verification: Verification): AttemptRecord {
  const { summary } = run;
  const { cost, source } = attemptCost(report, model, run.config);
  summary.attempts++;
  summary.costUsd += cost;
  progress.cost += cost;
  const usedModel = report.model ?? model;
  summary.costByModel[usedModel] = (summary.costByModel[usedModel] ?? 0) + cost;
  addUsage(summary.tokens, report.usage);
  return {
    model: usedModel,
    costUsd: cost,
    costSource: source,
    durationMs: report.durationMs,
    verification,
    changedFiles: verification.changedFiles.map((path) => ({ path, hash: fileHash(run.paths.root, path) })),
    ...(report.usage ? { usage: report.usage } : {}),
  };
}

/**
 * Records the verified attempt and commits its work. A git hook that rejects the commit is evidence
 * too: the attempt fails with the hook's output, and its changes are undone like any failed attempt's.
 */
async function acceptAttempt(run: ActiveRun, task: Task, finished: FinishedAttempt, progress: TaskProgress): Promise<AttemptOutcome> {
  const { paths, config } = run;
  const { verification } = finished;
  // Recorded before the commit: a kill in between is finished from the journal on resume.
  run.journal.finishAttempt(finished.attemptId, { ...finished.record, outcome: "passed" });
  // A stream's task is done once integrated into the target branch; until then it stays running.
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === task.id);
  if (!run.stream && current?.status !== "done") await transitionTask(paths, task.id, "done", { force: true });
  if (config.run.commit) {
    const rejected = commitAttempt(run, verification.changedFiles, `br: ${task.id}: ${task.title}`);
    if (rejected) return refusedCommit(run, task, progress, finished, rejected);
    recordCounts(paths.state, headCommit(paths.root), verification.testCounts);
  }
  say(`  ${style.green("✓ verified")}: ${verification.changedFiles.length} file(s) changed, ${verification.checks.length} check(s) passed`);
  return "passed";
}

/** Commits the verified files: with br's own changes in the main checkout, alone on a stream's branch. */
function commitAttempt(run: ActiveRun, files: readonly string[], message: string): string | undefined {
  if (!run.stream) return commitWork(run.paths, run.config, files, message);
  if (files.length === 0) return undefined;
  const result = tryCommitPaths(run.paths.root, files, message, { hooks: run.config.run.hooks });
  return result.ok ? undefined : result.output;
}

/** Signing that cannot work here: no retry of the agent will change it. */
const SIGNING_FAILURE = /gpg failed|failed to sign|signing failed|cannot run gpg|error: .*ssh-keygen/i;

/**
 * A commit git refused. A hook's objection to the work fails the attempt with the hook's words,
 * like a failed check. The same objection twice, or signing that cannot work, is no fault of the
 * agent's: the run stops (exit 2) with the fix, instead of paying for attempts that cannot pass.
 */
async function refusedCommit(
  run: ActiveRun,
  task: Task,
  progress: TaskProgress,
  finished: FinishedAttempt,
  output: string,
): Promise<AttemptOutcome> {
  const { paths } = run;
  await transitionTask(paths, task.id, "start", { force: true });
  const words = mask(output).slice(-1500);
  const reason = `a git hook rejected the commit: ${words}`;
  const same = progress.earlier.some((e) => e.reason === reason);
  rejectAttempt(run, progress, { ...finished, verification: { ...finished.verification, passed: false, reason } });
  git(paths.root, ["reset", "-q"]);
  if (!same && !SIGNING_FAILURE.test(output)) return "failed";
  run.summary.setupFailure = {
    taskId: task.id,
    message: `git refused br's commit the same way twice (or cannot sign it): ${words}`,
    fix: "If the hook or the signing setup is at fault, fix it or let br commit without hooks (br config set run.hooks false); if the hook is right about the work, run br run again: the task is left ready.",
  };
  run.summary.stoppedBecause = `git refuses br's commits; ${task.id} is left ready`;
  return "setup";
}

/** Records the failure, keeps its reason for the next attempt's prompt, and undoes the attempt's changes. */
function rejectAttempt(run: ActiveRun, progress: TaskProgress, finished: FinishedAttempt): void {
  const { verification } = finished;
  progress.lastReason = verification.reason ?? "verification failed";
  run.journal.finishAttempt(finished.attemptId, { ...finished.record, outcome: "failed", reason: progress.lastReason });
  say(`  ${style.red("✗")} ${progress.lastReason}`);
  const failedCheck = verification.checks.find((c) => !c.passed);
  progress.earlier.push({
    attempt: finished.attempt,
    reason: progress.lastReason,
    ...(failedCheck ? { details: failedCheck.output } : {}),
  });
  if (!run.config.run.commit) return;
  const kept = revertChanges(
    run.paths.root,
    finished.baseline,
    finished.changed.filter((p) => !isOwnFile(p)),
  );
  if (kept.length > 0) warn(`not reverted (they had uncommitted edits before the attempt): ${kept.join(", ")}`);
}

/** The task's end: done (perhaps completing its feature), back to ready when the run stopped for another reason, or failed. */
async function settleTask(run: ActiveRun, task: Task, outcome: TaskOutcome, progress: TaskProgress): Promise<void> {
  const { paths, config, summary } = run;
  if (outcome === "passed") {
    if (run.stream) return; // integration makes it done
    summary.done.push(task.id);
    if (await completeFeatureIfVerified(paths, config, task.featureId)) summary.completedFeatures.push(task.featureId);
  } else if (outcome === "stopped" || (summary.stoppedBecause && progress.earlier.length < config.run.maxAttempts)) {
    // Stopped by setup, an outage or the budget with attempts to spare: the task is not failed, it waits.
    await transitionTask(paths, task.id, "reset", { force: true });
    summary.skipped.push(task.id);
  } else {
    await transitionTask(paths, task.id, "fail", { force: true, reason: mask(progress.lastReason).slice(0, 500) });
    summary.failed.push({ id: task.id, reason: progress.lastReason });
  }
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
  const executor = createExecutor(executorName, config, paths.root, manualEvidence(paths));
  const promptsDir = join(paths.state, "prompts");
  mkdirSync(promptsDir, { recursive: true });
  const summary = emptySummary(executorName);
  summary.runId = stream.runId;
  return { paths, options, config, executorName, countTokens, summary, stream, journal, executor, runId: stream.runId, promptsDir };
}

/** Runs one claimed task in a stream: its attempts, verification and commit on the stream's branch. */
export async function runStreamTask(run: ActiveRun, task: Task): Promise<TaskOutcome> {
  say(`${style.cyan("▶")} ${task.id}: ${task.title}`);
  const progress: TaskProgress = { routed: route(taskText(task), run.config), earlier: [], lastReason: "", cost: 0 };
  const outcome = await attemptTask(run, task, progress);
  await settleTask(run, task, outcome, progress);
  return outcome;
}
