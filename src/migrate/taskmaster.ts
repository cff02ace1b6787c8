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

/** Taskmaster writes null for an empty text field (its schemas make testStrategy and details nullable). */
const text = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

const subtaskSchema = z.looseObject({
  id,
  title: z.string().trim().min(1),
  description: text,
  details: text,
  testStrategy: text,
  status: z.string().optional(),
  dependencies: z.array(id).optional(),
});

const taskSchema = z.looseObject({
  id,
  title: z.string().trim().min(1),
  description: text,
  details: text,
  testStrategy: text,
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
  completed: "complete",
  deferred: "blocked",
  cancelled: "blocked",
  blocked: "blocked",
};

const TASK_STATUS: Record<string, TaskStatus> = {
  pending: "pending",
  "in-progress": "pending",
  review: "done",
  done: "done",
  completed: "done",
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

/**
 * A task's dependencies: plain ids name other tasks (features); a "2.3" names a subtask, which
 * Taskmaster allows too (`add-dependency --id=4 --depends-on=2.3`), so the feature's first tasks wait for it.
 */
function taskDeps(task: TmTask, tag: string): { features: string[]; tasks: string[] } {
  const all = (task.dependencies ?? []).map(String);
  return {
    features: all.filter((d) => !d.includes(".")).map((d) => featureId(tag, d)),
    tasks: all
      .filter((d) => d.includes("."))
      .map((d) => {
        const [parent, child] = d.split(".");
        return `${featureId(tag, parent as string)}.${child}`;
      }),
  };
}

function addTask(plan: MigrationPlan, task: TmTask, tag: string, place: string, name: string): void {
  const fid = featureId(tag, task.id);
  const deps = taskDeps(task, tag);
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
    dependsOn: deps.features,
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
      dependsOn: deps.tasks,
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
    const own = subtaskDeps(sub, task, tag);
    // A subtask that waits for no sibling is one of the feature's first: it takes the task's "2.3" dependencies.
    const entry = !own.some((d) => d.startsWith(`${fid}.`));
    plan.tasks.push({
      id: `${fid}.${String(sub.id).split(".").at(-1)}`,
      featureId: fid,
      title: sub.title,
      description,
      status: taskStatus,
      dependsOn: entry ? [...new Set([...own, ...deps.tasks])] : own,
      priority,
      files: [],
      acceptance,
      origin: `${subPlace}.dependencies`,
    });
  });
}

export function parseTaskmaster(text: string, name: string): MigrationPlan {
  return parseTagged(text, name).plan;
}

/** The plan and the tags it came from (each tag has its own complexity report). */
function parseTagged(text: string, name: string): { plan: MigrationPlan; tags: string[] } {
  const plan = emptyPlan("taskmaster");
  plan.read.push(name);
  const data = parseJson(text, name);
  const legacy = data !== null && typeof data === "object" && Array.isArray((data as { tasks?: unknown }).tasks);
  const tagged = lists(data, name);
  for (const [tag, tasks] of tagged) {
    const prefix = legacy ? "tasks" : `${JSON.stringify(tag)}.tasks`;
    for (const [index, task] of tasks.entries()) addTask(plan, task, tag, `${prefix}[${index}]`, name);
  }
  checkDuplicates(plan, name);
  checkGraph(plan, name);
  linkAcrossFeatures(plan);
  checkGraph(plan, name);
  return { plan, tags: tagged.map(([tag]) => tag) };
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

const REPORTS = join(".taskmaster", "reports");

/**
 * The complexity report of a tag: `task-complexity-report.json` for master,
 * `task-complexity-report_<tag>.json` for the others (tm-core uses the tag as it is, the older CLI
 * a slug of it: lower case, other characters as "-").
 */
function reportPaths(root: string, tag: string): string[] {
  // The older layout kept master's report in scripts/.
  if (tag === "master") return [join(root, REPORTS, "task-complexity-report.json"), join(root, "scripts", "task-complexity-report.json")];
  const slug = tag
    .replace(/[^a-zA-Z0-9_-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/-+/g, "-")
    .toLowerCase()
    .slice(0, 50);
  return [...new Set([tag, slug])].map((t) => join(root, REPORTS, `task-complexity-report_${t}.json`));
}

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
 * A tag's complexity report (`task-master analyze-complexity [--tag]`), when there is one, rates
 * that tag's tasks: every br task of a rated Taskmaster task takes its class.
 */
function applyReport(plan: MigrationPlan, root: string, tag: string): void {
  const path = reportPaths(root, tag).find((p) => existsSync(p));
  if (!path) return;
  const name = shown(root, path);
  const report = checkShape(reportSchema, parseJson(readSource(root, path), name), name);
  plan.read.push(name);
  for (const entry of report.complexityAnalysis) {
    const ratedId = featureId(tag, entry.taskId);
    for (const task of plan.tasks) if (task.featureId === ratedId) Object.assign(task, rated(entry.complexityScore));
  }
}

export function readTaskmaster(root: string, path: string | undefined): MigrationPlan {
  // With no file found, reading the usual place reports it missing with its path.
  const file = path ?? findTaskmasterFile(root) ?? join(root, TASKMASTER_FILES[0] as string);
  const { plan, tags } = parseTagged(readSource(root, file), shown(root, file));
  for (const tag of tags) applyReport(plan, root, tag);
  return plan;
}
