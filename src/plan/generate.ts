import { listProjectFiles } from "../infra/git.js";
import { warn } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import type { FeaturesFile } from "../registry/feature.js";
import { loadRegistry } from "../registry/store.js";
import { decompose, decomposeFeatures, type FeatureTasks, linkFeatures } from "./decompose.js";
import type { Task } from "./task.js";
import { mutateTasks } from "./task-store.js";

export interface GenerateResult {
  tasks: Task[];
  summary: { total: number; added: string[]; kept: string[]; removed: string[]; refinedFeatures: string[] };
}

/**
 * Merges a freshly decomposed plan with the existing one: a task that still exists keeps its
 * status (and failure reason); done work is never resurrected or dropped, even when the feature no
 * longer produces that task; unfinished tasks that are no longer planned are removed.
 */
export function mergePlans(previous: readonly Task[], next: Task[]): { tasks: Task[]; added: string[]; kept: string[]; removed: string[] } {
  const old = new Map(previous.map((t) => [t.id, t]));
  const added: string[] = [];
  const kept: string[] = [];
  for (const task of next) {
    const before = old.get(task.id);
    if (!before) {
      added.push(task.id);
      continue;
    }
    kept.push(task.id);
    task.status = before.status;
    if (before.failureReason) task.failureReason = before.failureReason;
  }
  const nextIds = new Set(next.map((t) => t.id));
  const removed: string[] = [];
  const history: Task[] = [];
  for (const task of previous) {
    if (nextIds.has(task.id)) continue;
    if (task.status === "done" || task.status === "skipped") history.push({ ...task });
    else removed.push(task.id);
  }
  // Finished work stays as history; its links to tasks that are gone are dropped.
  const all = [...history, ...next];
  const ids = new Set(all.map((t) => t.id));
  for (const task of history) task.dependsOn = task.dependsOn.filter((d) => ids.has(d));
  return { tasks: all, added, kept, removed };
}

export interface GenerateOptions {
  /** Ask a model to refine each feature's tasks (falls back to the deterministic plan). */
  refine?: (registry: FeaturesFile, perFeature: FeatureTasks[]) => Promise<{ perFeature: FeatureTasks[]; refinedFeatures: string[] }>;
}

export async function generatePlan(paths: ProjectPaths, options: GenerateOptions = {}): Promise<GenerateResult> {
  // The model is asked outside the lock (it can take minutes); the merge happens under it.
  const tree = listProjectFiles(paths.root) ?? [];
  let refinedFeatures: string[] = [];
  let refined: Task[] | undefined;
  if (options.refine) {
    const registry = await loadRegistry(paths);
    try {
      const result = await options.refine(registry, decomposeFeatures(registry, tree));
      refined = linkFeatures(registry, result.perFeature);
      refinedFeatures = result.refinedFeatures;
    } catch (error) {
      warn(`the model could not refine the plan (${(error as Error).message}); using the deterministic plan.`);
    }
  }
  return mutateTasks(paths, (plan, registry) => {
    // Re-decompose under the lock when the registry moved on while the model was thinking.
    const fresh = decompose(registry, tree);
    const sameShape = refined && refined.length > 0 && fresh.every((t) => refined?.some((r) => r.featureId === t.featureId));
    const next = sameShape ? (refined as Task[]) : fresh;
    const merged = mergePlans(plan.tasks, next);
    plan.tasks = merged.tasks;
    return {
      result: {
        tasks: plan.tasks,
        summary: {
          total: plan.tasks.length,
          added: merged.added,
          kept: merged.kept,
          removed: merged.removed,
          refinedFeatures: sameShape ? refinedFeatures : [],
        },
      },
    };
  });
}
