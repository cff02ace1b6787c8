/**
 * `br worker --queue <url>`: a stream on any machine. It keeps its own clone of the shared remote,
 * takes one task at a time from the project's queue, builds it in a worktree of that clone with
 * the same attempts and evidence as a local stream, pushes the verified commit to a branch of the
 * remote and reports where. Every attempt goes to the shared ledger as it finishes. It never
 * integrates: the orchestrator does, once per task.
 *
 * `--concurrency n` runs n such workers as child processes, each with its own clone: the run
 * engine keeps per-process state (the stream's environment), so one process works one task.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Job } from "pg-boss";
import { type Config, loadConfig } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { git } from "../../infra/git.js";
import { say, style, warn } from "../../infra/log.js";
import { type ProjectPaths, projectPaths, streamPaths } from "../../infra/project.js";
import { redactQueueUrl } from "../../infra/queue-url.js";
import { transitionTask } from "../../plan/scheduler.js";
import { type ActiveRun, openStreamRun, runStreamTask } from "../../run/engine.js";
import { Journal } from "../../run/journal.js";
import { revParse } from "../integrate.js";
import { ensureStreams } from "../orchestrate.js";
import { type StreamRow, StreamStore } from "../store.js";
import { resetWorktree, streamEnv } from "../worktree.js";
import { cloneFor, makeClone, sharedRemote, workersHome } from "./clone.js";
import { connectQueue, type QueueConnection, queueSettings } from "./connection.js";
import { machineLabel, markWorker, recordAttempt, resultBranch, type TaskJob, type TaskResult, workerName } from "./jobs.js";

export interface QueueWorkerOptions {
  url: string;
  /** The shared remote's git URL; default: the `origin` of the repository br runs in. */
  repo?: string;
  /** Where the worker's clone goes; default: a folder of its own under ~/.cache/buildrunner/workers. */
  dir?: string;
  concurrency: number;
  executor?: string;
  /** Ends the worker after this long without a task (a CI job); unset, it works until stopped. */
  untilIdleSeconds?: number;
  cwd: string;
}

export interface QueueWorkerReport {
  worker: string;
  clone: string;
  tasks: { id: string; outcome: TaskResult["outcome"]; commit?: string; branch?: string; reason?: string }[];
  attempts: number;
  costUsd: number;
  stoppedBecause?: string;
  /** With --concurrency n: each child worker's report. */
  children?: QueueWorkerReport[];
}

/** How often an idle worker asks the queue for a task. */
const POLL_SECONDS = 1;

/**
 * The project's config as the clone has it, with the worktrees beside the clone: a worktreeDir set
 * for the orchestrator's machine would put every worker's worktree in the same place.
 */
async function cloneConfig(paths: ProjectPaths): Promise<Config> {
  const config = (await loadConfig(paths)).config;
  config.parallel.worktreeDir = `${paths.root}.br-streams`;
  return config;
}

interface Slot {
  paths: ProjectPaths;
  config: Config;
  connection: QueueConnection;
  journal: Journal;
  store: StreamStore;
  name: string;
  run?: ActiveRun;
  row?: StreamRow;
  /** The orchestrator's run and options the local run was opened for. */
  runFor?: string;
  report: QueueWorkerReport;
  ledger: Promise<void>[];
  lastActive: number;
  executor?: string;
}

/** The clone at the job's base: the target fetched, and the clone's own checkout (its plan and config) moved there. */
function checkoutBase(slot: Slot, job: TaskJob): void {
  const root = slot.paths.root;
  const fetched = git(root, ["fetch", "-q", "origin", `+refs/heads/${job.target}:refs/remotes/origin/${job.target}`], 10 * 60_000);
  if (fetched.code !== 0) throw new Error(`git fetch of ${job.target} failed: ${fetched.stderr.trim()}`);
  if (!revParse(root, job.base)) git(root, ["fetch", "-q", "origin", job.base], 10 * 60_000);
  const moved = git(root, ["checkout", "-q", "-f", "-B", job.target, job.base]);
  if (moved.code !== 0) throw new Error(`the base ${job.base.slice(0, 10)} of ${job.task.id} is not in the remote: ${moved.stderr.trim()}`);
}

async function streamFor(slot: Slot, job: TaskJob): Promise<{ run: ActiveRun; row: StreamRow }> {
  // One local run per orchestrator run and its options: the next run may ask another executor or budget.
  const key = JSON.stringify([job.runKey, job.target, job.executor ?? null, job.maxTaskCost ?? null]);
  if (slot.run && slot.row && slot.runFor === key) return { run: slot.run, row: slot.row };
  if (slot.run) slot.journal.finishRun(slot.run.runId, "finished");
  const [row] = ensureStreams(slot.paths, slot.config, slot.store, 1, job.target) as [StreamRow];
  // Workers of one `--concurrency n` share a machine: each gets its own block of ports.
  Object.assign(process.env, streamEnv(row.name, row.port + 10 * slotIndex()));
  const runId = slot.journal.startRun(job.executor ?? slot.config.run.executor, { worker: slot.name, queue: true });
  const options = {
    auto: true,
    dryRun: false,
    ...(job.executor ? { executor: job.executor } : slot.executor ? { executor: slot.executor } : {}),
    ...(job.maxTaskCost !== undefined ? { maxTaskCost: job.maxTaskCost } : {}),
  };
  const stream = { name: row.name, runId, ignoredBranches: [job.target, "br/"] };
  slot.run = await openStreamRun(streamPaths(slot.paths, row.path), options, stream, slot.journal);
  slot.row = row;
  slot.runFor = key;
  return { run: slot.run, row };
}

