/**
 * The neutral plan every source format is read into (features, tasks, settings), and the checks
 * every reader shares: size limit, JSON with its place, known statuses, dependencies that name
 * something, no cycle. A reader throws a usage error (exit 2) before anything is written.
 */
import { statSync } from "node:fs";
import { basename, relative } from "node:path";
import type * as z from "zod";
import { usageError } from "../infra/errors.js";
import { formatPath, lineAndColumn, problemsFrom, readText } from "../infra/validation.js";
import { findCycle } from "../plan/graph.js";
import type { Complexity, TaskStatus } from "../plan/task.js";
import { type FeatureStatus, findDependencyCycle, type Priority, slugify } from "../registry/rules.js";

export type SourceKind = "v2" | "br3-python" | "taskmaster" | "speckit";

export interface PlanFeature {
  id: string;
  name: string;
  description?: string;
  status: FeatureStatus;
  priority: Priority;
  dependsOn: string[];
  acceptance: string[];
  files?: string[];
  blockedReason?: string;
  /** Where it came from in the source (`tasks[3]`), for messages. */
  origin: string;
}

export interface PlanTask {
  id: string;
  featureId: string;
  title: string;
  description: string;
  status: TaskStatus;
  dependsOn: string[];
  priority: Priority;
  files: string[];
  acceptance: string[];
  /** From a source that rates tasks (Taskmaster's complexity report); br's defaults otherwise. */
  complexity?: Complexity;
  estimateMinutes?: number;
  origin: string;
}

/** One source status and what it became. */
export interface StatusMapping {
  from: string;
  to: string;
  count: number;
}

/** A source setting carried into config.yaml (`key` is dotted). */
export interface ConfigSetting {
  key: string;
  value: string | number | boolean;
  from: string;
}

/** A source setting with no meaning in br, and why. */
export interface NotCarried {
  setting: string;
  why: string;
}

export interface MigrationPlan {
  source: SourceKind;
  /** The files read, relative to the project root. */
  read: string[];
  project?: string;
  description?: string;
  features: PlanFeature[];
  tasks: PlanTask[];
  statusMapping: StatusMapping[];
  config: ConfigSetting[];
  notCarried: NotCarried[];
  /** Things worth telling the user (a progress figure that disagrees with the steps, …). */
  notes: string[];
}

export function emptyPlan(source: SourceKind): MigrationPlan {
  return { source, read: [], features: [], tasks: [], statusMapping: [], config: [], notCarried: [], notes: [] };
}

/** Source files larger than this are refused rather than read into memory. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

/** Names of files that hold secrets: never read, whatever path a user passes. */
const SECRET_FILE = /^(\.env(\..*)?|.*\.(pem|key|p12|pfx)|id_(rsa|dsa|ecdsa|ed25519)(\.pub)?|\.npmrc|\.netrc|credentials(\.json)?)$/i;

/** The path as shown in messages: relative to the project root. */
export function shown(root: string, path: string): string {
  return relative(root, path) || path;
}

/** Reads a source file: never a secret file, never one over the size limit. */
export function readSource(root: string, path: string): string {
  const name = shown(root, path);
  if (SECRET_FILE.test(basename(path))) {
    throw usageError(`${name} is a secret file; br never reads it.`, { file: name, fix: "Point br at the plan file itself." });
  }
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw usageError(`${name} does not exist.`, { file: name, fix: "Give the path of an existing file." });
  }
  if (size > MAX_SOURCE_BYTES) {
    throw usageError(`${name} is ${(size / 1048576).toFixed(1)} MiB, over the ${MAX_SOURCE_BYTES / 1048576} MiB limit for a plan file.`, {
      file: name,
      fix: "Check that this is the right file; a plan this large is likely generated or damaged. Split it or trim it first.",
    });
  }
  return readText(path);
}

/** The place of a JSON syntax error, from the engine's own message (line and column when it gives them). */
function syntaxPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const position = /position (\d+)/.exec(message);
  if (position) return lineAndColumn(text, Number(position[1]));
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return `line ${lineCol[1]}, column ${lineCol[2]}`;
  return lineAndColumn(text, text.trimEnd().length);
}

export function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const place = syntaxPlace(text, error);
    const cut = /end of JSON|Unterminated/i.test(error instanceof Error ? error.message : "");
    throw usageError(`${name} is ${cut ? "cut off: the JSON ends too early (truncated?)" : "not valid JSON"}.`, {
      file: name,
      place,
      fix: `Repair the JSON at ${place} (or restore the file from git), then run again.`,
    });
  }
}

