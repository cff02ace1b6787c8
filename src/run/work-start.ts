/**
 * Where a task's work began when an agent took it outside br run (start_task, `br tasks start`):
 * HEAD and the files already uncommitted then, kept in the state folder. A record that does not
 * read as one is treated as missing, never trusted in part.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { git } from "../infra/git.js";
import type { ProjectPaths } from "../infra/project.js";
import { snapshotTree, type TreeSnapshot } from "./tree.js";

export interface WorkStart extends TreeSnapshot {
  taskId: string;
  startedAt: string;
}

function startsDir(paths: ProjectPaths): string {
  return join(paths.state, "work");
}

export function workLockFile(paths: ProjectPaths, taskId: string): string {
  mkdirSync(startsDir(paths), { recursive: true });
  return join(startsDir(paths), `${taskId}.lock`);
}

function startFile(paths: ProjectPaths, taskId: string): string {
  return join(startsDir(paths), `${taskId}.json`);
}

function isWorkStart(value: unknown, taskId: string): value is WorkStart {
  if (typeof value !== "object" || value === null) return false;
  const start = value as Partial<WorkStart>;
  const head = start.head === undefined || (typeof start.head === "string" && /^[0-9a-f]{40,64}$/.test(start.head));
  const dirty = typeof start.dirty === "object" && start.dirty !== null && !Array.isArray(start.dirty);
  return head && dirty && start.taskId === taskId && typeof start.startedAt === "string";
}

export function readWorkStart(paths: ProjectPaths, taskId: string): WorkStart | undefined {
  const file = startFile(paths, taskId);
  if (!existsSync(file)) return undefined;
  try {
    const start = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return isWorkStart(start, taskId) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `older` is HEAD or behind it: work measured from there still sees everything since. */
function behindHead(root: string, older: string | undefined): boolean {
  if (older === undefined) return true;
  return git(root, ["merge-base", "--is-ancestor", older, "HEAD"]).code === 0;
}

/**
 * Records where the task's work begins. A record already there stands while its commit is behind
 * HEAD: starting a task again must not move the point its work is judged from past what an agent
 * committed meanwhile.
 */
export function recordWorkStart(paths: ProjectPaths, taskId: string): WorkStart {
  const earlier = readWorkStart(paths, taskId);
  if (earlier && behindHead(paths.root, earlier.head)) return earlier;
  const start: WorkStart = { taskId, startedAt: new Date().toISOString(), ...snapshotTree(paths.root) };
  mkdirSync(startsDir(paths), { recursive: true });
  writeFileAtomic(startFile(paths, taskId), `${JSON.stringify(start)}\n`);
  return start;
}

export function forgetWorkStart(paths: ProjectPaths, taskId: string): void {
  rmSync(startFile(paths, taskId), { force: true });
}
