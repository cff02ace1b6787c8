import { listProjectFiles } from "../infra/git.js";
import { warn } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import type { FeaturesFile } from "../registry/feature.js";
import { loadRegistry } from "../registry/store.js";
import { decomposeFeatures, type FeatureTasks, linkFeatures } from "./decompose.js";
import { detectLayout } from "./layout.js";
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
  const removed: string[] = [];
  const history: Task[] = [];
  // A first plan has no history to keep: its ids need no second index.
  if (previous.length === 0) return { tasks: next, added, kept, removed };
  const nextIds = new Set(next.map((t) => t.id));
  for (const task of previous) {
    if (nextIds.has(task.id)) continue;
    // Finished work stays as history; work in flight or failed stays too, so nothing is lost
    // silently; only tasks nobody touched yet leave the plan, unless someone added them on purpose.
    if (task.added || ["done", "skipped", "running", "failed"].includes(task.status)) history.push({ ...task });
    else removed.push(task.id);
  }
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
  // The model is asked outside the lock (it can take minutes); the plan is linked under it, from
  // the registry as it is then, so a dependency added meanwhile is honoured.
  const tree = listProjectFiles(paths.root) ?? [];
  const layout = detectLayout(tree, paths.root);
  let refined = new Map<string, FeatureTasks>();
  let refinedFeatures: string[] = [];
  if (options.refine) {
    const registry = await loadRegistry(paths);
    try {
      const result = await options.refine(registry, decomposeFeatures(registry, tree, layout));
      refinedFeatures = result.refinedFeatures;
      refined = new Map(result.perFeature.filter((p) => refinedFeatures.includes(p.featureId)).map((p) => [p.featureId, p]));
    } catch (error) {
      warn(`the model could not refine the plan (${(error as Error).message}); using the deterministic plan.`);
    }
  }
  return mutateTasks(
    paths,
    (plan, registry) => {
      const perFeature = decomposeFeatures(registry, tree, layout).map((fresh) => refined.get(fresh.featureId) ?? fresh);
      const merged = mergePlans(plan.tasks, linkFeatures(registry, perFeature));
      plan.tasks = merged.tasks;
      const used = refinedFeatures.filter((id) => perFeature.some((p) => p.featureId === id));
      return {
        result: {
          tasks: plan.tasks,
          summary: { total: plan.tasks.length, added: merged.added, kept: merged.kept, removed: merged.removed, refinedFeatures: used },
        },
      };
    },
    { allowCycle: true },
  );
}
