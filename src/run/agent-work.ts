/**
 * Work an agent does outside `br run`: an agent the user started takes a task through br (the MCP
 * tools, `br tasks start`), and br judges it with the same verification and rules of evidence as
 * its own attempts. The start records where the work began (HEAD and the files already
 * uncommitted), so only what changed since counts, and commits the agent made on the way are
 * judged against the commit it began at without being undone. Calling a tool cannot make work
 * done: completion runs the checks, and only a passing verification marks the task done.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { headCommit, workingChanges } from "../infra/git.js";
import { loadConfig } from "../infra/load-config.js";
import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { loadRegistry } from "../registry/store.js";
import { countsAt, recordCounts } from "./evidence/counts-store.js";
import { Journal } from "./journal.js";
import { commitOwnWork } from "./start.js";
import { changesFromSnapshot, fileHash, snapshotTree, type TreeSnapshot } from "./tree.js";
import { isOwnFile, type Verification, verify } from "./verify.js";

/** Where a task's work began, recorded when it was started. */
export interface WorkStart extends TreeSnapshot {
  taskId: string;
  startedAt: string;
}

/** The executor name attempts made this way carry in the journal. */
export const OUTSIDE_EXECUTOR = "agent";

function startsDir(paths: ProjectPaths): string {
  return join(paths.state, "work");
}

function startFile(paths: ProjectPaths, taskId: string): string {
  return join(startsDir(paths), `${taskId}.json`);
}

export function readWorkStart(paths: ProjectPaths, taskId: string): WorkStart | undefined {
  const file = startFile(paths, taskId);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as WorkStart;
  } catch {
    return undefined; // a torn record: the work is measured from HEAD instead
  }
}

/**
 * Records where the task's work begins. `keep`: a task already running keeps the start it has, so
 * asking to start it again does not move where its work is measured from.
 */
export function recordWorkStart(paths: ProjectPaths, taskId: string, keep = false): WorkStart {
  const earlier = keep ? readWorkStart(paths, taskId) : undefined;
  if (earlier) return earlier;
  const start: WorkStart = { taskId, startedAt: new Date().toISOString(), ...snapshotTree(paths.root) };
  mkdirSync(startsDir(paths), { recursive: true });
  writeFileAtomic(startFile(paths, taskId), `${JSON.stringify(start)}\n`);
  return start;
}

function forgetWorkStart(paths: ProjectPaths, taskId: string): void {
  rmSync(startFile(paths, taskId), { force: true });
}

/** Marks a ready task running and records where its work begins. A running task keeps its start. */
export async function startWork(paths: ProjectPaths, taskId: string): Promise<{ task: Task; start: WorkStart }> {
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === taskId);
  const running = current?.status === "running";
  const task = running ? current : await transitionTask(paths, taskId, "start");
  return { task, start: recordWorkStart(paths, taskId, running) };
}

/** The task an agent is working on here: the one most recently started through br that is still running. */
export async function currentWork(paths: ProjectPaths): Promise<Task | undefined> {
  const running = (await loadTasks(paths)).tasks.filter((t) => t.status === "running");
  const started = running
    .map((task) => ({ task, start: readWorkStart(paths, task.id) }))
    .filter((w) => w.start !== undefined)
    .sort((a, b) => (b.start?.startedAt ?? "").localeCompare(a.start?.startedAt ?? ""));
  return started[0]?.task;
}

export interface WorkCheck {
  task: Task;
  verification: Verification;
  /** The commit the work is measured from. */
  base: string | undefined;
}

async function findTask(paths: ProjectPaths, taskId: string): Promise<Task> {
  const task = (await loadTasks(paths)).tasks.find((t) => t.id === taskId);
  if (!task) throw usageError(`No task with id "${taskId}".`, { fix: "List the ids with `br tasks list`." });
  return task;
}

/** Verifies the task's work as it stands now, as br run verifies an attempt; changes nothing. */
export async function checkWork(paths: ProjectPaths, taskId: string): Promise<WorkCheck> {
  const task = await findTask(paths, taskId);
  const { config } = await loadConfig(paths);
  const start = readWorkStart(paths, taskId) ?? { taskId, startedAt: "", ...snapshotTree(paths.root) };
  const changed = changesFromSnapshot(paths.root, start);
  const [plan, registry] = await Promise.all([loadTasks(paths), loadRegistry(paths)]);
  const journal = Journal.open(paths);
  let owners: Map<string, string>;
  try {
    owners = journal.verifiedFiles();
  } finally {
    journal.close();
  }
  const testsBefore = countsAt(paths.state, start.head);
  const verification = await verify(
    task,
    { success: true, summary: "the agent's work so far", durationMs: 0, exitCode: 0, timedOut: false },
    changed,
    config,
    paths.root,
    {
      plan: plan.tasks,
      featureNames: new Map(registry.features.map((f) => [f.id, f.name])),
      owners,
      restored: [],
      ...(testsBefore ? { testsBefore } : {}),
    },
    start.head ?? "HEAD",
  );
  return { task, verification, base: start.head };
}

