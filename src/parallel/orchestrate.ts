/**
 * `br run --parallel <n>` and the building blocks around it: streams are made (a worktree and a
 * branch each), one `br worker` process per stream works the plan, each verified task is
 * integrated as it lands, a worker that dies is recovered and restarted, and at the end the plan's
 * status is committed and finished worktrees are removed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Config, loadConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { git, isGitRepo } from "../infra/git.js";
import { say, style, warn } from "../infra/log.js";
import { isAlive } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { clearRequests } from "../run/control.js";
import type { RunOptions, RunSummary } from "../run/engine.js";
import { Journal } from "../run/journal.js";
import { recover } from "../run/recover.js";
import { checkExecutor, claimRun, commitWork, preflight, requireCleanTree, resetFailed } from "../run/start.js";
import { revParse } from "./integrate.js";
import { cleanStreams } from "./merge.js";
import { recoverStreams, type StreamRecovery } from "./recover.js";
import { pickTask } from "./schedule.js";
import { type StreamRow, StreamStore } from "./store.js";
import type { WorkerReport } from "./worker.js";
import { createWorktree, streamsDir } from "./worktree.js";

export interface StreamView {
  name: string;
  path: string;
  branch: string;
  port: number;
  status: StreamRow["status"];
  task: string | null;
  lastResult: string | null;
  working: boolean;
}

export interface ParallelSummary extends RunSummary {
  parallel: number;
  target: string;
  streams: StreamView[];
  conflicts: WorkerReport["conflicts"];
  /** Verified tasks whose integration could not happen (the main checkout in the way): kept on their stream's branch. */
  waiting: WorkerReport["waiting"];
  /** Workers that died (a kill, a crash) and were recovered and started again. */
  restarts: { stream: string; exit: string }[];
  streamRecovery: StreamRecovery;
  cleaned: string[];
  /** The workers' integrations: how many, and their total time (br's own overhead per merge). */
  integrations: { count: number; totalMs: number };
}

export function view(row: StreamRow): StreamView {
  return {
    name: row.name,
    path: row.path,
    branch: row.branch,
    port: row.port,
    status: row.status,
    task: row.task_id,
    lastResult: row.last_result,
    working: row.worker_pid !== null && isAlive(row.worker_pid),
  };
}

/** The branch the main checkout has out: where verified work is integrated. */
export function targetBranch(paths: ProjectPaths): string {
  if (!isGitRepo(paths.root))
    throw usageError(`${paths.root} is not a git repository.`, {
      fix: "Parallel streams are git worktrees: run `git init` and commit first.",
    });
  const branch = git(paths.root, ["symbolic-ref", "-q", "--short", "HEAD"]).stdout.trim();
  if (!branch || !revParse(paths.root, "HEAD"))
    throw usageError("The main checkout has no branch with a commit to build on (detached HEAD or an empty repository).", {
      fix: "Check out the branch to integrate into (git switch main) and commit at least once.",
    });
  return branch;
}

/** Streams stream-1 … stream-n, each with a worktree on its branch at the target's tip (existing ones are kept). */
export function ensureStreams(paths: ProjectPaths, config: Config, store: StreamStore, count: number, target: string): StreamRow[] {
  const dir = streamsDir(paths, config);
  mkdirSync(dir, { recursive: true });
  const tip = revParse(paths.root, `refs/heads/${target}`) as string;
  const rows: StreamRow[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `stream-${i}`;
    const row = store.create({ name, path: join(dir, name), branch: `br/${name}`, target, port: config.parallel.basePort + 10 * (i - 1) });
    if (!worktreeExists(paths, row.path)) createWorktree(paths, config, row, tip);
    if (row.target !== target) store.update(name, { target });
    rows.push(store.get(name) as StreamRow);
  }
  return rows;
}

function worktreeExists(paths: ProjectPaths, path: string): boolean {
  return git(paths.root, ["worktree", "list", "--porcelain"]).stdout.split("\n").includes(`worktree ${path}`);
}

/** `br orchestrate --parallel`: the streams, and which ready task each would take first. */
export async function orchestrate(
  paths: ProjectPaths,
  count: number,
): Promise<{ target: string; streams: StreamView[]; firstWave: { stream: string; task: string }[] }> {
  const config = (await loadConfig(paths)).config;
  const target = targetBranch(paths);
  const store = StreamStore.open(paths);
  try {
    const rows = ensureStreams(paths, config, store, count, target);
    const plan = await loadTasks(paths);
    const simulated = { ...plan, tasks: plan.tasks.map((t) => ({ ...t })) };
    const firstWave: { stream: string; task: string }[] = [];
    for (const row of rows) {
      const task = pickTask(
        simulated,
        simulated.tasks.filter((t) => t.status === "running"),
      );
      if (!task) break;
      task.status = "running";
      firstWave.push({ stream: row.name, task: task.id });
    }
    return { target, streams: store.list().map(view), firstWave };
  } finally {
    store.close();
  }
}

/** How often a dead worker's stream is recovered and its worker started again in one run. */
const MAX_RESTARTS = 3;