/** Checks data against a reader's schema; the first problem becomes the usage error. */
export function checkShape<S extends z.ZodType>(schema: S, data: unknown, name: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const [problem] = problemsFrom(result.error, data);
  const place = formatPath(problem?.path ?? []);
  throw usageError(`${name}: ${place} ${problem?.message ?? "is invalid"}.`, {
    file: name,
    place,
    fix: `Correct ${place} in ${name}, then run again.`,
  });
}

/** A source status through a reader's table; an unknown one is refused with the known ones. */
export function mapStatus<T extends string>(table: Record<string, T>, raw: string, name: string, place: string): T {
  const key = raw.trim().toLowerCase();
  const mapped = Object.hasOwn(table, key) ? table[key] : undefined;
  if (mapped !== undefined) return mapped;
  throw usageError(`${name}: ${place} has the unknown status "${raw}".`, {
    file: name,
    place,
    fix: `Use one of: ${Object.keys(table).join(", ")}.`,
  });
}

/** Counts each source status and what it became, for the printed mapping. */
export function noteMapping(plan: MigrationPlan, from: string, to: string): void {
  const entry = plan.statusMapping.find((m) => m.from === from && m.to === to);
  if (entry) entry.count++;
  else plan.statusMapping.push({ from, to, count: 1 });
}

/** A name as the registry takes it: one line, no control characters, at most 200 characters. */
export function cleanName(raw: string): string {
  const one = raw.replace(/[\p{Cc}\s]+/gu, " ").trim();
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}

/** A unique slug id for a name among those taken (`checkout`, `checkout-2`). */
export function uniqueId(name: string, taken: Set<string>, fallback: string): string {
  const base = slugify(name) || fallback;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

const PRIORITY_WORDS: Record<string, Priority> = {
  critical: "critical",
  urgent: "critical",
  p0: "critical",
  high: "high",
  p1: "high",
  medium: "medium",
  normal: "medium",
  p2: "medium",
  low: "low",
  p3: "low",
};

export function mapPriority(raw: unknown, name: string, place: string): Priority {
  if (raw === undefined || raw === null || raw === "") return "medium";
  return mapStatus(PRIORITY_WORDS, String(raw), name, place);
}

/** Every dependency names something in the plan, and there is no cycle; else the usage error with its place. */
export function checkGraph(plan: MigrationPlan, name: string): void {
  const features = new Set(plan.features.map((f) => f.id));
  const tasks = new Set(plan.tasks.map((t) => t.id));
  for (const item of [...plan.features, ...plan.tasks]) {
    const known = "featureId" in item ? tasks : features;
    const missing = item.dependsOn.find((d) => !known.has(d));
    if (missing !== undefined) {
      throw usageError(`${name}: ${item.origin} depends on "${missing}", which is not in the plan.`, {
        file: name,
        place: item.origin,
        fix: "Remove the dependency or add what it names, then run again.",
      });
    }
  }
  const cycle = findDependencyCycle(plan.features as never) ?? findCycle(plan.tasks);
  if (cycle) {
    const first = [...plan.features, ...plan.tasks].find((i) => i.id === cycle[0]);
    throw usageError(`${name}: the dependencies form a cycle: ${cycle.join(" → ")}.`, {
      file: name,
      place: first?.origin ?? "(dependencies)",
      fix: "Remove one of these dependencies, then run again.",
    });
  }
}

/** The tasks of a feature that no other task of it depends on: what a dependent feature waits for. */
export function lastTasks(tasks: readonly PlanTask[], featureId: string): string[] {
  const own = tasks.filter((t) => t.featureId === featureId);
  const depended = new Set(own.flatMap((t) => t.dependsOn));
  return own.filter((t) => !depended.has(t.id)).map((t) => t.id);
}

/**
 * Links features' tasks the way `br tasks generate` does: a task with no dependency inside its
 * feature waits for the last tasks of the features its feature depends on.
 */
export function linkAcrossFeatures(plan: MigrationPlan): void {
  const byFeature = new Map(plan.features.map((f) => [f.id, f]));
  const sinks = new Map(plan.features.map((f) => [f.id, lastTasks(plan.tasks, f.id)]));
  for (const task of plan.tasks) {
    const inside = task.dependsOn.some((d) => plan.tasks.find((t) => t.id === d)?.featureId === task.featureId);
    if (inside) continue;
    for (const dep of byFeature.get(task.featureId)?.dependsOn ?? []) {
      for (const sink of sinks.get(dep) ?? []) if (!task.dependsOn.includes(sink)) task.dependsOn.push(sink);
    }
  }
}

/** A feature's status from its tasks' statuses: all done → complete, some → in_progress, none → planned. */
export function statusFromTasks(statuses: readonly TaskStatus[]): FeatureStatus {
  const done = statuses.filter((s) => s === "done" || s === "skipped").length;
  if (statuses.length > 0 && done === statuses.length) return "complete";
  return done > 0 ? "in_progress" : "planned";
}
