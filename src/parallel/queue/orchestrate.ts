/**
 * `br run --parallel <n>` with a queue: this machine keeps the plan and the target branch, and
 * workers anywhere build the tasks. It sends each ready task whose files overlap no task in flight
 * as a job (at most n at once), built on the target's tip it has pushed to the shared remote;
 * as each job completes it fetches the verified commit and integrates it exactly as a local
 * stream's (conflicts predicted first), then pushes the target so the next tasks build on it.
 * Jobs whose workers died are retried by pg-boss on another worker; a task is integrated once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JobWithMetadata } from "pg-boss";
import { type Config, loadConfig } from "../../infra/config.js";
import { nodeCrypto } from "../../infra/crypto.js";
import { usageError } from "../../infra/errors.js";
import { git } from "../../infra/git.js";
import { say, style, warn } from "../../infra/log.js";
import type { ProjectPaths } from "../../infra/project.js";
import { type QueueTarget, redactQueueUrl } from "../../infra/queue-url.js";
import { transitionTask } from "../../plan/scheduler.js";
import type { Task } from "../../plan/task.js";
import { loadTasks } from "../../plan/task-store.js";
import { Journal } from "../../run/journal.js";
import { completeFeatureIfVerified } from "../../run/record.js";
import { recover } from "../../run/recover.js";
import { checkExecutor, claimRun, commitWork, requireCleanTree } from "../../run/start.js";
import { integrateStream, revParse } from "../integrate.js";
import { type ParallelOptions, targetBranch } from "../orchestrate.js";
import { pickTask } from "../schedule.js";
import { StreamStore } from "../store.js";
import { createWorktree, streamsDir } from "../worktree.js";
import { RENEW_MS, releaseConductorLease, renewConductorLease, takeConductorLease } from "./conductor-lease.js";
import { connectQueue, type QueueConnection, queueSettings, SHARED_SCHEMA } from "./connection.js";
import { jobId, type LedgerTotals, runTotals, type TaskJob, type TaskResult } from "./jobs.js";
import { pullLedger } from "./ledger-sync.js";

/** How often the orchestrator looks at its jobs' states. */
const POLL_MS = 500;
/** The local stream whose worktree integrations of remote work use (a rebase of several commits needs one). */
const INTEGRATION_STREAM = "queue";

export interface QueueRunSummary {
  runId: number;
  runKey: string;
  queue: string;
  url: string;
  target: string;
  parallel: number;
  done: string[];
  failed: { id: string; reason: string }[];
  conflicts: { task: string; files: string[]; tasks: string[]; kept: string }[];
  /** Each integration into the target, in order: a task appears here once. */
  integrated: { task: string; commit: string; worker: string }[];
  ledger: LedgerTotals;
  /** br merge --streams: tasks whose jobs workers still hold (they are integrated by the next run or merge). */
  waiting?: string[];
  stoppedBecause?: string;
  durationMs: number;
}

interface InFlight {
  task: Task;
  id: string;
  base: string;
}

interface Conductor {
  paths: ProjectPaths;
  config: Config;
  options: QueueRunOptions;
  connection: QueueConnection;
  store: StreamStore;
  target: string;
  runKey: string;
  inFlight: Map<string, InFlight>;
  /** The runs whose jobs this conductor settles: its own, and earlier ones it adopted. */
  runKeys: Set<string>;
  summary: QueueRunSummary;
  /** This conductor's lease on the project's queue, renewed as the loop goes. */
  lease: { owner: string; renewedAt: number };
  /** Whether the jobs no worker took were cancelled (once the run stopped). */
  cancelled?: boolean;
}

function pushTarget(root: string, target: string): void {
  const pushed = git(root, ["push", "-q", "origin", `refs/heads/${target}:refs/heads/${target}`], 10 * 60_000);
  if (pushed.code !== 0)
    throw usageError(`git push of ${target} to the shared remote failed: ${pushed.stderr.trim()}`, {
      fix: "Workers build on what is pushed to origin: make `git push origin <target>` work here (pull first if it was refused).",
    });
}

function requireRemote(root: string): void {
  if (git(root, ["remote", "get-url", "origin"]).code !== 0)
    throw usageError("A queued run needs a shared remote (origin) that the workers clone and push to.", {
      fix: "git remote add origin <url of a repository every worker can reach>, push, then run again.",
    });
}