function slotIndex(): number {
  const slot = Number(process.env.BR_QUEUE_SLOT);
  return Number.isInteger(slot) && slot >= 0 ? slot : 0;
}

/** One task, start to report: the result becomes the job's output. */
async function workJob(slot: Slot, job: Job<TaskJob>): Promise<TaskResult> {
  const data = job.data;
  const { task } = data;
  slot.lastActive = Date.now();
  await markWorker(slot.connection, slot.name, "working", task.id).catch(() => undefined);
  checkoutBase(slot, data);
  // The clone's config and plan are the base's: read again for each task.
  slot.config = await cloneConfig(slot.paths);
  const { run, row } = await streamFor(slot, data);
  run.config = slot.config;
  resetWorktree(row.path, row.branch, data.base);
  await transitionTask(slot.paths, task.id, "start", { force: true }).catch(() => undefined);
  slot.journal.onAttemptFinished = (attempt) => {
    slot.ledger.push(recordWithRetry(slot, { runKey: data.runKey, jobId: job.id }, attempt));
  };
  const before = { attempts: run.summary.attempts, cost: run.summary.costUsd, failed: run.summary.failed.length };
  const outcome = await runStreamTask(run, task);
  await Promise.all(slot.ledger.splice(0));
  const spent = { attempts: run.summary.attempts - before.attempts, costUsd: run.summary.costUsd - before.cost };
  const result = resultOf(slot, data, job, outcome, run, before.failed, row, spent);
  slot.report.tasks.push({
    id: task.id,
    outcome: result.outcome,
    ...(result.outcome === "passed" ? { commit: result.commit, branch: result.branch } : { reason: result.reason }),
  });
  slot.report.attempts += spent.attempts;
  slot.report.costUsd += spent.costUsd;
  // A stop for this task's setup or budget belongs to the task; the worker takes the next one.
  delete run.summary.stoppedBecause;
  slot.lastActive = Date.now();
  await markWorker(slot.connection, slot.name, "idle", null).catch(() => undefined);
  return result;
}

function resultOf(
  slot: Slot,
  data: TaskJob,
  job: Job<TaskJob>,
  outcome: string,
  run: ActiveRun,
  failedBefore: number,
  row: StreamRow,
  spent: { attempts: number; costUsd: number },
): TaskResult {
  const who = { worker: slot.name, machine: machineLabel(), ...spent };
  if (outcome === "passed") {
    const commit = revParse(row.path, "HEAD") as string;
    const branch = resultBranch(data.runKey, data.task.id, job.retryCount ?? 0);
    const pushed = git(slot.paths.root, ["push", "-q", "origin", `+${commit}:refs/heads/${branch}`], 10 * 60_000);
    if (pushed.code !== 0) throw new Error(`git push of the verified commit failed: ${pushed.stderr.trim()}`);
    say(`  ${style.green("⇡ pushed")} ${data.task.id} (${commit.slice(0, 10)}) to ${branch}`);
    return { outcome: "passed", branch, commit, ...who };
  }
  const failedNow = run.summary.failed.slice(failedBefore).find((f) => f.id === data.task.id);
  const stopped = run.summary.stoppedBecause;
  if (!failedNow && stopped) return { outcome: "stopped", reason: stopped, ...who };
  return { outcome: "failed", reason: failedNow?.reason ?? outcome, ...who };
}

