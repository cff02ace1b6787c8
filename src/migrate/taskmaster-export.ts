/**
 * `br export taskmaster`: the br plan as a tasks.json Taskmaster reads (tagged form). Features
 * imported from Taskmaster keep their ids and tags, so import → export → import gives the same
 * plan; br's own features get the next free numbers in the master tag. Other tags already in the
 * file are kept.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { displayPath, type ProjectPaths } from "../infra/project.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import type { Feature } from "../registry/feature.js";
import { loadRegistry } from "../registry/store.js";
import { maskedJson } from "../security/mask.js";
import { parseJson, readSource } from "./plan.js";
import { splitDetails, TASKMASTER_FILES } from "./taskmaster.js";

const FEATURE_TO_TM: Record<Feature["status"], string> = {
  planned: "pending",
  in_progress: "in-progress",
  testing: "review",
  complete: "done",
  blocked: "blocked",
};

const TASK_TO_TM: Record<Task["status"], string> = {
  pending: "pending",
  ready: "pending",
  blocked: "pending",
  running: "in-progress",
  failed: "pending",
  done: "done",
  skipped: "cancelled",
};

interface Placed {
  feature: Feature;
  tag: string;
  id: number;
}

/** Where each feature goes: `tm-12` → master 12, `tm-<tag>-12` → that tag; others after the highest number. */
function place(features: readonly Feature[]): Placed[] {
  const parsed = features.map((feature) => {
    const match = /^tm-(?:(.+)-)?(\d+)$/.exec(feature.id);
    return { feature, tag: match?.[1] ?? "master", id: match ? Number(match[2]) : undefined };
  });
  let next = Math.max(0, ...parsed.filter((p) => p.tag === "master" && p.id !== undefined).map((p) => p.id as number)) + 1;
  return parsed.map((p) => ({ feature: p.feature, tag: p.tag, id: p.id ?? next++ }));
}

function tmStatus(feature: Feature): string {
  if (feature.status === "blocked") return /^(deferred|cancelled)/.exec(feature.blockedReason ?? "")?.[1] ?? "blocked";
  return FEATURE_TO_TM[feature.status];
}

/** A subtask's dependency as Taskmaster writes it: a sibling's number, "<task>.<subtask>", or a task's number. */
function tmDependency(dep: string, featureId: string): number | string | undefined {
  const match = /^(.*)\.([^.]+)$/.exec(dep);
  if (!match) return undefined;
  const [, feature, own] = match as unknown as [string, string, string];
  const task = /(\d+)$/.exec(feature)?.[1];
  if (feature === featureId) return /^\d+$/.test(own) ? Number(own) : undefined;
  if (task === undefined) return undefined;
  return own === "task" ? Number(task) : `${task}.${own}`;
}

/**
 * A dependency on a feature the task's feature depends on is implied (import links a feature's first
 * tasks to them again), so it is left out: written as a number, it could name a sibling subtask.
 */
function implied(dep: string, feature: Feature, tasks: readonly Task[]): boolean {
  const target = tasks.find((t) => t.id === dep)?.featureId;
  return target !== undefined && feature.dependsOn.includes(target);
}

function subtasksOf(tasks: readonly Task[], feature: Feature): Record<string, unknown>[] {
  const featureId = feature.id;
  return tasks
    .filter((t) => t.featureId === featureId && !t.id.endsWith(".task"))
    .map((t, index) => {
      const own = /\.(\d+)$/.exec(t.id)?.[1];
      const { description, details } = splitDetails(t.description);
      return {
        id: own ? Number(own) : index + 1,
        title: t.title,
        description: description.trim() || t.title,
        details,
        status: TASK_TO_TM[t.status],
        dependencies: t.dependsOn
          .filter((d) => !implied(d, feature, tasks))
          .map((d) => tmDependency(d, featureId))
          .filter((d) => d !== undefined),
        ...(t.acceptance.length ? { testStrategy: t.acceptance.join("\n") } : {}),
      };
    });
}

/** The "2.3" dependencies of a task without subtasks: on other tasks' subtasks, as Taskmaster writes them. */
function onSubtasks(own: Task | undefined, feature: Feature, tasks: readonly Task[]): string[] {
  return (own?.dependsOn ?? [])
    .filter((d) => !implied(d, feature, tasks))
    .map((d) => tmDependency(d, feature.id))
    .filter((d): d is string => typeof d === "string");
}

function toTm(placed: Placed, all: readonly Placed[], tasks: readonly Task[]): Record<string, unknown> {
  const { feature } = placed;
  const own = tasks.find((t) => t.id === `${feature.id}.task`);
  const split = splitDetails(feature.description);
  const onTasks = feature.dependsOn.map((d) => all.find((p) => p.feature.id === d)?.id).filter((d): d is number => d !== undefined);
  return {
    id: placed.id,
    title: feature.name,
    // tm-core's TaskEntity refuses a task whose description is empty: the title stands in.
    description: (own ? splitDetails(own.description).description : split.description).trim() || feature.name,
    details: own ? splitDetails(own.description).details : split.details,
    testStrategy: feature.acceptance.join("\n"),
    status: tmStatus(feature),
    priority: feature.priority,
    dependencies: [...onTasks, ...onSubtasks(own, feature, tasks)],
    subtasks: subtasksOf(tasks, feature),
  };
}

export interface ExportResult {
  file: string;
  tasks: number;
  tags: string[];
}

export async function exportTaskmaster(paths: ProjectPaths, target?: string): Promise<ExportResult> {
  const registry = await loadRegistry(paths);
  const { tasks } = await loadTasks(paths);
  const file = target ?? join(paths.root, TASKMASTER_FILES[0] as string);
  const shownAs = displayPath(paths, file);
  // Other tags in an existing file are Taskmaster's to keep; the older untagged form is replaced.
  const existing = existsSync(file) ? parseJson(readSource(paths.root, file), shownAs) : {};
  const out: Record<string, unknown> =
    existing && typeof existing === "object" && !Array.isArray(existing) && !("tasks" in existing) ? { ...existing } : {};
  const placed = place(registry.features);
  const now = new Date().toISOString();
  const tags = [...new Set(placed.map((p) => p.tag))];
  for (const tag of tags) {
    const list = placed.filter((p) => p.tag === tag).map((p) => toTm(p, placed, tasks));
    out[tag] = { tasks: list, metadata: { created: now, updated: now, description: `Exported by BuildRunner from ${registry.project}` } };
  }
  writeFileAtomic(file, `${maskedJson(out, { shapesOnly: true }).text}\n`);
  return { file: shownAs, tasks: placed.length, tags };
}
