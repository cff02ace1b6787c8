/**
 * A task added to the plan by hand or by an agent (the MCP server's add_task): it belongs to a
 * feature, may wait on other tasks, and survives `br tasks generate` (task.added).
 */
import { usageError } from "../infra/errors.js";
import type { ProjectPaths } from "../infra/project.js";
import type { Task } from "./task.js";
import { mutateTasks } from "./task-store.js";

export interface NewTask {
  featureId: string;
  title: string;
  description?: string;
  dependsOn?: readonly string[];
  files?: readonly string[];
  acceptance?: readonly string[];
}

function slug(title: string): string {
  const words = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return words.slice(0, 40).replace(/-+$/, "") || "task";
}

/** `<feature>.added.<slug of the title>` (apart from the ids generation gives), numbered when the plan has it already. */
function freshId(taken: ReadonlySet<string>, featureId: string, title: string): string {
  const stem = `${featureId}.added.${slug(title)}`;
  if (!taken.has(stem)) return stem;
  for (let n = 2; ; n++) if (!taken.has(`${stem}-${n}`)) return `${stem}-${n}`;
}

export async function addTask(paths: ProjectPaths, input: NewTask): Promise<Task> {
  return mutateTasks(paths, (plan, registry) => {
    const feature = registry.features.find((f) => f.id === input.featureId);
    if (!feature)
      throw usageError(`No feature with id "${input.featureId}".`, { fix: "List the ids with `br features list`; a task belongs to one." });
    const ids = new Set(plan.tasks.map((t) => t.id));
    const unknown = (input.dependsOn ?? []).filter((d) => !ids.has(d));
    if (unknown.length > 0)
      throw usageError(`dependsOn names no task in the plan: ${unknown.join(", ")}.`, { fix: "Use ids from `br tasks list`." });
    const task: Task = {
      id: freshId(ids, feature.id, input.title),
      featureId: feature.id,
      title: input.title.trim(),
      description: input.description?.trim() ?? "",
      status: "pending", // readiness is derived before the write
      dependsOn: [...new Set(input.dependsOn ?? [])],
      priority: feature.priority,
      complexity: "moderate",
      estimateMinutes: 60,
      files: [...(input.files ?? feature.files ?? [])],
      acceptance: [...(input.acceptance ?? [])],
      added: true,
    };
    plan.tasks.push(task);
    return { result: task };
  });
}
