/**
 * What an attempt changed, measured against a snapshot taken just before it: the commit it
 * started from, and the content hash of every file that was already uncommitted. Only files whose
 * state differs from the snapshot are the attempt's work, so a user's own edits are never counted,
 * committed or reverted as the agent's.
 */
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { nodeCrypto } from "../infra/crypto.js";
import { failure } from "../infra/errors.js";
import { existsInCommit, git, gitWritingIndex, treeStatus } from "../infra/git.js";

export interface TreeSnapshot {
  head: string | undefined;
  /** path → content hash (null when absent) of each file that was uncommitted at the snapshot. */
  dirty: Record<string, string | null>;
}

export function fileHash(root: string, path: string): string | null {
  const full = join(root, path);
  if (!existsSync(full) || !statSync(full).isFile()) return null;
  return nodeCrypto().createHash("sha1").update(readFileSync(full)).digest("hex");
}

export function snapshotTree(root: string): TreeSnapshot {
  const { head, changes } = treeStatus(root);
  const dirty: Record<string, string | null> = {};
  for (const change of changes) dirty[change.path] = fileHash(root, change.path);
  return { head, dirty };
}

/**
 * Paths whose state differs from the snapshot. An agent that committed on its own is undone
 * softly first (its commits become uncommitted changes), so its work is measured like any other.
 */
export function changesSince(root: string, snapshot: TreeSnapshot): string[] {
  let status = treeStatus(root);
  if (snapshot.head && status.head !== snapshot.head) {
    git(root, ["reset", "-q", "--soft", snapshot.head]);
    status = treeStatus(root);
  }
  const now = new Set(status.changes.map((c) => c.path));
  const candidates = new Set([...now, ...Object.keys(snapshot.dirty)]);
  const changed: string[] = [];
  for (const path of candidates) {
    const before = path in snapshot.dirty ? snapshot.dirty[path] : "clean";
    const isDirtyNow = now.has(path);
    if (before === "clean") {
      if (isDirtyNow) changed.push(path);
    } else if (!isDirtyNow || fileHash(root, path) !== before) changed.push(path);
  }
  return changed.sort();
}

/** git's empty tree: the "commit" work began at in a repository that had none yet. */
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/**
 * Paths whose state differs from the snapshot, as changesSince says, without moving HEAD: work an
 * agent does outside br run (and may commit as it goes) is measured from the commit it began at,
 * and the agent's commits stay as they are. Whatever those commits changed counts, even in a file
 * that was already uncommitted at the start and looks the same now.
 */
export function changesFromSnapshot(root: string, snapshot: TreeSnapshot): string[] {
  const status = treeStatus(root);
  const now = new Set(status.changes.map((c) => c.path));
  const committed = new Set<string>();
  if (status.head && status.head !== snapshot.head) {
    const base = snapshot.head ?? EMPTY_TREE;
    const diff = git(root, ["diff", "--relative", "--name-only", "--no-renames", "-z", base, "HEAD", "--"]);
    if (diff.code !== 0)
      throw failure(`Cannot compare the work with the commit it began at (${base.slice(0, 12)}): ${diff.stderr.trim()}`, {
        fix: "That commit is gone (a rebase, a gc?): start the task again (br tasks reset <id>, then br tasks start <id>).",
      });
    for (const path of diff.stdout.split("\0")) if (path) committed.add(path);
  }
  const candidates = new Set([...now, ...committed, ...Object.keys(snapshot.dirty)]);
  return [...candidates]
    .filter((path) => {
      if (committed.has(path)) return true;
      if (!(path in snapshot.dirty)) return now.has(path);
      return fileHash(root, path) !== snapshot.dirty[path];
    })
    .sort();
}

/**
 * Puts the attempt's changed paths back as they were at the snapshot. Files that were clean then
 * come back from the snapshot's commit (staged changes included); files that did not exist are
 * removed. Files that were already uncommitted are left alone (their earlier content is not kept),
 * with their paths returned so the caller can say so.
 */
export function revertChanges(root: string, snapshot: TreeSnapshot, paths: readonly string[]): string[] {
  const untouchable = paths.filter((p) => p in snapshot.dirty);
  const clean = paths.filter((p) => !(p in snapshot.dirty));
  const inHead = snapshot.head ? clean.filter((p) => existsInCommit(root, snapshot.head as string, p)) : [];
  const created = clean.filter((p) => !inHead.includes(p));
  if (inHead.length > 0) {
    const restore = gitWritingIndex(root, ["restore", `--source=${snapshot.head}`, "--staged", "--worktree", "--", ...inHead]);
    if (restore.code !== 0)
      throw failure(`Could not revert the failed attempt's changes: ${restore.stderr.trim()}`, {
        fix: "Inspect `git status` and restore the files by hand.",
      });
  }
  if (created.length > 0) {
    gitWritingIndex(root, ["rm", "-q", "--cached", "--ignore-unmatch", "--", ...created]);
    for (const path of created) rmSync(join(root, path), { force: true });
  }
  return untouchable;
}