/** The worktree integrations of remote work use, made once. */
function integrationStream(paths: ProjectPaths, config: Config, store: StreamStore, target: string): void {
  const path = `${streamsDir(paths, config)}/${INTEGRATION_STREAM}`;
  const row = store.create({ name: INTEGRATION_STREAM, path, branch: `br/${INTEGRATION_STREAM}`, target, port: config.parallel.basePort });
  const listed = git(paths.root, ["worktree", "list", "--porcelain"]).stdout.split("\n").includes(`worktree ${path}`);
  if (!listed) createWorktree(paths, config, row, revParse(paths.root, `refs/heads/${target}`) as string);
  if (row.target !== target) store.update(INTEGRATION_STREAM, { target });
}

/** Sends ready tasks that overlap nothing in flight, up to the run's parallelism. */
async function sendReady(c: Conductor): Promise<void> {
  if (c.summary.stoppedBecause) return;
  const plan = await loadTasks(c.paths);
  const busy = [...c.inFlight.values()].map((f) => f.task);
  const simulated = { ...plan, tasks: plan.tasks.map((t) => ({ ...t })) };
  while (c.inFlight.size < c.options.streams) {
    const running = simulated.tasks.filter((t) => t.status === "running");
    const task = pickTask(simulated, [...busy, ...running]);
    if (!task) return;
    task.status = "running";
    const base = revParse(c.paths.root, `refs/heads/${c.target}`) as string;
    const id = jobId(c.runKey, task.id, 0);
    const data: TaskJob = {
      project: c.connection.project,
      runKey: c.runKey,
      task: { ...task, status: "ready" },
      base,
      target: c.target,
      ...(c.options.executor ? { executor: c.options.executor } : {}),
      ...(c.options.maxTaskCost !== undefined ? { maxTaskCost: c.options.maxTaskCost } : {}),
    };
    await transitionTask(c.paths, task.id, "start");
    await c.connection.boss.send(c.connection.queue, data, { id });
    c.inFlight.set(id, { task, id, base });
    busy.push(task);
    say(`${style.cyan("⇢ queued")} ${task.id}: ${task.title}`);
  }
}

/** The run's budget, counted over every machine's attempts in the shared ledger. */
async function budgetReached(c: Conductor): Promise<void> {
  const { maxCost } = c.options;
  if (maxCost === undefined || c.summary.stoppedBecause) return;
  const totals = await runTotals(c.connection, c.runKey);
  if (totals.costUsd >= maxCost) c.summary.stoppedBecause = `--max-cost $${maxCost} reached`;
}

async function integrateResult(c: Conductor, flight: InFlight, result: Extract<TaskResult, { outcome: "passed" }>): Promise<void> {
  const { paths, store, target } = c;
  const local = `refs/br/queue-in/${flight.task.id}`;
  const fetched = git(paths.root, ["fetch", "-q", "origin", `+refs/heads/${result.branch}:${local}`], 10 * 60_000);
  if (fetched.code !== 0 || revParse(paths.root, local) !== result.commit) {
    await failTask(c, flight.task, `its verified commit ${result.commit.slice(0, 10)} could not be fetched from ${result.branch}`);
    return;
  }
  store.update(INTEGRATION_STREAM, {
    status: "verified",
    task_id: flight.task.id,
    base: flight.base,
    commit_sha: result.commit,
    combined: null,
  });
  const integration = await integrateStream(paths, c.config, store, INTEGRATION_STREAM);
  if (integration.kind === "integrated" || integration.kind === "present") {
    const commit = revParse(paths.root, `refs/heads/${target}`) as string;
    pushTarget(paths.root, target);
    git(paths.root, ["push", "-q", "origin", "--delete", result.branch]);
    git(paths.root, ["update-ref", "-d", local]);
    c.summary.integrated.push({ task: flight.task.id, commit, worker: result.worker });
    c.summary.done.push(flight.task.id);
    say(`  ${style.green("⇢ integrated")} ${flight.task.id} from ${result.worker} into ${target}`);
    if (await completeFeatureIfVerified(paths, c.config, flight.task.featureId))
      say(`  ${style.green("✓")} feature ${flight.task.featureId} complete`);
  } else if (integration.kind === "conflict") {
    c.summary.conflicts.push({ task: flight.task.id, files: integration.files, tasks: integration.tasks, kept: integration.kept });
    warn(`${flight.task.id} conflicts in ${integration.files.join(", ")}; its commit is kept on ${integration.kept}`);
  } else {
    c.summary.stoppedBecause = `${flight.task.id} is verified but cannot be integrated: ${integration.reason}`;
  }
}

