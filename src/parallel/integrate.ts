/**
 * Integration of a stream's verified commit into the target branch. Conflicts are predicted first
 * with `git merge-tree --write-tree`, which merges in memory and touches no worktree: a clean
 * commit is rebased onto the target (linear history) or merged, and the target moves forward; a
 * predicted conflict stops that stream's integration with both sides kept and the files and tasks
 * named. Integrations are serialised by their own lock, so the target only ever moves forward.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../infra/config.js";
import { git, gitWritingIndex, identityArgs } from "../infra/git.js";
import { withLock } from "../infra/lock.js";
import { runSync } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import type { StreamRow, StreamStore } from "./store.js";
import { resetWorktree } from "./worktree.js";

export type Prediction = { clean: true; tree: string } | { clean: false; files: string[] };

export type Integration =
  | { kind: "integrated"; commit: string }
  /** Already in the target (integrated before a kill, or nothing to add). */
  | { kind: "present" }
  | { kind: "conflict"; files: string[]; tasks: string[]; kept: string }
  /** The main checkout cannot move forward (uncommitted edits in the way, another branch checked out): the commit waits. */
  | { kind: "waiting"; reason: string };

/**
 * `git merge-tree --write-tree --name-only -z --no-messages ours theirs`: exit 0 prints the merged
 * tree; exit 1 prints it followed by the conflicted paths, NUL-separated.
 */
export function predictConflicts(root: string, ours: string, theirs: string): Prediction {
  const result = git(root, ["merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", ours, theirs]);
  const [tree = "", ...rest] = result.stdout.split("\0");
  if (result.code === 0) return { clean: true, tree: tree.trim() };
  if (result.code === 1) return { clean: false, files: [...new Set(rest.filter(Boolean))] };
  throw new Error(`git merge-tree failed: ${result.stderr.trim()}`);
}

export function revParse(root: string, ref: string): string | undefined {
  const result = git(root, ["rev-parse", "-q", "--verify", `${ref}^{commit}`]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

export function isAncestor(root: string, ancestor: string, of: string): boolean {
  return git(root, ["merge-base", "--is-ancestor", ancestor, of]).code === 0;
}

/** The tasks whose integrated commits since `base` changed these files (br's commits say `br: <task>: …`). */
export function tasksTouching(root: string, base: string, tip: string, files: readonly string[]): string[] {
  const log = git(root, ["log", "--format=%s", `${base}..${tip}`, "--", ...files]).stdout;
  const ids = [...log.matchAll(/^br: ([a-z0-9][a-z0-9.-]*):/gm)].map((m) => m[1] as string);
  return [...new Set(ids)];
}

/** The branch a conflicted task's verified commit is kept on until it is resolved. */
export function conflictBranch(taskId: string): string {
  return `br/conflict/${taskId}`;
}

/** Moves the target to `commit`: a fast-forward of the main checkout when it has the target checked out. */
function advanceTarget(root: string, target: string, from: string, commit: string): string | undefined {
  const checkedOut = git(root, ["symbolic-ref", "-q", "--short", "HEAD"]).stdout.trim();
  if (checkedOut === target) {
    const merge = gitWritingIndex(root, ["merge", "--ff-only", "-q", commit]);
    if (merge.code === 0) return undefined;
    return `the main checkout could not move forward: ${(merge.stderr || merge.stdout).trim().slice(0, 500)}`;
  }
  const update = git(root, ["update-ref", `refs/heads/${target}`, commit, from]);
  return update.code === 0 ? undefined : `the target branch ${target} moved meanwhile: ${update.stderr.trim()}`;
}

function singleCommit(root: string, base: string, commit: string): boolean {
  return git(root, ["rev-list", "--count", `${base}..${commit}`]).stdout.trim() === "1";
}

/**
 * The stream's one commit replayed onto the target without touching a worktree: its parent is the
 * merge base, so merge-tree's tree is exactly the cherry-pick's, committed with the original
 * author, date and message.
 */
function replay(root: string, commit: string, tip: string, tree: string): string | undefined {
  const [name = "", email = "", date = "", ...message] = git(root, [
    "log",
    "-1",
    "--date=raw",
    "--format=%an%x00%ae%x00%ad%x00%B",
    commit,
  ]).stdout.split("\0");
  const made = runSync("git", [...identityArgs(root), "commit-tree", tree, "-p", tip, "-F", "-"], {
    cwd: root,
    input: `${message.join("\0").trimEnd()}\n`,
    env: { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date },
  });
  return made.code === 0 ? made.stdout.trim() : undefined;
}

/** Another git command holding the main checkout's index for a moment (an editor's `git status`): tried again. */
async function advanceTargetPatiently(root: string, target: string, from: string, commit: string): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    const refused = advanceTarget(root, target, from, commit);
    if (!refused || !/index\.lock|cannot lock ref/.test(refused) || attempt >= 10) return refused;
    await sleep(200 * (attempt + 1));
  }
}