export interface WorkCompletion extends WorkCheck {
  done: boolean;
  /** The commit that holds the verified work, when br committed it. */
  commit?: string;
}

/**
 * Completes a task only on evidence: verifies the work, records the attempt in the journal, and,
 * when it passed, commits it (as br run does) and marks the task done. A failed verification or a
 * git hook that refuses the commit leaves the task running with the reason.
 */
export async function completeWork(paths: ProjectPaths, taskId: string): Promise<WorkCompletion> {
  const task = await findTask(paths, taskId);
  if (task.status === "done") throw usageError(`Task "${taskId}" is already done.`, { fix: "Pick the next one: br tasks next." });
  if (task.status !== "running")
    throw usageError(`Cannot complete task "${taskId}": it is ${task.status}, not started.`, {
      fix: `Start it first (br tasks start ${taskId}, or the start_task tool), then do the work.`,
    });
  // One completion of a task at a time; the plan and the commit take the project's lock themselves.
  mkdirSync(startsDir(paths), { recursive: true });
  return withLock(join(startsDir(paths), `${taskId}.lock`), () => verifyAndRecord(paths, taskId), { what: `task ${taskId}` });
}

async function verifyAndRecord(paths: ProjectPaths, taskId: string): Promise<WorkCompletion> {
  const started = Date.now();
  const check = await checkWork(paths, taskId);
  let { verification } = check;
  let commit: string | undefined;
  if (verification.passed) {
    // Done before the commit, as br run does, so the plan's new status is committed with the work.
    await transitionTask(paths, taskId, "done", { force: true });
    const committed = await commitVerified(paths, check.task, verification);
    if (committed.ok) commit = committed.commit;
    else {
      await transitionTask(paths, taskId, "start", { force: true });
      verification = { ...verification, passed: false, reason: `a git hook rejected the commit: ${committed.output.slice(-1500)}` };
    }
  }
  recordAttempt(paths, check.task, verification, Date.now() - started);
  if (!verification.passed) return { ...check, verification, done: false };
  forgetWorkStart(paths, taskId);
  return { ...check, verification, done: true, ...(commit ? { commit } : {}) };
}

/** Commits what the verified work left uncommitted (the agent's own commits stay its own), with br's files. */
async function commitVerified(
  paths: ProjectPaths,
  task: Task,
  verification: Verification,
): Promise<{ ok: true; commit?: string } | { ok: false; output: string }> {
  const { config } = await loadConfig(paths);
  if (!config.run.commit) return { ok: true };
  const changed = new Set(verification.changedFiles);
  const pending =
    changed.size > 0
      ? workingChanges(paths.root, [...changed])
          .map((c) => c.path)
          .filter((p) => changed.has(p))
      : [];
  const committed = commitOwnWork(paths, config, pending, `br: ${task.id}: ${task.title}`);
  if (!committed.ok) return committed;
  const commit = committed.commit ?? headCommit(paths.root);
  if (commit && config.commands.test) recordCounts(paths.state, commit, verification.testCounts ?? null);
  return { ok: true, ...(commit ? { commit } : {}) };
}

/** One journal row per completion asked for: the ledger and `br status` see this work, and its files' owner. */
function recordAttempt(paths: ProjectPaths, task: Task, verification: Verification, durationMs: number): void {
  const journal = Journal.open(paths);
  try {
    const runId = journal.startRun(OUTSIDE_EXECUTOR, { via: "outside br run" });
    const earlier = journal.lastAttempt(task.id)?.attempt ?? 0;
    const attemptId = journal.startAttempt({
      runId,
      taskId: task.id,
      featureId: task.featureId,
      attempt: earlier + 1,
      executor: OUTSIDE_EXECUTOR,
      model: "unknown",
      tier: "none",
      route: { score: 0, reason: "chosen by the user's own agent" },
      promptTokens: 0,
      baseline: null,
    });
    journal.finishAttempt(attemptId, {
      outcome: verification.passed ? "passed" : "failed",
      ...(verification.reason ? { reason: verification.reason } : {}),
      costUsd: 0,
      costSource: "no usage reported",
      durationMs,
      verification,
      changedFiles: verification.changedFiles.filter((p) => !isOwnFile(p)).map((path) => ({ path, hash: fileHash(paths.root, path) })),
    });
    journal.finishRun(runId, verification.passed ? "finished" : "failed");
  } finally {
    journal.close();
  }
}
