/**
 * `br run`: takes ready tasks in order, builds each prompt, runs the executor, verifies, records,
 * and moves on (SPEC §5). Resumable after any interruption: the journal says which attempt was in
 * flight; a task whose verification passed is never run again, an interrupted one is retried.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { type Config, EXECUTORS, loadConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { commitPaths, headCommit, isGitRepo, listProjectFiles, workingChanges } from "../infra/git.js";
import { say, style, warn } from "../infra/log.js";
import { killProcessGroup } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { readText } from "../infra/validation.js";
import { nextTask, transitionTask } from "../plan/scheduler.js";
import type { Task, TasksFile } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { updateFeature } from "../registry/features.js";
import { loadRegistry } from "../registry/store.js";
import { costOf, priceTable, type Usage } from "../routing/prices.js";
import { modelFor, type Route, route, taskText, tierForAttempt } from "../routing/tiers.js";
import { mask } from "../security/mask.js";
import { guardAttempt } from "./evidence/attempt-guard.js";
import { countsAt, recordCounts } from "./evidence/counts-store.js";
import type { EvidenceInputs } from "./evidence/index.js";
import type { TestCounts } from "./evidence/test-counts.js";
import type { Violation } from "./evidence/violation.js";
import { createExecutor } from "./executors/index.js";
import type { Evidence } from "./executors/manual.js";
import type { Executor, ExecutorReport } from "./executors/types.js";
import { Journal } from "./journal.js";
import { type BuiltPrompt, buildPrompt, type EarlierAttempt } from "./prompt.js";
import { loadTokenizer } from "./tokens.js";
import { changesSince, fileHash, revertChanges, snapshotTree, type TreeSnapshot } from "./tree.js";
import { acceptanceCommand, inTaskScope, isOwnFile, runCheck, type Verification, verify } from "./verify.js";

export interface RunOptions {
  auto: boolean;
  executor?: string;
  maxTasks?: number;
  maxCost?: number;
  /** Dollars one task may spend across its attempts (overrides run.maxTaskCost). */
  maxTaskCost?: number;
  dryRun: boolean;
  allowDirty?: boolean;
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
  recovered: { retried: string[]; done: string[] };
  prompts?: PromptPreview[];
}

export interface PromptPreview {
  taskId: string;
  tokens: number;
  omitted: string[];
  text: string;
}

function addUsage(total: Usage, usage: Usage | undefined): void {
  if (!usage) return;
  total.inputTokens += usage.inputTokens;
  total.outputTokens += usage.outputTokens;
  total.cacheWriteTokens += usage.cacheWriteTokens;
  total.cacheReadTokens += usage.cacheReadTokens;
}

