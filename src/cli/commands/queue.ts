/**
 * The shared queue's commands: `br queue status`, `br worker --queue`, and `br run --parallel` when
 * a queue is configured. Whether one is (--queue, BR_QUEUE_URL, queue.url) is decided here, so a
 * project without one never loads pg-boss.
 */
import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { warn } from "../../infra/log.js";
import { findProject, type ProjectPaths } from "../../infra/project.js";
import { type QueueTarget, queueTarget } from "../../infra/queue-url.js";
import type { QueueRunSummary } from "../../parallel/queue/orchestrate.js";
import type { QueueWorkerReport } from "../../parallel/queue/queue-worker.js";
import type { QueueStatus } from "../../parallel/queue/status.js";
import type { RunOptions } from "../../run/engine.js";
import { positiveNumber, workingDir } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit, table } from "../output.js";
import { streamCount } from "./parallel.js";

/** queue.url of the project here, if br runs in one (a worker on a bare machine has none). */
async function configuredUrl(paths: ProjectPaths | undefined): Promise<string | undefined> {
  if (!paths) return undefined;
  const { loadConfig } = await import("../../infra/config.js");
  return (await loadConfig(paths)).config.queue.url;
}

function projectHere(dir: string): ProjectPaths | undefined {
  try {
    return findProject(dir);
  } catch {
    return undefined;
  }
}

/** The queue for a command, from the flag, BR_QUEUE_URL or the project's config; undefined when none is set. */
export async function queueHere(paths: ProjectPaths | undefined, flag?: string): Promise<QueueTarget | undefined> {
  return queueTarget(flag, process.env, await configuredUrl(paths));
}

/**
 * Before a command that reads the journal: the other machines' attempts copied in from the shared
 * ledger, when a queue is configured (without one, nothing is loaded and nothing connects). A
 * server out of reach is a warning; the command goes on with what this machine knows.
 */
export async function pullSharedLedger(paths: ProjectPaths): Promise<void> {
  const target = await queueHere(paths);
  if (!target) return;
  const { pullLedgerFrom } = await import("../../parallel/queue/ledger-sync.js");
  const pulled = await pullLedgerFrom(paths, target.url);
  if ("error" in pulled) warn(`the shared ledger could not be read (${pulled.error}); showing this machine's work only`);
}

/** For the dashboard: the shared ledger copied in every few seconds while it serves, so other machines' work appears live. */
export async function followSharedLedger(paths: ProjectPaths, everyMs = 5000): Promise<void> {
  const target = await queueHere(paths);
  if (!target) return;
  const { followLedger } = await import("../../parallel/queue/ledger-sync.js");
  followLedger(paths, target.url, everyMs, (message) =>
    warn(`the shared ledger could not be read (${message}); trying again every ${everyMs / 1000} s`),
  );
}

function runLines(summary: QueueRunSummary): string[] {
  const lines = [
    `Queued run ${summary.runKey} on ${summary.queue} (${summary.url}) into ${summary.target}: ${summary.done.length} done, ${summary.failed.length} failed, ${summary.conflicts.length} conflict(s) in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  ledger: ${summary.ledger.attempts} attempt(s), $${summary.ledger.costUsd.toFixed(4)} over ${summary.ledger.byMachine.length} machine(s)${summary.ledger.byMachine.map((m) => `; ${m.machine} ${m.attempts}, $${m.costUsd.toFixed(4)}`).join("")}`,
  ];
  if (summary.stoppedBecause) lines.push(`  stopped: ${summary.stoppedBecause}`);
  if (summary.waiting?.length)
    lines.push(`  still with workers: ${summary.waiting.join(", ")} (the next br run --parallel or br merge --streams integrates them)`);
  for (const f of summary.failed) lines.push(`  failed ${f.id}: ${f.reason}`);
  for (const c of summary.conflicts) lines.push(`  conflict ${c.task} in ${c.files.join(", ")}; kept on ${c.kept}`);
  if (summary.done.length === 0 && summary.failed.length === 0 && !summary.stoppedBecause && !summary.waiting)
    lines.push("  Nothing was ready to run (`br tasks next` explains why).");
  if (summary.waiting && summary.done.length + summary.failed.length + summary.conflicts.length === 0)
    lines.push("  No verified result on the queue was waiting to be integrated.");
  return lines;
}

/**
 * `br run --parallel` and `br orchestrate` on the queue when one is configured (`br merge --streams`
 * with `mergeOnly`: integrate what workers finished, send nothing); false when none is configured
 * (the local streams run).
 */
