/**
 * Work an agent does outside `br run`: an agent the user started takes a task through br (the MCP
 * tools, `br tasks start`), and br judges it with the same verification and rules of evidence as
 * its own attempts. The start records where the work began (work-start.ts), so only what changed
 * since counts, and commits the agent made on the way are judged against the commit it began at
 * without being undone. Calling a tool cannot make work done: completion runs the checks, and only
 * a passing verification of exactly the content that is then committed marks the task done.
 */
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
import { type CommitOutcome, commitOwnWork } from "./start.js";
import { changesFromSnapshot, EMPTY_TREE, fileHash, snapshotTree } from "./tree.js";
import { isOwnFile, runCheck, type Verification, verify } from "./verify.js";
import { forgetWorkStart, readWorkStart, recordWorkStart, type WorkStart, workLockFile } from "./work-start.js";

export type { WorkStart };

/** The executor name attempts made this way carry in the journal. */
export const OUTSIDE_EXECUTOR = "agent";

/** A live `br run` owns the checkout: outside work would be folded into (and undone with) its attempts. */
function refuseDuringRun(paths: ProjectPaths, what: string): void {
  const journal = Journal.open(paths);
  try {
    const live = journal.liveRun();
    if (live)
      throw usageError(`Cannot ${what} while br run (process ${live.pid}) is working in this checkout.`, {
        fix: "Let the run finish (or stop it: Ctrl-C in its terminal, or the dashboard's stop button), or work in another clone.",
      });
  } finally {
    journal.close();
  }
}

/**
 * The test runner's counts where the work begins, measured now when br has no record for that
 * commit: without them, an agent that removes or skips tests inside a file would go unseen.
 */
export async function measureTestsAtStart(paths: ProjectPaths, start: WorkStart): Promise<void> {
  const { config } = await loadConfig(paths);
  if (!config.commands.test || countsAt(paths.state, start.head) !== undefined) return;
  if (Object.keys(start.dirty).some((p) => !isOwnFile(p))) return; // uncommitted edits: these counts are not the commit's
  const result = await runCheck("test", config.commands.test, paths.root, config.run.checkTimeoutSeconds * 1000);
  recordCounts(paths.state, start.head, result.counts ?? null);
}

/** Marks a ready task running and records where its work begins. A task running with a start keeps it. */
export async function startWork(paths: ProjectPaths, taskId: string): Promise<{ task: Task; start: WorkStart }> {
  refuseDuringRun(paths, `start task "${taskId}"`);
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === taskId);
  if (current?.status === "running" && !readWorkStart(paths, taskId))
    throw usageError(`Task "${taskId}" is running, but not from a start br recorded (br run's, or an older br's).`, {
      fix: `If nothing is working on it, put it back and start it again: br tasks reset ${taskId}, then start_task.`,
    });
  const task = current?.status === "running" ? current : await transitionTask(paths, taskId, "start");
  const start = recordWorkStart(paths, taskId);
  await measureTestsAtStart(paths, start);
  return { task, start };
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
  /** Each changed file's content hash as verified. */
  hashes: Map<string, string | null>;
  start: WorkStart;
}

async function findTask(paths: ProjectPaths, taskId: string): Promise<Task> {
  const task = (await loadTasks(paths)).tasks.find((t) => t.id === taskId);
  if (!task) throw usageError(`No task with id "${taskId}".`, { fix: "List the ids with `br tasks list`." });
  return task;
}

/** Where the task's work began: its record; for a task not started, HEAD and the tree now. */
function startOf(paths: ProjectPaths, task: Task): WorkStart {
  const start = readWorkStart(paths, task.id);
  if (start) return start;
  if (task.status === "running")
    throw usageError(`br has no record of where task "${task.id}"'s work began, so it cannot judge the work.`, {
      fix: `Start it through br (br tasks reset ${task.id}, then br tasks start ${task.id} or start_task) before the work.`,
    });
  return { taskId: task.id, startedAt: "", ...snapshotTree(paths.root) };
}

const hashesOf = (root: string, files: readonly string[]) => new Map(files.map((f) => [f, fileHash(root, f)]));

/** One verification at a time in this process: they share the cache of committed files (infra/git.ts). */
let verifying: Promise<unknown> = Promise.resolve();

/** Verifies the task's work as it stands now, as br run verifies an attempt; changes nothing. */
export function checkWork(paths: ProjectPaths, taskId: string): Promise<WorkCheck> {
  const turn = verifying.then(() => verifyNow(paths, taskId));
  verifying = turn.catch(() => undefined);
  return turn;
}

