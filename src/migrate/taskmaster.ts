/**
 * Taskmaster's `.taskmaster/tasks/tasks.json`: the tagged form `{ "<tag>": { "tasks": [...],
 * "metadata": {...} } }` and the older `{ "tasks": [...] }`. Each top-level task becomes a feature
 * (`tm-12`, or `tm-<tag>-12` outside the master tag) and each subtask a task of it (`tm-12.3`); a
 * task without subtasks gets one task (`tm-12.task`). Ids come from Taskmaster's, so importing again
 * updates in place. Test strategies become acceptance criteria.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { usageError } from "../infra/errors.js";
import type { Complexity, TaskStatus } from "../plan/task.js";
import { type FeatureStatus, slugify } from "../registry/rules.js";
import {
  checkGraph,
  checkShape,
  cleanName,
  emptyPlan,
  linkAcrossFeatures,
  type MigrationPlan,
  mapPriority,
  mapStatus,
  noteMapping,
  parseJson,
  readSource,
  shown,
} from "./plan.js";

export const TASKMASTER_FILES = [join(".taskmaster", "tasks", "tasks.json"), join("tasks", "tasks.json")];

export function findTaskmasterFile(root: string): string | undefined {
  return TASKMASTER_FILES.map((f) => join(root, f)).find((f) => existsSync(f));
}

const id = z.union([z.int().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a task id such as 3 or "3.1"')]);

const subtaskSchema = z.looseObject({
  id,
  title: z.string().trim().min(1),
  description: z.string().optional(),
  details: z.string().optional(),
  testStrategy: z.string().optional(),
  status: z.string().optional(),
  dependencies: z.array(id).optional(),
});

const taskSchema = z.looseObject({
  id,
  title: z.string().trim().min(1),
  description: z.string().optional(),
  details: z.string().optional(),
  testStrategy: z.string().optional(),
  status: z.string().optional(),
  priority: z.string().nullable().optional(),
  dependencies: z.array(id).optional(),
  subtasks: z.array(subtaskSchema).optional(),
});

const listSchema = z.looseObject({ tasks: z.array(taskSchema) });

type TmTask = z.output<typeof taskSchema>;
type TmSubtask = z.output<typeof subtaskSchema>;

const FEATURE_STATUS: Record<string, FeatureStatus> = {
  pending: "planned",
  "in-progress": "in_progress",
  review: "testing",
  done: "complete",
  deferred: "blocked",
  cancelled: "blocked",
  blocked: "blocked",
};

const TASK_STATUS: Record<string, TaskStatus> = {
  pending: "pending",
  "in-progress": "pending",
  review: "done",
  done: "done",
  deferred: "pending",
  cancelled: "skipped",
  blocked: "pending",
};

/** Why a feature is blocked, for the statuses br has no word for (export reads it back). */
const REASONS: Record<string, string> = {
  deferred: "deferred in Taskmaster",
  cancelled: "cancelled in Taskmaster",
  blocked: "blocked in Taskmaster",
};

const DETAILS = "\n\nDetails:\n";

export function joinDetails(description: string | undefined, details: string | undefined): string {
  const d = description?.trim() ?? "";
  const more = details?.trim() ?? "";
  return more ? `${d}${DETAILS}${more}` : d;
}

export function splitDetails(text: string | undefined): { description: string; details: string } {
  const at = (text ?? "").indexOf(DETAILS);
  return at < 0
    ? { description: text ?? "", details: "" }
    : { description: (text ?? "").slice(0, at), details: (text ?? "").slice(at + DETAILS.length) };
}

/** The lists in the file, by tag: the tagged form, or the older single list as "master". */
function lists(data: unknown, name: string): [string, TmTask[]][] {
  if (data !== null && typeof data === "object" && Array.isArray((data as { tasks?: unknown }).tasks)) {
    return [["master", checkShape(listSchema, data, name).tasks]];
  }
  const tagged = checkShape(z.record(z.string(), listSchema), data, name);
  return Object.entries(tagged).map(([tag, list]) => [tag, list.tasks]);
}

function featureId(tag: string, taskId: string | number): string {
  const tagPart = tag === "master" ? "" : `${slugify(tag) || "tag"}-`;
  return `tm-${tagPart}${String(taskId)}`;
}

function subtaskDeps(sub: TmSubtask, task: TmTask, prefix: string): string[] {
  const siblings = new Set((task.subtasks ?? []).map((s) => String(s.id)));
  return (sub.dependencies ?? []).map((d) => {
    const text = String(d);
    if (text.includes(".")) {
      const [parent, child] = text.split(".");
      return `${featureId(prefix, parent as string)}.${child}`;
    }
    // A plain number names a sibling subtask; where there is none, the top-level task of that id.
    return siblings.has(text) ? `${featureId(prefix, task.id)}.${text}` : `${featureId(prefix, text)}.task`;
  });
}