export async function runOnQueue(
  paths: ProjectPaths,
  options: RunOptions & { mergeOnly?: boolean },
  flag: { name: string; value: unknown },
  json: unknown,
): Promise<boolean> {
  const target = await queueHere(paths);
  if (!target) return false;
  const { loadConfig } = await import("../../infra/config.js");
  const streams = streamCount(flag.name, flag.value) ?? (await loadConfig(paths)).config.parallel.streams;
  const { runQueueParallel } = await import("../../parallel/queue/orchestrate.js");
  const summary = await runQueueParallel(paths, { ...options, streams }, target);
  emit(json === true, summary, () => runLines(summary));
  if (summary.failed.length > 0 || summary.conflicts.length > 0 || summary.stoppedBecause) setExitCode(1);
  return true;
}

function workerLines(report: QueueWorkerReport): string[] {
  const lines = [
    `Worker ${report.worker}: ${report.tasks.length} task(s), ${report.attempts} attempt(s), $${report.costUsd.toFixed(4)}${report.stoppedBecause ? `; ${report.stoppedBecause}` : ""}`,
  ];
  for (const t of report.tasks) lines.push(`  ${t.outcome} ${t.id}${t.branch ? ` → ${t.branch}` : ""}${t.reason ? `: ${t.reason}` : ""}`);
  return lines;
}

/** `br worker --queue [url]`: the options a queue worker takes, checked. */
export async function queueWorker(options: Record<string, unknown>): Promise<void> {
  const cwd = workingDir(options);
  const flag = typeof options.queue === "string" ? options.queue : undefined;
  const target = await queueHere(projectHere(cwd), flag);
  if (!target)
    throw usageError("br worker --queue needs the queue's URL.", {
      fix: "Pass it (br worker --queue postgres://user@host:5432/db), or set BR_QUEUE_URL or queue.url.",
    });
  const concurrency = positiveNumber("--concurrency", options.concurrency, true) ?? 1;
  const untilIdle = positiveNumber("--until-idle", options.untilIdle);
  const { runQueueWorker } = await import("../../parallel/queue/queue-worker.js");
  const report = await runQueueWorker({
    url: target.url,
    cwd,
    concurrency,
    ...(typeof options.repo === "string" ? { repo: options.repo } : {}),
    ...(typeof options.dir === "string" ? { dir: options.dir } : {}),
    ...(typeof options.executor === "string" ? { executor: options.executor } : {}),
    ...(untilIdle !== undefined ? { untilIdleSeconds: untilIdle } : {}),
  });
  emit(options.json === true, report, () => workerLines(report));
  if (report.tasks.some((t) => t.outcome !== "passed")) setExitCode(1);
}

function statusLines(status: QueueStatus): string[] {
  const jobs = Object.entries(status.jobs)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
  const lines = [`Queue ${status.queue} at ${status.url}`, `  jobs: ${jobs}`];
  lines.push(status.workers.length === 0 ? "  workers: none has reported (start one: br worker --queue <url>)" : "  workers:");
  if (status.workers.length)
    lines.push(
      ...table(
        ["worker", "state", "task", "seen"],
        status.workers.map((w) => [w.worker, w.state, w.task ?? "-", `${w.seenSecondsAgo} s ago`]),
      ).map((l) => `    ${l}`),
    );
  if (status.leases.length)
    lines.push(
      "  leases:",
      ...table(
        ["task", "lease", "since", "expires in", "heartbeat"],
        status.leases.map((l) => [
          l.task,
          String(l.lease),
          l.startedAt,
          `${l.expiresInSeconds} s`,
          l.heartbeatSecondsAgo === null ? "-" : `${l.heartbeatSecondsAgo} s ago`,
        ]),
      ).map((l) => `    ${l}`),
    );
  for (const m of status.ledger) lines.push(`  spent on ${m.machine}: ${m.attempts} attempt(s), $${m.costUsd.toFixed(4)}`);
  return lines;
}

export function registerQueue(program: Command): void {
  const queue = program.command("queue").description("the shared PostgreSQL queue of multi-machine runs (queue.url or BR_QUEUE_URL)");
  queue
    .command("status")
    .description("jobs by state, workers, leases held and spend per machine")
    .option("--queue <url>", "the queue (default: BR_QUEUE_URL, then queue.url)")
    .option("--json", "print the status as JSON")
    .action(
      action<[]>(async (options) => {
        const cwd = workingDir(options);
        const paths = projectHere(cwd);
        const target = await queueHere(paths, typeof options.queue === "string" ? options.queue : undefined);
        if (!target)
          throw usageError("No queue is configured here.", {
            fix: "Pass --queue postgres://user@host:5432/db, set BR_QUEUE_URL, or br config set queue.url postgres://…",
          });
        const { queueStatus } = await import("../../parallel/queue/status.js");
        const status = await queueStatus(target.url, paths?.root ?? cwd);
        emit(options.json, status, () => statusLines(status));
      }),
    );
}