async function verifyNow(paths: ProjectPaths, taskId: string): Promise<WorkCheck> {
  const task = await findTask(paths, taskId);
  const { config } = await loadConfig(paths);
  const start = startOf(paths, task);
  const changed = changesFromSnapshot(paths.root, start);
  const hashes = hashesOf(paths.root, changed);
  const [plan, registry] = await Promise.all([loadTasks(paths), loadRegistry(paths)]);
  const journal = Journal.open(paths);
  let owners: Map<string, string>;
  try {
    owners = journal.verifiedFiles();
  } finally {
    journal.close();
  }
  const testsBefore = countsAt(paths.state, start.head);
  const report = { success: true, summary: "the agent's work so far", durationMs: 0, exitCode: 0, timedOut: false };
  const evidence = {
    plan: plan.tasks,
    featureNames: new Map(registry.features.map((f) => [f.id, f.name])),
    owners,
    restored: [],
    ...(testsBefore ? { testsBefore } : {}),
  };
  const verification = await verify(task, report, changed, config, paths.root, evidence, start.head ?? EMPTY_TREE);
  return { task, verification, base: start.head, hashes, start };
}

export interface WorkCompletion extends WorkCheck {
  done: boolean;
  /** The commit that holds the verified work, when br committed it. */
  commit?: string;
}

function mustBeRunning(task: Task): void {
  if (task.status === "done") throw usageError(`Task "${task.id}" is already done.`, { fix: "Pick the next one: br tasks next." });
  if (task.status !== "running")
    throw usageError(`Cannot complete task "${task.id}": it is ${task.status}, not started.`, {
      fix: `Start it first (br tasks start ${task.id}, or the start_task tool), then do the work.`,
    });
}

/**
 * Completes a task only on evidence: verifies the work, records the attempt in the journal, and,
 * when it passed, commits it (as br run does) and marks the task done. A failed verification, work
 * that changed while it was verified, or a git hook that refuses the commit leaves the task
 * running with the reason.
 */
export async function completeWork(paths: ProjectPaths, taskId: string): Promise<WorkCompletion> {
  mustBeRunning(await findTask(paths, taskId));
  refuseDuringRun(paths, `complete task "${taskId}"`);
  // One completion of a task at a time; the status is read again under the lock.
  return withLock(
    workLockFile(paths, taskId),
    async () => {
      mustBeRunning(await findTask(paths, taskId));
      return verifyAndRecord(paths, taskId);
    },
    { what: `task ${taskId}` },
  );
}

/** Files whose content is not what was verified (changed, added or removed since). */
function changedSinceVerified(paths: ProjectPaths, check: WorkCheck): string[] {
  const now = changesFromSnapshot(paths.root, check.start);
  const paths_ = new Set([...now, ...check.hashes.keys()]);
  return [...paths_].filter((p) => !check.hashes.has(p) || check.hashes.get(p) !== fileHash(paths.root, p));
}

async function verifyAndRecord(paths: ProjectPaths, taskId: string): Promise<WorkCompletion> {
  const started = Date.now();
  const check = await checkWork(paths, taskId);
  let { verification } = check;
  const moved = verification.passed ? changedSinceVerified(paths, check) : [];
  if (moved.length > 0)
    verification = {
      ...verification,
      passed: false,
      reason: `the work changed while it was verified (${moved.slice(0, 5).join(", ")}): complete the task again once it is still`,
    };
  let commit: string | undefined;
  if (verification.passed) {
    // Done before the commit, as br run does, so the plan's new status is committed with the work.
    await transitionTask(paths, taskId, "done", { force: true });
    const committed = await commitVerified(paths, check.task, verification);
    if (committed.ok) commit = committed.commit;
    else {
      await transitionTask(paths, taskId, "start", { force: true });
      verification = { ...verification, passed: false, reason: `br could not commit the verified work: ${committed.output.slice(-1500)}` };
    }
  }
  recordAttempt(paths, check, verification, Date.now() - started);
  if (!verification.passed) return { ...check, verification, done: false };
  forgetWorkStart(paths, taskId);
  return { ...check, verification, done: true, ...(commit ? { commit } : {}) };
}

/** Commits what the verified work left uncommitted (the agent's own commits stay its own), with br's files. */
async function commitVerified(paths: ProjectPaths, task: Task, verification: Verification): Promise<CommitOutcome> {
  const { config } = await loadConfig(paths);
  if (!config.run.commit) return { ok: true };
  const changed = new Set(verification.changedFiles);
  try {
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
  } catch (error) {
    // git itself failed (an index lock held by the user's git, a full disk): the task is not done.
    return { ok: false, output: error instanceof Error ? error.message : String(error) };
  }
}

/** One journal row per completion asked for: the ledger and `br status` see this work, and its files' owner. */
function recordAttempt(paths: ProjectPaths, check: WorkCheck, verification: Verification, durationMs: number): void {
  const { task } = check;
  const journal = Journal.open(paths);
  let runId: number | undefined;
  try {
    runId = journal.startRun(OUTSIDE_EXECUTOR, { via: "outside br run" });
    const attemptId = journal.startAttempt({
      runId,
      taskId: task.id,
      featureId: task.featureId,
      attempt: (journal.lastAttempt(task.id)?.attempt ?? 0) + 1,
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
      changedFiles: verification.changedFiles.filter((p) => !isOwnFile(p)).map((path) => ({ path, hash: check.hashes.get(path) ?? null })),
    });
  } finally {
    // A run row left open would read as a live br run and refuse the next one.
    if (runId !== undefined) journal.finishRun(runId, verification.passed ? "finished" : "failed");
    journal.close();
  }
}
