import { existsSync, readFileSync } from "node:fs";
import { sameText, writeFileAtomic } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { loadJsonFile } from "../infra/json-file.js";
import { withLock } from "../infra/lock.js";
import { warn } from "../infra/log.js";
import { displayPath, type ProjectPaths } from "../infra/project.js";
import { formatPath, problemsFrom, readText, stripBom } from "../infra/validation.js";
import type { FeaturesFile } from "../registry/feature.js";
import { loadRegistry, mutateRegistryLocked } from "../registry/store.js";
import { MASKED_WARNING, maskedJsonParts } from "../security/mask.js";
import { dependencyOrder, findCycle } from "./graph.js";
import { type Task, type TasksFile, tasksFileSchema } from "./task.js";

/** Reads tasks.json (an absent file is an empty plan); a dependency cycle is an error with its place. */
export async function loadTasks(paths: ProjectPaths, options: { allowCycle?: boolean } = {}): Promise<TasksFile> {
  if (!existsSync(paths.tasks)) return { schemaVersion: 1, tasks: [] };
  const shownAs = displayPath(paths, paths.tasks);
  const plan = await loadJsonFile(paths.tasks, tasksFileSchema, { displayPath: shownAs });
  const cycle = options.allowCycle ? undefined : findCycle(plan.tasks);
  if (cycle) {
    const index = plan.tasks.findIndex((t) => t.id === cycle[0]);
    throw usageError(`${shownAs}: the task dependencies form a cycle: ${cycle.join(" → ")}.`, {
      file: shownAs,
      place: `tasks[${index}].dependsOn`,
      fix: "Regenerate the plan with `br tasks generate`, or remove one of these dependencies.",
    });
  }
  return plan;
}

const SETTLED: ReadonlySet<Task["status"]> = new Set(["done", "skipped"]);
const STUCK: ReadonlySet<Task["status"]> = new Set(["failed", "blocked"]);
const DERIVED: ReadonlySet<Task["status"]> = new Set(["pending", "ready", "blocked"]);

/**
 * Derives pending / ready / blocked from the dependencies: ready once every dependency is done
 * (or skipped), blocked while a dependency failed or is blocked, or while the feature is blocked.
 * running, done, failed and skipped are facts recorded by commands and are never changed here.
 */
export function refreshReadiness(tasks: Task[], registry: FeaturesFile): void {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const blockedFeatures = new Set(registry.features.filter((f) => f.status === "blocked").map((f) => f.id));
  // Blocking propagates down chains, so it is settled in dependency order; with nothing failed or
  // blocked there is nothing to propagate, and file order gives the same answer for less.
  const mayBlock = blockedFeatures.size > 0 || tasks.some((t) => STUCK.has(t.status));
  const order = mayBlock ? orderThenRest(dependencyOrder(tasks), tasks.length) : tasks.keys();
  for (const at of order) {
    const task = tasks[at] as Task;
    if (!DERIVED.has(task.status)) continue;
    const deps = task.dependsOn.map((id) => byId.get(id));
    if (blockedFeatures.has(task.featureId) || deps.some((d) => d && STUCK.has(d.status))) task.status = "blocked";
    else if (deps.every((d) => d && SETTLED.has(d.status))) task.status = "ready";
    else task.status = "pending";
  }
}

/** Positions in `order`, then the ones it left out (on a cycle, or after a missing task) in file order: every task, once. */
function orderThenRest(order: number[], count: number): number[] {
  const placed = new Uint8Array(count);
  for (const at of order) placed[at] = 1;
  for (let at = 0; at < count; at++) if (!placed[at]) order.push(at);
  return order;
}

/**
 * After a registry change (with the lock held): re-derives readiness in tasks.json and writes it
 * when that changed. A plan that cannot be read is left for the commands that read it to report.
 */