/** Puts the stream's commit on top of the target: rebased in the stream's worktree, or merged with a merge commit. */
function combine(config: Config, stream: StreamRow, tip: string, commit: string, tree: string): string | undefined {
  if (config.parallel.integrate === "merge") {
    const message = `br: merge ${stream.task_id ?? stream.name} from ${stream.branch}`;
    const made = git(stream.path, [...identityArgs(stream.path), "commit-tree", tree, "-p", tip, "-p", commit, "-m", message]);
    return made.code === 0 ? made.stdout.trim() : undefined;
  }
  if (stream.base && singleCommit(stream.path, stream.base, commit)) return replay(stream.path, commit, tip, tree);
  git(stream.path, ["checkout", "-q", "-f", "-B", stream.branch, commit]);
  const rebase = git(stream.path, [...identityArgs(stream.path), "-c", "core.hooksPath=/dev/null", "rebase", "-q", tip]);
  if (rebase.code !== 0) {
    git(stream.path, ["rebase", "--abort"]);
    return undefined;
  }
  return revParse(stream.path, "HEAD");
}

/** Integrates the stream's verified commit; the task becomes done once the target holds it. */
export async function integrateStream(paths: ProjectPaths, config: Config, store: StreamStore, name: string): Promise<Integration> {
  return withLock(join(paths.state, "integrate.lock"), () => integrateLocked(paths, config, store, name), {
    what: "integration into the target branch",
    timeoutMs: 10 * 60_000,
  });
}

async function integrateLocked(paths: ProjectPaths, config: Config, store: StreamStore, name: string): Promise<Integration> {
  const stream = store.get(name) as StreamRow;
  const tip = revParse(paths.root, `refs/heads/${stream.target}`) as string;
  // The commit recorded at verification, not whatever the branch points to now (another stream's agent could move it).
  const commit = stream.commit_sha ?? (revParse(paths.root, `refs/heads/${stream.branch}`) as string);
  const landed = stream.combined && isAncestor(paths.root, stream.combined, tip);
  if (landed || commit === stream.base || isAncestor(paths.root, commit, tip)) {
    await settleIntegrated(paths, store, stream, tip);
    return { kind: "present" };
  }
  const prediction = predictConflicts(paths.root, tip, commit);
  if (!prediction.clean) return keepConflict(paths, store, stream, { tip, commit, files: prediction.files });
  // Nothing integrated since the task started: the verified commit itself moves the target forward.
  const combined =
    isAncestor(paths.root, tip, commit) && config.parallel.integrate === "rebase"
      ? commit
      : combine(config, stream, tip, commit, prediction.tree);
  if (!combined) return keepConflict(paths, store, stream, { tip, commit, files: [] });
  store.update(name, { combined });
  const refused = await advanceTargetPatiently(paths.root, stream.target, tip, combined);
  if (refused) {
    store.update(name, { status: "verified", commit_sha: combined, last_result: refused });
    return { kind: "waiting", reason: refused };
  }
  await settleIntegrated(paths, store, stream, combined);
  return { kind: "integrated", commit: combined };
}

async function settleIntegrated(paths: ProjectPaths, store: StreamStore, stream: StreamRow, commit: string): Promise<void> {
  // The stream's branch follows its work into the target (a replayed commit is a new one), so it holds nothing unintegrated.
  if (existsSync(stream.path)) resetWorktree(stream.path, stream.branch, commit, false);
  if (stream.task_id) await transitionTask(paths, stream.task_id, "done", { force: true });
  store.update(stream.name, {
    status: "idle",
    commit_sha: commit,
    last_result: `${stream.task_id ?? "work"} integrated into ${stream.target} at ${commit.slice(0, 10)}`,
    combined: null,
  });
}

/**
 * A predicted conflict: the verified commit is kept on its own branch, the task fails with the
 * files and the integrated tasks it collides with, and the stream is free for other work.
 */
async function keepConflict(
  paths: ProjectPaths,
  store: StreamStore,
  stream: StreamRow,
  at: { tip: string; commit: string; files: string[] },
): Promise<Integration> {
  const taskId = stream.task_id as string;
  const kept = conflictBranch(taskId);
  git(paths.root, ["branch", "-f", kept, at.commit]);
  const others = at.files.length > 0 ? tasksTouching(paths.root, stream.base ?? at.tip, at.tip, at.files) : [];
  const files = at.files.length > 0 ? at.files.join(", ") : "(the rebase stopped)";
  const reason = `conflicts with ${others.length ? others.join(", ") : `${stream.target}`} in ${files}: its verified commit ${at.commit.slice(0, 10)} is kept on branch ${kept}; resolve it by hand (merge ${kept}, then br merge --streams) or run it again on top (br run --retry-failed)`;
  await transitionTask(paths, taskId, "fail", { force: true, reason });
  store.update(stream.name, { status: "conflict", commit_sha: at.commit, last_result: reason });
  return { kind: "conflict", files: at.files, tasks: [taskId, ...others], kept };
}