function addTask(plan: MigrationPlan, task: TmTask, tag: string, place: string, name: string): void {
  const fid = featureId(tag, task.id);
  const raw = task.status ?? "pending";
  const status = mapStatus(FEATURE_STATUS, raw, name, `${place}.status`);
  noteMapping(plan, `task ${raw}`, status);
  const priority = mapPriority(task.priority ?? undefined, name, `${place}.priority`);
  const reason = REASONS[raw.trim().toLowerCase()];
  // With subtasks, the task's own details stay with the feature; without, they go to its one task.
  const described = joinDetails(task.description, task.subtasks?.length ? task.details : undefined);
  plan.features.push({
    id: fid,
    name: cleanName(task.title) || fid,
    ...(described ? { description: described } : {}),
    status,
    priority,
    dependsOn: (task.dependencies ?? []).map((d) => featureId(tag, d)),
    acceptance: task.testStrategy?.trim() ? [task.testStrategy.trim()] : [],
    ...(reason && status === "blocked" ? { blockedReason: reason } : {}),
    origin: `${place}.dependencies`,
  });
  const subtasks = task.subtasks ?? [];
  if (subtasks.length === 0) {
    const taskStatus = mapStatus(TASK_STATUS, raw, name, `${place}.status`);
    const description = joinDetails(task.description, task.details) || task.title;
    plan.tasks.push({
      id: `${fid}.task`,
      featureId: fid,
      title: task.title,
      description,
      status: taskStatus,
      dependsOn: [],
      priority,
      files: [],
      acceptance: task.testStrategy?.trim() ? [task.testStrategy.trim()] : [],
      origin: place,
    });
    return;
  }
  subtasks.forEach((sub, s) => {
    const subPlace = `${place}.subtasks[${s}]`;
    const subRaw = sub.status ?? "pending";
    const taskStatus = mapStatus(TASK_STATUS, subRaw, name, `${subPlace}.status`);
    noteMapping(plan, `subtask ${subRaw}`, taskStatus);
    const description = joinDetails(sub.description, sub.details) || sub.title;
    const acceptance = sub.testStrategy?.trim() ? [sub.testStrategy.trim()] : [];
    const deps = subtaskDeps(sub, task, tag);
    plan.tasks.push({
      id: `${fid}.${String(sub.id).split(".").at(-1)}`,
      featureId: fid,
      title: sub.title,
      description,
      status: taskStatus,
      dependsOn: deps,
      priority,
      files: [],
      acceptance,
      origin: `${subPlace}.dependencies`,
    });
  });
}

export function parseTaskmaster(text: string, name: string): MigrationPlan {
  const plan = emptyPlan("taskmaster");
  plan.read.push(name);
  const data = parseJson(text, name);
  const legacy = data !== null && typeof data === "object" && Array.isArray((data as { tasks?: unknown }).tasks);
  for (const [tag, tasks] of lists(data, name)) {
    const prefix = legacy ? "tasks" : `${JSON.stringify(tag)}.tasks`;
    for (const [index, task] of tasks.entries()) addTask(plan, task, tag, `${prefix}[${index}]`, name);
  }
  checkDuplicates(plan, name);
  checkGraph(plan, name);
  linkAcrossFeatures(plan);
  checkGraph(plan, name);
  return plan;
}

function checkDuplicates(plan: MigrationPlan, name: string): void {
  const seen = new Set<string>();
  for (const item of [...plan.features, ...plan.tasks]) {
    const place = `${item.origin.replace(/\.dependencies$/, "")}.id`;
    if (seen.has(item.id))
      throw usageError(`${name}: ${place} repeats an id used earlier.`, {
        file: name,
        place,
        fix: "Give every task (and every subtask within its task) its own id.",
      });
    seen.add(item.id);
  }
}

const REPORT = join(".taskmaster", "reports", "task-complexity-report.json");

const reportSchema = z.looseObject({
  complexityAnalysis: z.array(z.looseObject({ taskId: id, complexityScore: z.number().min(0).max(10) })),
});

/** Minutes of work for Taskmaster's 1–10 complexity score, in br's three classes. */
function rated(score: number): { complexity: Complexity; estimateMinutes: number } {
  if (score <= 3) return { complexity: "simple", estimateMinutes: 30 };
  if (score <= 7) return { complexity: "moderate", estimateMinutes: 60 };
  return { complexity: "complex", estimateMinutes: 120 };
}

/**
 * The complexity report (`task-master analyze-complexity`), when there is one, rates the master
 * tag's tasks: every br task of a rated Taskmaster task takes its class.
 */
function applyReport(plan: MigrationPlan, root: string): void {
  const path = join(root, REPORT);
  if (!existsSync(path)) return;
  const name = shown(root, path);
  const report = checkShape(reportSchema, parseJson(readSource(root, path), name), name);
  plan.read.push(name);
  for (const entry of report.complexityAnalysis) {
    const featureId = `tm-${String(entry.taskId)}`;
    for (const task of plan.tasks) if (task.featureId === featureId) Object.assign(task, rated(entry.complexityScore));
  }
}

export function readTaskmaster(root: string, path: string | undefined): MigrationPlan {
  // With no file found, reading the usual place reports it missing with its path.
  const file = path ?? findTaskmasterFile(root) ?? join(root, TASKMASTER_FILES[0] as string);
  const plan = parseTaskmaster(readSource(root, file), shown(root, file));
  applyReport(plan, root);
  return plan;
}
