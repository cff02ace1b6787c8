import { usageError } from "../infra/errors.js";
import type { ProjectPaths } from "../infra/project.js";
import type { FeaturesFile } from "../registry/feature.js";
import { ALLOWED_MOVES, type Priority } from "../registry/rules.js";
import { analyze } from "./graph.js";
import type { Task, TaskStatus, TasksFile } from "./task.js";
import { mutateTasks } from "./task-store.js";

const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** The ready tasks in the order they should run: highest priority, then longest critical path, then id. */
export function rankReady(plan: TasksFile): { ranked: Task[]; criticalPath: Map<string, number> } {
  const ready = plan.tasks.filter((t) => t.status === "ready");
  if (ready.length === 0) return { ranked: [], criticalPath: new Map() };
  const { criticalPath } = analyze(plan.tasks);
  const ranked = [...ready].sort(
    (a, b) =>
      PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
      (criticalPath.get(b.id) ?? 0) - (criticalPath.get(a.id) ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return { ranked, criticalPath };
}

/** The ready task to run next (see rankReady). */
export function nextTask(plan: TasksFile): { task: Task | null; criticalPathMinutes?: number } {
  const { ranked, criticalPath } = rankReady(plan);
  const best = ranked[0];
  if (!best) return { task: null };
  return { task: best, criticalPathMinutes: criticalPath.get(best.id) ?? 0 };
}

function findTask(plan: TasksFile, id: string): Task {
  const task = plan.tasks.find((t) => t.id === id);
  if (task) return task;
  const close = plan.tasks.filter((t) => t.id.includes(id)).map((t) => t.id);
  throw usageError(`No task with id "${id}".`, {
    fix: close.length > 0 ? `Did you mean ${close.slice(0, 3).join(", ")}?` : "List the ids with `br tasks list`.",
  });
}

function waitingOn(plan: TasksFile, task: Task): string[] {
  return task.dependsOn.filter((dep) => {
    const status = plan.tasks.find((t) => t.id === dep)?.status;
    return status !== "done" && status !== "skipped";
  });
}

/** Moves features along with their tasks: planned → in_progress on start, → testing when all are done. */
function followFeature(featureId: string, plan: TasksFile): (registry: FeaturesFile) => void {
  return (registry) => {
    const feature = registry.features.find((f) => f.id === featureId);
    if (!feature) return;
    const mine = plan.tasks.filter((t) => t.featureId === featureId);
    const allDone = mine.length > 0 && mine.every((t) => t.status === "done" || t.status === "skipped");
    const started = mine.some((t) => t.status !== "pending" && t.status !== "ready" && t.status !== "blocked");
    const move = (to: typeof feature.status) => {
      if (feature.status === to || !ALLOWED_MOVES[feature.status].includes(to) || feature.status === "complete") return;
      feature.status = to;
      feature.updatedAt = new Date().toISOString();
    };
    if (started && feature.status === "planned") move("in_progress");
    if (allDone && feature.status === "in_progress") move("testing");
    if (!allDone && feature.status === "testing") move("in_progress");
  };
}

type Transition = "start" | "done" | "fail" | "reset";

const FROM: Record<Transition, readonly TaskStatus[]> = {
  start: ["ready"],
  done: ["ready", "running"],
  fail: ["ready", "running"],
  reset: ["pending", "ready", "running", "failed", "blocked", "skipped"],
};

export interface TransitionOptions {
  force?: boolean;
  reason?: string;
}

export async function transitionTask(
  paths: ProjectPaths,
  id: string,
  transition: Transition,
  options: TransitionOptions = {},
): Promise<Task> {
  return mutateTasks(paths, (plan) => {
    const task = findTask(plan, id);
    const allowed = FROM[transition];
    if (!allowed.includes(task.status) && !options.force) {
      const waiting = waitingOn(plan, task);
      const why =
        task.status === "pending" || task.status === "blocked"
          ? `it is ${task.status}, waiting on ${waiting.join(", ") || "its feature"}`
          : transition === "reset" && task.status === "done"
            ? "it is done; resetting finished work needs --force"
            : `it is ${task.status}`;
      throw usageError(`Cannot ${transition} task "${id}": ${why}.`, {
        fix: `\`br tasks ${transition}\` works on ${allowed.join(" or ")} tasks; --force overrides.`,
      });
    }
    if (transition === "start") task.status = "running";
    else if (transition === "done") task.status = "done";
    else if (transition === "fail") task.status = "failed";
    else task.status = "pending"; // readiness is re-derived before the write
    if (transition === "fail") task.failureReason = options.reason ?? "marked failed by hand";
    else delete task.failureReason;
    return { result: task, followFeatures: followFeature(task.featureId, plan) };
  });
}