async function failTask(c: Conductor, task: Task, reason: string): Promise<void> {
  await transitionTask(c.paths, task.id, "fail", { force: true, reason: reason.slice(0, 500) });
  c.summary.failed.push({ id: task.id, reason });
  warn(`${task.id} failed: ${reason}`);
}

/** What became of one job that left the queue: integrated, failed, or handed back to the plan. */
async function settle(c: Conductor, flight: InFlight, job: JobWithMetadata<TaskJob>): Promise<void> {
  if (job.state === "cancelled") {
    // Cancelled before a worker took it (the run stopped), or by an operator: not the task's failure.
    await transitionTask(c.paths, flight.task.id, "reset", { force: true });
    return;
  }
  if (job.state !== "completed") {
    const detail = failureDetail(job.output) ?? job.state;
    await failTask(c, flight.task, `its job ${job.state} after ${job.retryCount + 1} lease(s): ${detail}`);
    return;
  }
  const result = job.output as TaskResult;
  if (result.outcome === "passed") await integrateResult(c, flight, result);
  else if (result.outcome === "stopped") {
    await transitionTask(c.paths, flight.task.id, "reset", { force: true });
    c.summary.stoppedBecause ??= `${flight.task.id} on ${result.worker}: ${result.reason}`;
  } else await failTask(c, flight.task, `${result.reason} (on ${result.worker})`);
}

/** A settled job is never adopted by a later run (its result was integrated, or failed here for good). */
async function markSettled(c: Conductor, job: JobWithMetadata<TaskJob>): Promise<void> {
  await c.connection.sql(
    `INSERT INTO ${SHARED_SCHEMA}.settled (project, job_id, outcome) VALUES ($1, $2, $3) ON CONFLICT (project, job_id) DO NOTHING`,
    [c.connection.project, job.id, job.state],
  );
}

/** Why pg-boss failed a job: a handler's error, or its own (`{ value: { message } }` for a lapsed heartbeat). */
function failureDetail(output: unknown): string | undefined {
  const o = output as { message?: unknown; value?: { message?: unknown } } | null;
  const message = o?.message ?? o?.value?.message;
  return typeof message === "string" ? message : undefined;
}

const SETTLED = new Set(["completed", "failed", "cancelled"]);

async function settleFinished(c: Conductor): Promise<void> {
  if (c.inFlight.size === 0) return;
  const jobs: JobWithMetadata<TaskJob>[] = [];
  for (const runKey of c.runKeys)
    jobs.push(...(await c.connection.boss.findJobs<TaskJob>(c.connection.queue, { data: { runKey }, limit: 10_000 })));
  const seen = new Set(jobs.map((j) => j.id));
  const settled = jobs.filter((j) => c.inFlight.has(j.id) && SETTLED.has(j.state));
  // The workers' attempts into this journal first, so status and the dashboard show them with the result.
  if (settled.length > 0) await pullLedger(c.paths, c.connection);
  for (const job of settled) {
    const flight = c.inFlight.get(job.id) as InFlight;
    try {
      await settle(c, flight, job);
    } catch (error) {
      // Not the server: integration itself failed (a lock, git). The task fails with the reason; the run goes on.
      await failTask(c, flight.task, `its verified result could not be integrated: ${(error as Error).message}`);
    }
    // Not worth failing the run for: a job left unmarked is at worst looked at again by a later run, and found present.
    await markSettled(c, job).catch((error: Error) => warn(`queue: ${job.id} could not be marked settled: ${error.message}`));
    c.inFlight.delete(flight.id);
  }
  // A job that is gone (deleted by hand, or by another run's clean-up) would be waited for forever: its task goes back to ready.
  for (const flight of [...c.inFlight.values()]) {
    if (seen.has(flight.id)) continue;
    c.inFlight.delete(flight.id);
    await transitionTask(c.paths, flight.task.id, "reset", { force: true });
    warn(`${flight.task.id}'s job left the queue unfinished; the task is ready again`);
  }
}

/**
 * Jobs an earlier orchestrator of this project left behind (it was killed, or its machine went
 * away): a verified result is integrated now rather than built again, and a job a worker still
 * holds is waited for. Only for tasks the plan does not have done, one job per task, so a task is
 * integrated once however many runs sent it.
 */