/** Cost of one attempt: the executor's own figure when it gives one, else the usage at table prices. */
function attemptCost(report: ExecutorReport, model: string, config: Config): { cost: number; source: string } {
  if (report.costUsd !== undefined) return { cost: report.costUsd, source: "reported" };
  if (report.usage) {
    const priced = costOf(report.model ?? model, report.usage, priceTable(config.routing.prices));
    if (priced !== undefined) return { cost: priced, source: "priced" };
    warn(`no price for model ${report.model ?? model}: its cost counts as $0 (add it to the price table)`);
    return { cost: 0, source: "unpriced model" };
  }
  return { cost: 0, source: "no usage reported" };
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

/** BuildRunner's own files that a run updates; committed with the work so the tree stays clean. */
function ownChanges(paths: ProjectPaths): string[] {
  return workingChanges(paths.root)
    .map((c) => c.path)
    .filter(isOwnFile);
}

function commitWork(paths: ProjectPaths, files: readonly string[], message: string): void {
  const all = [...new Set([...files, ...ownChanges(paths)])];
  if (all.length > 0) commitPaths(paths.root, all, message);
}

/**
 * Puts the plan back in a state to continue after an interruption. Attempts in flight are marked
 * interrupted and their leftover agents stopped. A task left running whose attempt had passed is
 * finished: its verified files are committed if they still hold the verified content. Any other
 * task left running is reset, and only the files its attempt changed (measured against the
 * snapshot recorded before it) are reverted; the user's own edits are left alone.
 */
async function recover(paths: ProjectPaths, journal: Journal, config: Config): Promise<RunSummary["recovered"]> {
  const { orphanAgents } = journal.recoverInterrupted();
  for (const pid of orphanAgents) killProcessGroup(pid, "SIGKILL");
  const plan = await loadTasks(paths);
  const recovered: RunSummary["recovered"] = { retried: [], done: [] };
  for (const task of plan.tasks.filter((t) => t.status === "running")) {
    const last = journal.lastAttempt(task.id);
    const fromDeadRun =
      last !== undefined && journal.runOutcome(last.run_id) !== "finished" && journal.runOutcome(last.run_id) !== "failed";
    if (last?.outcome === "passed" && fromDeadRun) {
      if (config.run.commit) {
        const verified = JSON.parse(last.changed_files ?? "[]") as { path: string; hash: string | null }[];
        const intact = verified.filter((f) => fileHash(paths.root, f.path) === f.hash).map((f) => f.path);
        const dirty = new Set(workingChanges(paths.root).map((c) => c.path));
        const pending = intact.filter((f) => dirty.has(f));
        if (pending.length > 0) commitWork(paths, pending, `br: ${task.id}: ${task.title}`);
      }
      await transitionTask(paths, task.id, "done", { force: true });
      recovered.done.push(task.id);
      continue;
    }
    if (config.run.commit && last?.baseline && last.outcome === "interrupted") {
      const baseline = JSON.parse(last.baseline) as TreeSnapshot;
      // Undone: files the agent reported producing that still hold what it wrote, and files in the
      // task's scope. Anything else may be the user's, made after the kill.
      const produced = new Map(
        (JSON.parse(last.changed_files ?? "[]") as { path: string; hash: string | null }[]).map((f) => [f.path, f.hash]),
      );
      const changed = changesSince(paths.root, baseline).filter(
        (p) => !isOwnFile(p) && (inTaskScope(task, p) || (produced.has(p) && produced.get(p) === fileHash(paths.root, p))),
      );
      const kept = revertChanges(paths.root, baseline, changed);
      if (kept.length > 0) warn(`left as they are (they had uncommitted edits before the interrupted attempt): ${kept.join(", ")}`);
    }
    await transitionTask(paths, task.id, "reset", { force: true });
    recovered.retried.push(task.id);
  }
  return recovered;
}

/** When every task of a feature is done it is in testing; its acceptance commands and tests then complete it. */
async function completeFeatureIfVerified(paths: ProjectPaths, config: Config, featureId: string): Promise<boolean> {
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

/** What every step of a run reads, and the summary it adds to. */
interface RunContext {
  paths: ProjectPaths;
  options: RunOptions;
  config: Config;
  executorName: string;
  countTokens: (text: string) => number;
  summary: RunSummary;
}

/** A run past its preliminaries: journal open, executor made, run recorded. */
interface ActiveRun extends RunContext {
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

function checkExecutor(executorName: string, config: Config): void {
  if (!(EXECUTORS as readonly string[]).includes(executorName)) {
    throw usageError(`Unknown executor "${executorName}".`, { fix: `Use one of: ${EXECUTORS.join(", ")}.` });
  }
  // Codex and Gemini cannot run Claude models: they need their own model, or tiers that name theirs.
  const claudeTiers = Object.values(config.routing.tiers).filter((id) => id.startsWith("claude"));
  if ((executorName === "codex" || executorName === "gemini") && !config.executors[executorName]?.model && claudeTiers.length > 0) {
    throw usageError(`The ${executorName} executor cannot run ${claudeTiers.join(", ")}: the routing tiers name Claude models.`, {
      fix: `Pin one model (br config set executors.${executorName}.model ${executorName === "codex" ? "gpt-5-codex" : "gemini-2.5-pro"}), or route between the executor's models (br config set routing.tiers.haiku ${executorName === "codex" ? "gpt-5-mini" : "gemini-2.5-flash"}, and sonnet and opus likewise).`,
    });
  }
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
  const live = journal.liveRun();
  if (live)
    throw usageError(`Another br run (process ${live.pid}) is working in this project.`, {
      fix: "Wait for it, or stop it (its work is kept and resumed).",
    });
  summary.recovered = await recover(paths, journal, config);
  if (config.run.commit && !options.allowDirty) requireCleanTree(paths);
  const executor = createExecutor(executorName, config, paths.root, manualEvidence(paths));
  const runId = journal.startRun(executorName, { ...options });
  summary.runId = runId;
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
  if (config.run.commit) commitWork(paths, [], "br: update plan status");
  journal.finishRun(runId, summary.failed.length > 0 ? "failed" : outcome);
}

function requireCleanTree(paths: ProjectPaths): void {
  const dirty = workingChanges(paths.root).filter((c) => !isOwnFile(c.path));
  if (dirty.length === 0) return;
  throw usageError(
    `The working tree has uncommitted changes (${dirty
      .slice(0, 3)
      .map((c) => c.path)
      .join(", ")}${dirty.length > 3 ? ", …" : ""}).`,
    {
      fix: "Commit or stash them first: br run verifies each task by what it changed (or pass --allow-dirty).",
    },
  );
}

/** Evidence for the manual executor: `br tasks done` from another terminal, or changed files. */
function manualEvidence(paths: ProjectPaths): (taskId: string) => Evidence | undefined {
  return (taskId) => {
    const status = (JSON.parse(readText(paths.tasks)) as TasksFile).tasks.find((t) => t.id === taskId)?.status;
    if (status === "done") return "done";
    const changed = workingChanges(paths.root).filter((c) => !isOwnFile(c.path));
    return changed.length > 0 ? { changed: changed.map((c) => `${c.status}${c.path}`).join("|") } : undefined;
  };
}

function averageAttemptCost(summary: RunSummary): number {
  return summary.attempts > 0 ? summary.costUsd / summary.attempts : 0;
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
  if (options.maxCost !== undefined && summary.costUsd + averageAttemptCost(summary) > options.maxCost) {
    summary.stoppedBecause = `--max-cost $${options.maxCost} would be exceeded by the next attempt (spent $${summary.costUsd.toFixed(4)})`;
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
  const passed = await attemptTask(run, task, progress);
  await settleTask(run, task, passed, progress);
}

/** Attempts the task until one passes verification, the attempts run out, or a budget stops it. */
async function attemptTask(run: ActiveRun, task: Task, progress: TaskProgress): Promise<boolean> {
  const { options, summary } = run;
  for (let attempt = 1; attempt <= run.config.run.maxAttempts; attempt++) {
    if (attempt > 1 && retryRefused(run, progress)) return false;
    if (await runAttempt(run, task, progress, attempt)) return true;
    if (options.maxCost !== undefined && summary.costUsd >= options.maxCost) {
      summary.stoppedBecause = `--max-cost $${options.maxCost} reached`;
      return false;
    }
  }
  return false;
}

/** Whether the task's cap or the run's budget forbids another attempt (the reason says which). */
function retryRefused(run: ActiveRun, progress: TaskProgress): boolean {
  const { options, summary } = run;
  const maxTaskCost = options.maxTaskCost ?? run.config.run.maxTaskCost;
  if (maxTaskCost !== undefined && progress.cost >= maxTaskCost) {
    progress.lastReason = `${progress.lastReason}; not retried: the task has spent $${progress.cost.toFixed(4)} of its $${maxTaskCost} cap`;
    return true;
  }
  if (options.maxCost !== undefined && summary.costUsd + averageAttemptCost(summary) > options.maxCost) {
    progress.lastReason = `not retried: --max-cost $${options.maxCost} would be exceeded`;
    summary.stoppedBecause = `--max-cost $${options.maxCost} reached`;
    return true;
  }
  return false;
}

/** One attempt: prompt, agent, verification and accounting. True when its work is verified. */
async function runAttempt(run: ActiveRun, task: Task, progress: TaskProgress, attempt: number): Promise<boolean> {
  const { paths, config, executorName, journal } = run;
  const { tier, reason: tierReason } = tierForAttempt(progress.routed, attempt);
  const model = config.executors[executorName]?.model ?? modelFor(config, tier);
  const prompt = await promptFor(run, task, progress.earlier);
  const promptFile = join(run.promptsDir, `${task.id}.attempt-${attempt}.md`);
  // The snapshot comes first: whoever reads the prompt (a human, with the manual executor)
  // may start changing files the moment it appears.
  const baseline = snapshotTree(paths.root);
  writeFileAtomic(promptFile, prompt.text);
  const testsBefore = await testsAtStart(run, baseline.head);
  const restore = guardAttempt(paths, { ownFiles: executorName !== "manual" });
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
  });
  say(
    style.dim(
      `  attempt ${attempt}/${config.run.maxAttempts}: ${executorName}, ${model} (${tier}: ${tierReason}), prompt ${prompt.tokens} tokens`,
    ),
  );
  const report = await run.executor.run({
    taskId: task.id,
    prompt: prompt.text,
    promptFile,
    model,
    workdir: paths.root,
    timeoutMs: (config.executors[executorName]?.timeoutSeconds ?? config.run.timeoutSeconds) * 1000,
    onSpawn: (pid) => journal.setAgentPid(attemptId, pid),
  });
  const restored = restore();
  const changed = agentChanges(run, attemptId, baseline);
  const verification = await verify(task, report, changed, config, paths.root, await evidenceInputs(run, restored, testsBefore));
  const record = account(run, progress, report, model, verification);
  const finished: FinishedAttempt = { attempt, attemptId, baseline, changed, verification, record };
  if (!verification.passed) {
    rejectAttempt(run, progress, finished);
    return false;
  }
  await acceptAttempt(run, task, finished);
  return true;
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

async function acceptAttempt(run: ActiveRun, task: Task, finished: FinishedAttempt): Promise<void> {
  const { paths } = run;
  const { verification } = finished;
  // Recorded before the commit: a kill in between is finished from the journal on resume.
  run.journal.finishAttempt(finished.attemptId, { ...finished.record, outcome: "passed" });
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === task.id);
  if (current?.status !== "done") await transitionTask(paths, task.id, "done", { force: true });
  if (run.config.run.commit) {
    commitWork(paths, verification.changedFiles, `br: ${task.id}: ${task.title}`);
    recordCounts(paths.state, headCommit(paths.root), verification.testCounts);
  }
  say(`  ${style.green("✓ verified")}: ${verification.changedFiles.length} file(s) changed, ${verification.checks.length} check(s) passed`);
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

/** The task's end: done (perhaps completing its feature), back to waiting when a budget stopped it early, or failed. */
async function settleTask(run: ActiveRun, task: Task, passed: boolean, progress: TaskProgress): Promise<void> {
  const { paths, config, summary } = run;
  if (passed) {
    summary.done.push(task.id);
    if (await completeFeatureIfVerified(paths, config, task.featureId)) summary.completedFeatures.push(task.featureId);
  } else if (summary.stoppedBecause && progress.earlier.length < config.run.maxAttempts) {
    // Stopped by the budget with attempts to spare: the task is not failed, it waits.
    await transitionTask(paths, task.id, "reset", { force: true });
    summary.skipped.push(task.id);
  } else {
    await transitionTask(paths, task.id, "fail", { force: true, reason: mask(progress.lastReason).slice(0, 500) });
    summary.failed.push({ id: task.id, reason: progress.lastReason });
  }
}
