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
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Job } from "pg-boss";
import { usageError } from "../../infra/errors.js";
import { git } from "../../infra/git.js";
import { say, style, warn } from "../../infra/log.js";
import { type ProjectPaths, projectPaths } from "../../infra/project.js";
import { redactQueueUrl } from "../../infra/queue-url.js";
import { ensureStreams } from "../orchestrate.js";
import { StreamStore } from "../store.js";
import { cloneFor, makeClone, sharedRemote, workersHome } from "./clone.js";
import { connectQueue, type QueueConnection, queueSettings } from "./connection.js";
import { cloneConfig, type JobMessage, type JobOrder } from "./job-process.js";
import { markWorker, recordAttempt, type TaskJob, type TaskResult, workerName } from "./jobs.js";

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

interface Slot {
  paths: ProjectPaths;
  connection: QueueConnection;
  name: string;
  report: QueueWorkerReport;
  ledger: Promise<void>[];
  lastActive: number;
  executor?: string;
  /** The process tasks are built in (job-process.ts), one at a time. */
  child?: ChildProcess;
}

/**
 * One task, start to report, in a process of its own (job-process.ts): its attempts go to the
 * shared ledger as they come, its result becomes the job's output. A cancelled or lapsed job
 * (pg-boss aborts its signal) stops that process.
 */
async function workJob(slot: Slot, job: Job<TaskJob>): Promise<TaskResult> {
  const { task } = job.data;
  slot.lastActive = Date.now();
  await markWorker(slot.connection, slot.name, "working", task.id).catch(() => undefined);
  try {
    const result = await inJobProcess(slot, job);
    slot.report.tasks.push({
      id: task.id,
      outcome: result.outcome,
      ...(result.outcome === "passed" ? { commit: result.commit, branch: result.branch } : { reason: result.reason }),
    });
    slot.report.attempts += result.attempts;
    slot.report.costUsd += result.costUsd;
    return result;
  } finally {
    await Promise.all(slot.ledger.splice(0));
    slot.lastActive = Date.now();
    await markWorker(slot.connection, slot.name, "idle", null).catch(() => undefined);
  }
}

/** The worker's job process, started on first use and again after one ended (killed, crashed, a job aborted). */
function jobProcess(slot: Slot): ChildProcess {
  if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null && slot.child.connected) return slot.child;
  // Its output is the worker's log (stderr): the worker's stdout is its report. A group of its own:
  // Ctrl-C or a stop sent to the worker's group lets the task finish (the worker asks it to stop only
  // for a cancelled job; it ends by itself when the worker's channel closes).
  const child = spawn(process.execPath, [process.argv[1] as string, "worker", "--job-process"], {
    cwd: slot.paths.root,
    stdio: ["ignore", 2, 2, "ipc"],
    detached: true,
  });
  child.on("error", (error) => warn(`the job process could not start: ${error.message}`));
  slot.child = child;
  return child;
}

/** SIGTERM, then SIGKILL if the process is still there after a while (blocked in a long git push or hook). */
function stopJobProcess(child: ChildProcess): void {
  child.kill("SIGTERM");
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, 30_000).unref();
}

function inJobProcess(slot: Slot, job: Job<TaskJob>): Promise<TaskResult> {
  const order: JobOrder = {
    job: { id: job.id, retryCount: job.retryCount ?? 0, data: job.data },
    clone: slot.paths.root,
    worker: slot.name,
    ...(slot.executor ? { executor: slot.executor } : {}),
  };
  const child = jobProcess(slot);
  return new Promise((done, fail) => {
    const stop = () => stopJobProcess(child);
    const onMessage = (message: JobMessage) => {
      if (message.jobId !== job.id) return;
      if ("attempt" in message) slot.ledger.push(recordWithRetry(slot, { runKey: job.data.runKey, jobId: job.id }, message.attempt));
      else if ("error" in message) settle(() => fail(new Error(message.error)));
      else settle(() => done(message.result));
    };
    // "close", not "exit": messages still on the channel arrive first.
    const onClose = (code: number | null, signal: string | null) =>
      settle(() => fail(new Error(`the process building ${job.data.task.id} ended (${signal ?? `code ${code}`}) without a result`)));
    const settle = (then: () => void) => {
      job.signal?.removeEventListener("abort", stop);
      child.off("message", onMessage);
      child.off("close", onClose);
      then();
    };
    child.on("message", onMessage);
    child.on("close", onClose);
    if (job.signal?.aborted) stop();
    else job.signal?.addEventListener("abort", stop, { once: true });
    child.send(order);
  });
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
  let store: StreamStore | undefined;
  const report: QueueWorkerReport = { worker: name, clone: dir, tasks: [], attempts: 0, costUsd: 0 };
  const slot: Slot = {
    paths,
    connection,
    name,
    report,
    ledger: [],
    lastActive: Date.now(),
    ...(options.executor ? { executor: options.executor } : {}),
  };
  try {
    store = StreamStore.open(paths);
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
    // The job process ends once its channel closes (idle by now: offWork waited for the task), or is stopped.
    if (slot.child?.connected) slot.child.disconnect();
    else if (slot.child) stopJobProcess(slot.child);
    await connection.close().catch(() => undefined);
    store?.close();
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