/** The ledger keeps every attempt: a write the server refused (an outage) is tried again for a while. */
async function recordWithRetry(slot: Slot, job: { runKey: string; jobId: string }, row: Parameters<typeof recordAttempt>[2]) {
  for (let attempt = 0; ; attempt++) {
    try {
      await recordAttempt(slot.connection, job, row, slot.name);
      return;
    } catch (error) {
      if (attempt >= 30) {
        warn(`attempt ${row.task_id}#${row.attempt} could not be written to the shared ledger: ${(error as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000 * Math.min(10, attempt + 1)));
    }
  }
}

/** Waits until the worker has been idle long enough (or forever without --until-idle), or is told to stop. */
async function idleOrStopped(slot: Slot, untilIdleSeconds: number | undefined, busy: () => boolean): Promise<string> {
  return new Promise((done) => {
    // br's own handlers exit at once; a worker lets its current task finish (a second signal is harmless).
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.removeAllListeners(signal);
      process.on(signal, () => done(`stopped by ${signal}`));
    }
    if (untilIdleSeconds === undefined) return;
    const timer = setInterval(() => {
      if (!busy() && Date.now() - slot.lastActive >= untilIdleSeconds * 1000) {
        clearInterval(timer);
        done(`idle for ${untilIdleSeconds} s`);
      }
    }, 250);
  });
}

export async function runQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerReport> {
  if (options.concurrency > 1) return runChildren(options);
  const repo = sharedRemote(options);
  const name = workerName();
  const dir = cloneFor(repo, options, `${hostname()}-${process.pid}`);
  makeClone(repo, dir);
  const paths = projectPaths(dir);
  if (!existsSync(paths.config))
    throw usageError(`The shared remote's default branch has no .buildrunner/config.yaml (cloned into ${dir}).`, {
      fix: "Commit and push the project's .buildrunner/ folder (br init, then git push), or pass --repo of the right remote.",
    });
  const config = await cloneConfig(paths);
  const connection = await connectQueue(withPassword(options.url), paths.root, queueSettings(config), { update: false });
  // Agents and checks this worker starts inherit its environment: the queue's credentials stay here.
  delete process.env.BR_QUEUE_URL;
  delete process.env.PGPASSWORD;
  let working = false;
  let journal: Journal | undefined;
  let store: StreamStore | undefined;
  try {
    journal = Journal.open(paths);
    store = StreamStore.open(paths);
    const report: QueueWorkerReport = { worker: name, clone: dir, tasks: [], attempts: 0, costUsd: 0 };
    const slot: Slot = {
      paths,
      config,
      connection,
      journal,
      store,
      name,
      report,
      ledger: [],
      lastActive: Date.now(),
      ...(options.executor ? { executor: options.executor } : {}),
    };
    // The worktree (and parallel.setup) are made before any lease is held: a long set-up cannot cost a task.
    ensureStreams(paths, config, store, 1, currentBranch(paths.root));
    await markWorker(connection, name, "idle", null);
    say(style.bold(`Worker ${name} on ${redactQueueUrl(options.url)} (queue ${connection.queue}), clone ${dir}`));
    await connection.boss.work<TaskJob, TaskResult>(
      connection.queue,
      { pollingIntervalSeconds: POLL_SECONDS, notifyPollingIntervalSeconds: 5, batchSize: 1 },
      async ([job]) => {
        working = true;
        try {
          return await workJob(slot, job as Job<TaskJob>);
        } finally {
          working = false;
        }
      },
    );
    report.stoppedBecause = await idleOrStopped(slot, options.untilIdleSeconds, () => working);
    await connection.boss.offWork(connection.queue, { wait: true });
    await markWorker(connection, name, "stopped", null).catch(() => undefined);
    return report;
  } finally {
    await connection.close().catch(() => undefined);
    store?.close();
    journal?.close();
  }
}

/** The branch the clone has out (the remote's default): the worktree starts there, each job moves it. */
function currentBranch(root: string): string {
  return git(root, ["symbolic-ref", "-q", "--short", "HEAD"]).stdout.trim() || "main";
}

/**
 * The URL with PGPASSWORD folded in: the variable is removed from this process's environment (so
 * agents never see it), and the connections pg-boss makes later still need the password.
 */
function withPassword(url: string): string {
  const password = process.env.PGPASSWORD;
  if (!password || !URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password) return url;
  parsed.password = password;
  return parsed.toString();
}

/** n workers as child processes, each with its own clone; their reports are gathered into one. */
async function runChildren(options: QueueWorkerOptions): Promise<QueueWorkerReport> {
  const bin = process.argv[1] as string;
  // The URL goes in the environment, not the arguments: `ps` shows arguments to every user.
  const args = (i: number) => [
    bin,
    "worker",
    "--queue",
    "--concurrency",
    "1",
    "--json",
    ...(options.repo ? ["--repo", options.repo] : []),
    ...(options.dir ? ["--dir", join(options.dir, `slot-${i}`)] : []),
    ...(options.executor ? ["--executor", options.executor] : []),
    ...(options.untilIdleSeconds !== undefined ? ["--until-idle", String(options.untilIdleSeconds)] : []),
  ];
  const processes = Array.from({ length: options.concurrency }, (_, i) =>
    spawn(process.execPath, args(i + 1), {
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BR_QUEUE_URL: options.url, BR_QUEUE_SLOT: String(i) },
    }),
  );
  const children = processes.map((child) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    return new Promise<QueueWorkerReport | undefined>((done) =>
      child.on("close", () => {
        try {
          done(JSON.parse(out) as QueueWorkerReport);
        } catch {
          done(undefined);
        }
      }),
    );
  });
  // A stop asked of this process is asked of every child: each finishes or hands back its task.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => {
      for (const child of processes) child.kill(signal);
    });
  }
  const reports = (await Promise.all(children)).filter((r): r is QueueWorkerReport => r !== undefined);
  return {
    worker: workerName(),
    clone: options.dir ?? workersHome(),
    tasks: reports.flatMap((r) => r.tasks),
    attempts: reports.reduce((n, r) => n + r.attempts, 0),
    costUsd: reports.reduce((n, r) => n + r.costUsd, 0),
    children: reports,
  };
}