async function adoptEarlierJobs(c: Conductor): Promise<string[]> {
  const jobs = await c.connection.boss.findJobs<TaskJob>(c.connection.queue, { limit: 100_000 });
  const settled = new Set(
    (
      await c.connection.sql<{ job_id: string }>(`SELECT job_id FROM ${SHARED_SCHEMA}.settled WHERE project = $1`, [c.connection.project])
    ).map((r) => r.job_id),
  );
  const plan = await loadTasks(c.paths);
  const open = new Map(plan.tasks.filter((t) => t.status !== "done").map((t) => [t.id, t]));
  const taken = new Set([...c.inFlight.values()].map((f) => f.task.id));
  const adopted: string[] = [];
  // Newest first: a task's latest verified result is the one worth keeping.
  for (const job of jobs.sort((a, b) => new Date(b.createdOn).getTime() - new Date(a.createdOn).getTime())) {
    const task = open.get(job.data.task.id);
    if (job.data.runKey === c.runKey || job.data.target !== c.target || settled.has(job.id)) continue;
    if (!task || taken.has(task.id) || !adoptable(job)) continue;
    if (task.status !== "running") await transitionTask(c.paths, task.id, "start", { force: true });
    c.inFlight.set(job.id, { task, id: job.id, base: job.data.base });
    c.runKeys.add(job.data.runKey);
    taken.add(task.id);
    adopted.push(task.id);
  }
  return adopted;
}

/** A job worth adopting: one a worker holds now, or one that finished with a verified commit. */
function adoptable(job: JobWithMetadata<TaskJob>): boolean {
  if (job.state === "active" || job.state === "retry") return true;
  return job.state === "completed" && (job.output as TaskResult | null)?.outcome === "passed";
}

/** Renews the conductor's lease every few seconds; a lease another conductor took stops this run. */
async function keepLease(c: Conductor): Promise<void> {
  if (Date.now() - c.lease.renewedAt < RENEW_MS || c.summary.stoppedBecause) return;
  if (await renewConductorLease(c.connection, c.lease.owner)) c.lease.renewedAt = Date.now();
  else c.summary.stoppedBecause = "another br took over this project's queue while this one was out of touch";
}

/** The loop: send what is ready, settle what finished, until nothing is in flight and nothing more can be sent. */
async function conduct(c: Conductor): Promise<void> {
  for (;;) {
    try {
      await keepLease(c);
      await budgetReached(c);
      await sendReady(c);
      if (c.summary.stoppedBecause && !c.cancelled) {
        c.cancelled = true;
        await cancelQueued(c);
      }
      if (c.inFlight.size === 0) return;
      await sleep(POLL_MS);
      await settleFinished(c);
    } catch (error) {
      if (!isServerError(error)) throw error;
      // The server is unreachable for a moment: the jobs keep their state there; look again.
      warn(`queue: ${redactQueueUrl((error as Error).message)}; retrying`);
      await sleep(2000);
    }
  }
}

/** An error of the connection or the server (pg's errors carry a SQLSTATE code; sockets an errno), not of br's own work. */
function isServerError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return /connect|terminat|timeout|ECONN|socket/i.test(String((error as Error).message));
  return /^(E[A-Z]+|08|57|53)/.test(code);
}

/** The run's jobs no worker has taken yet are cancelled when it stops: nobody would integrate them. */
async function cancelQueued(c: Conductor): Promise<void> {
  const queued = await c.connection.boss.findJobs<TaskJob>(c.connection.queue, { data: { runKey: c.runKey }, queued: true });
  if (queued.length > 0)
    await c.connection.boss.cancel(
      c.connection.queue,
      queued.map((j) => j.id),
    );
  for (const job of queued) await transitionTask(c.paths, job.data.task.id, "reset", { force: true }).catch(() => undefined);
}

/** A queued run's options: `mergeOnly` (br merge --streams) integrates what is finished and sends nothing. */
export interface QueueRunOptions extends ParallelOptions {
  mergeOnly?: boolean;
}

function checkQueuedRun(config: Config, executorName: string): void {
  checkExecutor(executorName, config);
  if (executorName === "manual" || executorName === "replay")
    throw usageError(`The ${executorName} executor cannot run on queue workers.`, { fix: "Use br run without --parallel for it." });
  if (!config.run.commit)
    throw usageError("Queued runs integrate verified work as commits, and run.commit is false.", {
      fix: "br config set run.commit true, or run without --parallel.",
    });
}

function emptySummary(
  runId: number,
  runKey: string,
  connection: QueueConnection,
  url: string,
  target: string,
  parallel: number,
): QueueRunSummary {
  return {
    runId,
    runKey,
    queue: connection.queue,
    url: redactQueueUrl(url),
    target,
    parallel,
    done: [],
    failed: [],
    conflicts: [],
    integrated: [],
    ledger: { attempts: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, byMachine: [] },
    durationMs: 0,
  };
}