interface Orchestra {
  paths: ProjectPaths;
  config: Config;
  options: ParallelOptions;
  runId: number;
  reportsDir: string;
  restarts: ParallelSummary["restarts"];
}

export interface ParallelOptions extends RunOptions {
  streams: number;
}

/** The flags a worker gets from the orchestrator's own. */
function workerArgs(options: ParallelOptions): string[] {
  const args: string[] = ["--auto"];
  if (options.executor) args.push("--executor", options.executor);
  if (options.maxCost !== undefined) args.push("--max-cost", String(options.maxCost));
  if (options.maxTaskCost !== undefined) args.push("--max-task-cost", String(options.maxTaskCost));
  if (options.maxTasks !== undefined) args.push("--max-tasks", String(options.maxTasks));
  return args;
}

/** Runs one worker to its end; its output is prefixed with the stream's name, on stderr (stdout stays the summary's). */
function runWorkerProcess(o: Orchestra, stream: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const report = join(o.reportsDir, `${stream}.json`);
  const bin = process.argv[1] as string;
  const child = spawn(
    process.execPath,
    [bin, "worker", "--stream", stream, "--run", String(o.runId), "--report", report, ...workerArgs(o.options)],
    {
      cwd: o.paths.root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BR_WORKER_OF: String(process.pid) },
    },
  );
  const prefix = style.dim(`[${stream}] `);
  for (const source of [child.stdout, child.stderr]) {
    let pending = "";
    source.setEncoding("utf8");
    source.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) process.stderr.write(`${prefix}${line}\n`);
    });
    source.on("end", () => {
      if (pending) process.stderr.write(`${prefix}${pending}\n`);
    });
  }
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
}

/** A worker's whole life in the run: started again (after recovering its stream) when it dies of a kill or a crash. */
async function superviseStream(o: Orchestra, stream: string): Promise<void> {
  for (let restarts = 0; ; restarts++) {
    const { code, signal } = await runWorkerProcess(o, stream);
    // A worker that ended on its own wrote its report; one without is a crash, whatever its exit code.
    if (code !== null && code <= 2 && existsSync(join(o.reportsDir, `${stream}.json`))) return;
    const exit = signal ? `killed by ${signal}` : `exit ${code}`;
    if (restarts >= MAX_RESTARTS) {
      warn(`${stream}'s worker died again (${exit}); not restarted`);
      return;
    }
    warn(`${stream}'s worker died (${exit}); recovering its stream and starting it again`);
    o.restarts.push({ stream, exit });
    await withStores(o.paths, (store, journal) => recoverStreams(o.paths, o.config, journal, store));
  }
}

async function withStores<T>(paths: ProjectPaths, work: (store: StreamStore, journal: Journal) => Promise<T>): Promise<T> {
  const store = StreamStore.open(paths);
  const journal = Journal.open(paths);
  try {
    return await work(store, journal);
  } finally {
    journal.close();
    store.close();
  }
}

function readReports(dir: string, names: readonly string[]): WorkerReport[] {
  const reports: WorkerReport[] = [];
  for (const name of names) {
    try {
      reports.push(JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as WorkerReport);
    } catch {
      // the worker died before reporting: the journal and the plan still say what it did
    }
  }
  return reports;
}

export async function runParallel(paths: ProjectPaths, options: ParallelOptions): Promise<ParallelSummary> {
  const started = Date.now();
  const config = (await loadConfig(paths)).config;
  const executorName = options.executor ?? config.run.executor;
  checkExecutor(executorName, config);
  if (executorName === "manual" || executorName === "replay")
    throw usageError(`The ${executorName} executor cannot run in parallel streams.`, { fix: "Use br run without --parallel for it." });
  if (!config.run.commit)
    throw usageError("Parallel streams integrate verified work as commits, and run.commit is false.", {
      fix: "br config set run.commit true, or run without --parallel.",
    });
  const target = targetBranch(paths);
  const journal = Journal.open(paths);
  try {
    const runId = await claimRun(paths, journal, executorName, { ...options, parallel: options.streams });
    const summary = await orchestrateRun(paths, config, journal, runId, target, options);
    summary.durationMs = Date.now() - started;
    return summary;
  } finally {
    journal.close();
  }
}

/** What the plan looks like before the run: to tell this run's results from earlier ones. */
function statusById(tasks: readonly Task[]): Map<string, string> {
  return new Map(tasks.map((t) => [t.id, t.status]));
}

