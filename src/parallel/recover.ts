/**
 * Recovery of streams after a worker or the orchestrator was killed: every claim whose worker is
 * gone is settled without the user's help. A verified task is committed (if the kill came before
 * the commit) and integrated, never run again; a task interrupted mid-attempt has its worktree
 * reset to where the attempt started and goes back to ready; a half-done integration is undone
 * (the target only moves at its last step, so it either holds the commit or not).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../infra/config.js";
import { tryCommitPaths, workingChanges } from "../infra/git.js";
import { withLock } from "../infra/lock.js";
import { isAlive, killProcessGroup } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import { loadTasks } from "../plan/task-store.js";
import type { AttemptRow, Journal } from "../run/journal.js";
import { fileHash } from "../run/tree.js";
import { type Integration, integrateStream, revParse } from "./integrate.js";
import type { StreamRow, StreamStore } from "./store.js";
import { resetWorktree } from "./worktree.js";

export interface StreamRecovery {
  /** Tasks whose interrupted attempt was undone: back to ready. */
  retried: string[];
  /** Verified tasks finished from the journal (committed if needed, then integrated). */
  finished: string[];
  integrations: { stream: string; task: string; result: Integration }[];
}

function owned(row: StreamRow): boolean {
  return row.worker_pid !== null && row.worker_pid !== process.pid && isAlive(row.worker_pid);
}

/** The attempt that verified this claim's task, if its last attempt passed and started from the claim's base. */
function verifiedAttempt(journal: Journal, row: StreamRow): AttemptRow | undefined {
  const last = row.task_id ? journal.lastAttempt(row.task_id) : undefined;
  if (last?.outcome !== "passed" || last.stream !== row.name) return undefined;
  const baseline = JSON.parse(last.baseline ?? "{}") as { head?: string };
  return baseline.head === row.base ? last : undefined;
}

/** Commits a verified attempt's files that still hold their verified content (the kill came before br's commit). */
function commitVerified(row: StreamRow, config: Config, last: AttemptRow, title: string): boolean {
  if (revParse(row.path, "HEAD") !== row.base) return true; // committed already
  const verified = JSON.parse(last.changed_files ?? "[]") as { path: string; hash: string | null }[];
  const dirty = new Set(workingChanges(row.path).map((c) => c.path));
  const intact = verified.filter((f) => dirty.has(f.path) && fileHash(row.path, f.path) === f.hash).map((f) => f.path);
  if (verified.length === 0) return true; // verified with nothing to commit: integration finds it present
  if (intact.length !== verified.length) return false;
  return tryCommitPaths(row.path, intact, `br: ${last.task_id}: ${title}`, { hooks: config.run.hooks }).ok;
}

/**
 * Settles every stream whose worker is gone. Under the claims lock, with each row read afresh
 * there, so a claim being taken, or a second recovery, never sees a half-made state.
 */
export async function recoverStreams(paths: ProjectPaths, config: Config, journal: Journal, store: StreamStore): Promise<StreamRecovery> {
  const recovery = await withLock(join(paths.state, "claims.lock"), () => recoverLocked(paths, config, journal, store), {
    what: "the task claims",
    timeoutMs: 10 * 60_000,
  });
  // Outside the lock: a feature's acceptance may run its whole test suite. (Loaded here: it brings the checks' code.)
  const { completeFeatureIfVerified } = await import("../run/record.js");
  for (const { task } of recovery.integrations.filter((i) => i.result.kind === "integrated" || i.result.kind === "present")) {
    const featureId = (await loadTasks(paths)).tasks.find((t) => t.id === task)?.featureId;
    if (featureId) await completeFeatureIfVerified(paths, config, featureId); // no stream is working now: the main checkout holds still
  }
  return recovery;
}

async function recoverLocked(paths: ProjectPaths, config: Config, journal: Journal, store: StreamStore): Promise<StreamRecovery> {
  const { orphanAgents } = journal.recoverInterrupted();
  for (const pid of orphanAgents) killProcessGroup(pid, "SIGKILL");
  const recovery: StreamRecovery = { retried: [], finished: [], integrations: [] };
  for (const { name } of store.list()) {
    const row = store.get(name);
    if (row && !owned(row)) await recoverStream(paths, config, journal, store, row, recovery);
  }
  await releaseOrphanClaims(paths, journal, store, recovery);
  return recovery;
}

async function recoverStream(
  paths: ProjectPaths,
  config: Config,
  journal: Journal,
  store: StreamStore,
  row: StreamRow,
  recovery: StreamRecovery,
): Promise<void> {
  const taskId = row.task_id;
  const plan = await loadTasks(paths);
  const task = taskId ? plan.tasks.find((t) => t.id === taskId) : undefined;
  if (!task || (row.status !== "working" && row.status !== "verified") || task.status !== "running") {
    if (row.status === "working" || row.status === "verified") store.update(row.name, { status: "idle", worker_pid: null });
    return;
  }
  const last = existsSync(row.path) ? verifiedAttempt(journal, row) : undefined;
  if (last && commitVerified(row, config, last, task.title)) {
    store.update(row.name, { status: "verified", worker_pid: null, commit_sha: revParse(row.path, "HEAD") ?? null });
    const result = await integrateStream(paths, config, store, row.name);
    recovery.finished.push(task.id);
    recovery.integrations.push({ stream: row.name, task: task.id, result });
    return;
  }
  if (existsSync(row.path) && row.base) resetWorktree(row.path, row.branch, row.base);
  await transitionTask(paths, task.id, "reset", { force: true });
  store.update(row.name, { status: "idle", task_id: null, worker_pid: null, last_result: `${task.id} interrupted; retried` });
  recovery.retried.push(task.id);
}

/** Running tasks no live stream claims (killed between the claim and its record): back to ready. */
async function releaseOrphanClaims(paths: ProjectPaths, journal: Journal, store: StreamStore, recovery: StreamRecovery): Promise<void> {
  const claimed = new Set(
    store
      .list()
      .filter((r) => r.status === "working" || r.status === "verified")
      .map((r) => r.task_id),
  );
  for (const task of (await loadTasks(paths)).tasks) {
    if (task.status !== "running" || claimed.has(task.id)) continue;
    // Only a stream's: a sequential run's task is its own recovery's (and a claim is written to the store before the plan).
    if (!journal.lastAttempt(task.id)?.stream) continue;
    await transitionTask(paths, task.id, "reset", { force: true });
    recovery.retried.push(task.id);
  }
}