/** Sends, settles and integrates until the run is over; what it leaves (merge only: tasks still held by workers) goes back to ready. */
async function drive(c: Conductor, mergeOnly: boolean): Promise<void> {
  const adopted = await adoptEarlierJobs(c);
  if (adopted.length > 0) say(`  taking over ${adopted.length} task(s) an earlier run left on the queue: ${adopted.join(", ")}`);
  try {
    if (mergeOnly) await settleFinished(c);
    else await conduct(c);
  } finally {
    if (!mergeOnly) await cancelQueued(c).catch(() => undefined);
    for (const flight of c.inFlight.values())
      await transitionTask(c.paths, flight.task.id, "reset", { force: true }).catch(() => undefined);
  }
  if (mergeOnly) c.summary.waiting = [...c.inFlight.values()].map((f) => f.task.id);
}

interface Held {
  config: Config;
  executorName: string;
  target: string;
  connection: QueueConnection;
  lease: string;
  started: number;
}

export async function runQueueParallel(paths: ProjectPaths, options: QueueRunOptions, queue: QueueTarget): Promise<QueueRunSummary> {
  const started = Date.now();
  const config = (await loadConfig(paths)).config;
  const executorName = options.executor ?? config.run.executor;
  if (!options.mergeOnly) checkQueuedRun(config, executorName);
  const target = targetBranch(paths);
  requireRemote(paths.root);
  if (!options.allowDirty) requireCleanTree(paths);
  const connection = await connectQueue(queue.url, paths.root, queueSettings(config));
  let lease: string | undefined;
  try {
    // Before anything is written, pushed or deleted: a second conductor of the project is refused here.
    lease = await takeConductorLease(connection);
    return await conductRun(paths, options, queue, { config, executorName, target, connection, lease, started });
  } finally {
    if (lease) await releaseConductorLease(connection, lease).catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

/** The run itself, once this machine holds the project's conductor lease. */
async function conductRun(paths: ProjectPaths, options: QueueRunOptions, queue: QueueTarget, held: Held): Promise<QueueRunSummary> {
  const { config, target, connection } = held;
  const journal = Journal.open(paths);
  const store = StreamStore.open(paths);
  let runId: number | undefined;
  try {
    runId = await claimRun(paths, journal, held.executorName, { ...options, parallel: options.streams, queue: true });
    await recover(paths, journal, config, (files, message) => commitWork(paths, config, files, message));
    pushTarget(paths.root, target);
    integrationStream(paths, config, store, target);
    // Jobs of an earlier run of this project that no worker took: their tasks were put back to ready.
    if (!options.mergeOnly) await connection.boss.deleteQueuedJobs(connection.queue);
    const runKey = `${connection.project}-${runId}-${nodeCrypto().randomBytes(4).toString("hex")}`;
    journal.tagRun(runId, { queueRunKey: runKey });
    if (!options.mergeOnly)
      say(
        style.bold(
          `Running on the queue ${connection.queue} at ${redactQueueUrl(queue.url)}, up to ${options.streams} task(s) at once, into ${target}`,
        ),
      );
    const summary = emptySummary(runId, runKey, connection, queue.url, target, options.streams);
    const conductor: Conductor = {
      paths,
      config,
      options,
      connection,
      store,
      target,
      runKey,
      inFlight: new Map(),
      runKeys: new Set([runKey]),
      summary,
      lease: { owner: held.lease, renewedAt: Date.now() },
    };
    await drive(conductor, options.mergeOnly === true);
    summary.ledger = await runTotals(connection, runKey);
    await pullLedger(paths, connection).catch((error: Error) => warn(`the shared ledger could not be copied here: ${error.message}`));
    finish(paths, config, target);
    journal.finishRun(runId, summary.failed.length > 0 ? "failed" : summary.stoppedBecause ? "stopped" : "finished");
    summary.durationMs = Date.now() - held.started;
    return summary;
  } catch (error) {
    if (runId !== undefined) journal.finishRun(runId, "failed");
    throw error;
  } finally {
    store.close();
    journal.close();
  }
}

/** The plan's status committed and pushed: the remote tells every machine what is done. */
function finish(paths: ProjectPaths, config: Config, target: string): void {
  if (!config.run.commit) return;
  const rejected = commitWork(paths, config, [], "br: update plan status");
  if (rejected) warn(`a git hook rejected br's commit of the plan's status; .buildrunner/ stays uncommitted: ${rejected}`);
  else pushTarget(paths.root, target);
}