async function orchestrateRun(
  paths: ProjectPaths,
  config: Config,
  journal: Journal,
  runId: number,
  target: string,
  options: ParallelOptions,
): Promise<ParallelSummary> {
  const store = StreamStore.open(paths);
  let streamRecovery: StreamRecovery;
  let recovered: RunSummary["recovered"];
  let retriedFailed: string[] = [];
  try {
    streamRecovery = await recoverStreams(paths, config, journal, store);
    recovered = await recover(paths, journal, config, (files, message) => commitWork(paths, config, files, message));
    preflight(paths, config, options.executor ?? config.run.executor);
    if (config.run.commit && !options.allowDirty) requireCleanTree(paths);
    if (options.retryFailed) retriedFailed = await resetFailed(paths);
    ensureStreams(paths, config, store, options.streams, target);
    // A pause or stop belongs to the run it was asked of: a new run starts without one.
    clearRequests(
      paths.state,
      runId,
      store.list().map((s) => s.name),
    );
  } catch (error) {
    journal.finishRun(runId, "refused");
    store.close();
    throw error;
  }
  store.close();
  const before = statusById((await loadTasks(paths)).tasks);
  const names = Array.from({ length: options.streams }, (_, i) => `stream-${i + 1}`);
  const reportsDir = join(paths.state, "streams", `run-${runId}`);
  mkdirSync(reportsDir, { recursive: true });
  say(style.bold(`Running ${names.length} streams into ${target}: ${names.join(", ")}`));
  const orchestra: Orchestra = { paths, config, options, runId, reportsDir, restarts: [] };
  await Promise.all(names.map((name) => superviseStream(orchestra, name)));
  const reports = readReports(reportsDir, names);
  rmSync(reportsDir, { recursive: true, force: true });
  const finalRecovery = await withStores(paths, (s, j) => recoverStreams(paths, config, j, s));
  streamRecovery = mergeRecoveries(streamRecovery, finalRecovery);
  return finishRun({
    paths,
    config,
    journal,
    runId,
    target,
    options,
    before,
    reports,
    orchestra,
    streamRecovery,
    recovered,
    retriedFailed,
  });
}

function mergeRecoveries(a: StreamRecovery, b: StreamRecovery): StreamRecovery {
  return {
    retried: [...a.retried, ...b.retried],
    finished: [...a.finished, ...b.finished],
    integrations: [...a.integrations, ...b.integrations],
  };
}

interface Finish {
  paths: ProjectPaths;
  config: Config;
  journal: Journal;
  runId: number;
  target: string;
  options: ParallelOptions;
  before: Map<string, string>;
  reports: WorkerReport[];
  orchestra: Orchestra;
  streamRecovery: StreamRecovery;
  recovered: RunSummary["recovered"];
  retriedFailed: string[];
}

async function finishRun(f: Finish): Promise<ParallelSummary> {
  const { paths, config, journal, runId } = f;
  if (config.run.commit) {
    const rejected = commitWork(paths, config, [], "br: update plan status");
    if (rejected) warn(`a git hook rejected br's commit of the plan's status; .buildrunner/ stays uncommitted: ${rejected}`);
  }
  const plan = (await loadTasks(paths)).tasks;
  const summary = summaryFromJournal(f, plan);
  const stop = f.reports.find((r) => r.setupFailure) ?? f.reports.find((r) => r.outage) ?? f.reports.find((r) => r.stoppedBecause);
  if (stop?.stoppedBecause) summary.stoppedBecause = stop.stoppedBecause;
  if (stop?.setupFailure) summary.setupFailure = stop.setupFailure;
  if (stop?.outage) summary.outage = stop.outage;
  const { cleaned } = summary.stoppedBecause ? { cleaned: [] } : await cleanStreams(paths);
  summary.cleaned = cleaned;
  summary.streams = await withStores(paths, async (store) => store.list().map(view));
  journal.finishRun(runId, summary.failed.length > 0 ? "failed" : summary.stoppedBecause ? "stopped" : "finished");
  return summary;
}

function summaryFromJournal(f: Finish, plan: readonly Task[]): ParallelSummary {
  const attempts = f.journal.runAttempts(f.runId);
  const tokens = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  const costByModel: Record<string, number> = {};
  for (const a of attempts) {
    tokens.inputTokens += a.input_tokens;
    tokens.outputTokens += a.output_tokens;
    tokens.cacheWriteTokens += a.cache_write_tokens;
    tokens.cacheReadTokens += a.cache_read_tokens;
    if (a.model) costByModel[a.model] = (costByModel[a.model] ?? 0) + a.cost_usd;
  }
  const changed = (status: string) => plan.filter((t) => t.status === status && f.before.get(t.id) !== status);
  const executor = f.options.executor ?? f.config.run.executor;
  return {
    runId: f.runId,
    executor,
    parallel: f.options.streams,
    target: f.target,
    done: changed("done").map((t) => t.id),
    failed: changed("failed").map((t) => ({ id: t.id, reason: t.failureReason ?? "failed" })),
    skipped: [],
    attempts: attempts.length,
    tokens,
    costUsd: attempts.reduce((sum, a) => sum + a.cost_usd, 0),
    costByModel,
    durationMs: 0,
    completedFeatures: [],
    recovered: f.recovered,
    failedInPlan: plan.filter((t) => t.status === "failed").map((t) => t.id),
    retriedFailed: f.retriedFailed,
    streams: [],
    conflicts: f.reports.flatMap((r) => r.conflicts),
    waiting: f.reports.flatMap((r) => r.waiting),
    restarts: f.orchestra.restarts,
    streamRecovery: f.streamRecovery,
    cleaned: [],
    integrations: {
      count: f.reports.reduce((n, r) => n + r.integrationMs.length, 0),
      totalMs: f.reports.reduce((n, r) => n + r.integrationMs.reduce((a, b) => a + b, 0), 0),
    },
  };
}
