/**
 * Puts a project back in a state to continue after `br run` was interrupted (Ctrl-C, kill -9, a
 * crash, a power cut), without the user's help:
 * - attempts left running are marked interrupted and the agents they left behind are stopped;
 * - an attempt whose verification had passed is finished: its verified files are committed if
 *   they still hold the verified content, whether the task was left running or already done;
 * - any other interrupted attempt is undone: the git state (branch, tips, index, hooks) goes back
 *   to where the attempt found it, every file it changed is put back from the recorded baseline
 *   (a copy of each is kept in state/recovered/ first, so nothing is lost), and the task is retried.
 *   A file changed well after br last saw the attempt alive (its heartbeat) is the user's, made
 *   after the kill, and is left alone; the clean-tree check then names it.
 */

import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../infra/config.js";
import { workingChanges } from "../infra/git.js";
import { warn } from "../infra/log.js";
import { killProcessGroup } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { type GitState, restoreGitState } from "./evidence/git-state.js";
import { type OwnSnapshot, restoreOwnFiles } from "./evidence/own-files.js";
import type { AttemptRow, Journal } from "./journal.js";
import { isOwnFile } from "./scope.js";
import { changesSince, fileHash, revertChanges, type TreeSnapshot } from "./tree.js";
import { readWorkStart } from "./work-start.js";

export interface Recovered {
  retried: string[];
  done: string[];
  /** Where copies of the files an interrupted attempt had changed were kept, if any. */
  keptCopies?: string;
}

/**
 * The snapshot an attempt started from, with the git state and br's own files (not for a human at
 * the manual executor) when the attempt recorded them.
 */
export type AttemptBaseline = TreeSnapshot & { git?: GitState; own?: { files: OwnSnapshot; at: number } };

/** Commits files; returns a git hook's rejection, if one rejected the commit. */
type Commit = (files: readonly string[], message: string) => string | undefined;

/** Whether the attempt's run ended without finishing (no other run is live when this is asked). */
function fromDeadRun(journal: Journal, last: AttemptRow): boolean {
  const outcome = journal.runOutcome(last.run_id);
  return outcome !== "finished" && outcome !== "failed";
}

/**
 * Commits the files of a verified attempt that still hold their verified content and are not
 * committed yet: "committed", "nothing" to commit, or the hook's rejection.
 */
function commitVerified(
  paths: ProjectPaths,
  last: AttemptRow,
  title: string,
  commit: Commit,
): "committed" | "nothing" | { rejected: string } {
  const verified = JSON.parse(last.changed_files ?? "[]") as { path: string; hash: string | null }[];
  const intact = verified.filter((f) => fileHash(paths.root, f.path) === f.hash).map((f) => f.path);
  const dirty = new Set(workingChanges(paths.root).map((c) => c.path));
  const pending = intact.filter((f) => dirty.has(f));
  if (pending.length === 0) return "nothing";
  const rejected = commit(pending, `br: ${last.task_id}: ${title}`);
  return rejected ? { rejected } : "committed";
}

/** Copies the files about to be reverted into state/recovered/attempt-<id>/, so an edit made after the kill survives. */
function keepCopies(paths: ProjectPaths, attemptId: number, files: readonly string[]): string | undefined {
  const present = files.filter((f) => existsSync(join(paths.root, f)));
  if (present.length === 0) return undefined;
  const dir = join(paths.state, "recovered", `attempt-${attemptId}`);
  for (const file of present) {
    const target = join(dir, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(paths.root, file), target);
  }
  return dir;
}

/** Past the last heartbeat by more than this, a change cannot be the attempt's (br beats every second). */
const AFTER_THE_KILL_MS = 3000;

/** Whether the file was changed after the attempt was last seen alive: then the user made it. */
function changedAfterKill(paths: ProjectPaths, path: string, last: AttemptRow): boolean {
  if (last.heartbeat_ms === null) return false;
  try {
    return statSync(join(paths.root, path)).mtimeMs > last.heartbeat_ms + AFTER_THE_KILL_MS;
  } catch {
    return false; // deleted: put back
  }
}

/**
 * Undoes an attempt from its baseline: br's own files the agent changed (the user's br commands
 * kept), the git state, and every file it changed; returns where copies of its files were kept.
 */
function undoAttempt(paths: ProjectPaths, last: AttemptRow): string | undefined {
  const baseline = JSON.parse(last.baseline ?? "null") as AttemptBaseline | null;
  if (!baseline) return undefined;
  if (baseline.own) restoreOwnFiles(paths.root, paths.dir, paths.state, baseline.own.files, baseline.own.at, last.agent_pid ?? undefined);
  if (baseline.git) restoreGitState(paths.root, baseline.git);
  const changed = changesSince(paths.root, baseline).filter((p) => !isOwnFile(p) && !changedAfterKill(paths, p, last));
  const copies = keepCopies(paths, last.id, changed);
  const kept = revertChanges(paths.root, baseline, changed);
  if (kept.length > 0) warn(`left as they are (they had uncommitted edits before the interrupted attempt): ${kept.join(", ")}`);
  return copies;
}

export async function recover(paths: ProjectPaths, journal: Journal, config: Config, commit: Commit): Promise<Recovered> {
  const { orphanAgents } = journal.recoverInterrupted();
  for (const pid of orphanAgents) killProcessGroup(pid, "SIGKILL");
  const plan = await loadTasks(paths);
  const recovered: Recovered = { retried: [], done: [] };
  for (const task of plan.tasks) {
    if (task.status === "running" || task.status === "done") await recoverTask(paths, journal, config, task, recovered, commit);
  }
  return recovered;
}

/** A running task no dead run holds is retried, unless an agent took it outside br run (start_task, br tasks start): then it is that agent's. */
async function retryUnheld(paths: ProjectPaths, task: Task, recovered: Recovered): Promise<void> {
  if (task.status === "running" && !readWorkStart(paths, task.id)) await retry(paths, task.id, recovered);
}

async function recoverTask(
  paths: ProjectPaths,
  journal: Journal,
  config: Config,
  task: Task,
  recovered: Recovered,
  commit: Commit,
): Promise<void> {
  const running = task.status === "running";
  const last = journal.lastAttempt(task.id);
  // A stream's attempt lives in its worktree: the streams' recovery (src/parallel) settles it.
  if (last?.stream) return;
  if (!last || !fromDeadRun(journal, last)) return retryUnheld(paths, task, recovered);
  if (last.outcome === "passed") {
    const committed = config.run.commit ? commitVerified(paths, last, task.title, commit) : "nothing";
    if (typeof committed === "object") {
      // A git hook rejects the verified work: it is undone (copies kept) and the task done again.
      warn(`a git hook rejected the commit of ${task.id}'s verified work; it is undone and the task retried: ${committed.rejected}`);
      const copies = undoAttempt(paths, last);
      if (copies) recovered.keptCopies = copies;
      await retry(paths, task.id, recovered);
      return;
    }
    if (running) await transitionTask(paths, task.id, "done", { force: true });
    if (committed === "committed" || running) recovered.done.push(task.id);
    return;
  }
  if (!running) return;
  // Interrupted, or killed between recording a failure and undoing it: undone either way.
  if (config.run.commit) {
    const copies = undoAttempt(paths, last);
    if (copies) recovered.keptCopies = copies;
  }
  await retry(paths, task.id, recovered);
}

async function retry(paths: ProjectPaths, taskId: string, recovered: Recovered): Promise<void> {
  await transitionTask(paths, taskId, "reset", { force: true });
  recovered.retried.push(taskId);
}
