/**
 * Which ready task a free stream takes: the plan's order (priority, then critical path), skipping
 * any task whose likely files overlap a task another stream is working on, so two agents never
 * edit the same files at once.
 */
import picomatch from "picomatch";
import { rankReady } from "../plan/scheduler.js";
import type { Task, TasksFile } from "../plan/task.js";

function normalise(path: string): string {
  return path.replace(/^\.\//, "").replace(/\/+$/, "");
}

/** Whether two likely-file entries (paths, folders or globs) can name the same file. */
export function entriesOverlap(a: string, b: string): boolean {
  const x = normalise(a);
  const y = normalise(b);
  if (sameOrNested(x, y)) return true;
  const globX = picomatch.scan(x).isGlob;
  const globY = picomatch.scan(y).isGlob;
  if (!globX && !globY) return false;
  if (globY && !globX) return entriesOverlap(b, a);
  // A glob against a path matches it, or lies in or around it; two globs overlap where their fixed parts do.
  const base = picomatch.scan(x).base;
  if (!globY)
    return (
      picomatch(x, { dot: true })(y) ||
      base === "" ||
      base === y ||
      base.startsWith(`${y}/`) ||
      (y.startsWith(`${base}/`) && !looksLikeFile(y))
    );
  const otherBase = picomatch.scan(y).base;
  return base === "" || otherBase === "" || sameOrNested(base, otherBase);
}

/** A path with an extension names a file (a folder under the glob's base may hold matching files). */
function looksLikeFile(path: string): boolean {
  return /\.[^/]+$/.test(path);
}

function sameOrNested(x: string, y: string): boolean {
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

export function filesOverlap(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.some((y) => entriesOverlap(x, y)));
}

/** The ready task to give a free stream, or undefined when every ready task overlaps running work. */
export function pickTask(plan: TasksFile, busy: readonly Task[]): Task | undefined {
  const { ranked } = rankReady(plan);
  return ranked.find((task) => !busy.some((other) => filesOverlap(task.files, other.files)));
}