export function refreshPlanReadiness(paths: ProjectPaths, registry: FeaturesFile): void {
  if (!existsSync(paths.tasks)) return;
  const shownAs = displayPath(paths, paths.tasks);
  let plan: TasksFile;
  const before = readFileSync(paths.tasks, "utf8");
  try {
    const parsed = tasksFileSchema.safeParse(JSON.parse(stripBom(before)));
    if (!parsed.success || findCycle(parsed.data.tasks)) return;
    plan = parsed.data;
  } catch {
    return;
  }
  refreshReadiness(plan.tasks, registry);
  const parts = tasksJsonParts(plan, shownAs);
  if (!sameText(parts, before)) writeFileAtomic(paths.tasks, parts);
}

/** Removes the unfinished tasks of features that no longer exist. Call with the project lock held. */
export function dropTasksOfFeatures(paths: ProjectPaths, featureIds: readonly string[]): void {
  if (!existsSync(paths.tasks)) return;
  const parsed = tasksFileSchema.safeParse(JSON.parse(readText(paths.tasks)));
  if (!parsed.success) return;
  const gone = new Set(featureIds);
  const plan = parsed.data;
  plan.tasks = plan.tasks.filter((t) => !gone.has(t.featureId) || t.status === "done" || t.status === "skipped");
  const ids = new Set(plan.tasks.map((t) => t.id));
  for (const task of plan.tasks) task.dependsOn = task.dependsOn.filter((d) => ids.has(d));
  writeFileAtomic(paths.tasks, tasksJsonParts(plan, displayPath(paths, paths.tasks)));
}

export function serializeTasks(plan: TasksFile, shownAs: string): string {
  return tasksJsonParts(plan, shownAs).join("");
}

/** tasks.json's text in parts (see maskedJsonParts), once the plan has passed every check a write must pass. */
function tasksJsonParts(plan: TasksFile, shownAs: string): string[] {
  const parsed = tasksFileSchema.safeParse(plan);
  if (!parsed.success) {
    const [problem] = problemsFrom(parsed.error, plan);
    throw usageError(`Refused: the change would make ${shownAs} invalid: ${formatPath(problem?.path ?? [])} ${problem?.message ?? ""}.`, {
      fix: "Nothing was written; change the value to one the message allows.",
    });
  }
  const cycle = findCycle(parsed.data.tasks);
  if (cycle)
    throw usageError(`Refused: the task dependencies would form a cycle: ${cycle.join(" → ")}.`, {
      fix: "Drop one of the dependencies named; nothing was written.",
    });
  const { parts, masked } = maskedJsonParts(parsed.data, { shapesOnly: true });
  if (masked) warn(MASKED_WARNING(shownAs));
  parts.push("\n");
  return parts;
}

export interface TaskChange<T> {
  result: T;
  /** Feature status moves that follow from the task change, applied in the same locked step. */
  followFeatures?: (registry: FeaturesFile) => void;
}

/**
 * Read-modify-write of tasks.json under the project lock (the same lock as the registry, so a
 * change that touches both is one step). Readiness is re-derived before every write.
 */
export async function mutateTasks<T>(
  paths: ProjectPaths,
  change: (plan: TasksFile, registry: FeaturesFile) => TaskChange<T> | Promise<TaskChange<T>>,
  options: { allowCycle?: boolean } = {},
): Promise<T> {
  return withLock(
    paths.lock,
    async () => {
      const registry = await loadRegistry(paths);
      // Regeneration may start from a plan whose links were broken by hand: it replaces them.
      const plan = await loadTasks(paths, options);
      const { result, followFeatures } = await change(plan, registry);
      if (followFeatures) {
        await mutateRegistryLocked(
          paths,
          (fresh) => {
            followFeatures(fresh);
            refreshReadiness(plan.tasks, fresh);
          },
          undefined,
          { planFollows: false }, // this plan is written below
        );
      } else refreshReadiness(plan.tasks, registry);
      const parts = tasksJsonParts(plan, displayPath(paths, paths.tasks));
      const before = existsSync(paths.tasks) ? readFileSync(paths.tasks, "utf8") : "";
      if (!sameText(parts, before)) writeFileAtomic(paths.tasks, parts);
      return result;
    },
    { what: "the project" },
  );
}
