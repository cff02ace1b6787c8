/**
 * What the MCP tools answer with: small, stable shapes. A model pays for every token of a tool's
 * answer, so lists hold summaries, long text is cut with a note saying so, and nothing grows with
 * the size of the plan unless the caller pages through it.
 */
import type { Task } from "../plan/task.js";
import type { AttemptRow } from "../run/journal.js";
import type { CheckResult, Verification } from "../run/verify.js";

/** Cuts text to `max` characters, saying how much was left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Keeps the end of text (where a failing check says why), saying how much was left out. */
export function clipStart(text: string, max: number): string {
  if (text.length <= max) return text;
  return `(${text.length - max} characters before) …${text.slice(-max)}`;
}

/** The first `max` items, and how many more there were. */
export function firstOf<T>(items: readonly T[], max: number): { items: T[]; more?: number } {
  return items.length <= max ? { items: [...items] } : { items: items.slice(0, max), more: items.length - max };
}

export interface TaskSummary {
  id: string;
  status: string;
  title: string;
  feature: string;
}

export function taskSummary(task: Task): TaskSummary {
  return { id: task.id, status: task.status, title: clip(task.title, 120), feature: task.featureId };
}

export function taskDetail(task: Task, waitingOn: readonly string[] = []): Record<string, unknown> {
  const files = firstOf(task.files, 30);
  const acceptance = firstOf(task.acceptance, 20);
  return {
    ...taskSummary(task),
    priority: task.priority,
    complexity: task.complexity,
    estimateMinutes: task.estimateMinutes,
    dependsOn: task.dependsOn.slice(0, 30),
    ...(waitingOn.length > 0 ? { waitingOn: waitingOn.slice(0, 30) } : {}),
    files: files.items,
    ...(files.more ? { moreFiles: files.more } : {}),
    acceptance: acceptance.items.map((a) => clip(a, 300)),
    ...(acceptance.more ? { moreAcceptance: acceptance.more } : {}),
    description: clip(task.description, 4000),
    ...(task.failureReason ? { failureReason: clip(task.failureReason, 600) } : {}),
  };
}

/** A check; the output only of the first that failed (what to fix first), its last lines. */
function checkView(check: CheckResult, withOutput: boolean): Record<string, unknown> {
  return {
    name: check.name,
    command: clip(check.command, 200),
    passed: check.passed,
    ...(withOutput ? { output: clipStart(check.output, 2000) } : {}),
  };
}

/** A verification as an agent needs it: whether it passed, why not, and the failing check's last lines. */
export function verificationView(verification: Verification): Record<string, unknown> {
  const changed = firstOf(verification.changedFiles, 40);
  return {
    passed: verification.passed,
    ...(verification.reason ? { reason: clip(verification.reason, 1500) } : {}),
    changedFiles: changed.items,
    ...(changed.more ? { moreChangedFiles: changed.more } : {}),
    checks: verification.checks.slice(0, 12).map((c) => checkView(c, c === verification.checks.find((f) => !f.passed))),
    ...(verification.violations.length > 0 ? { violations: verification.violations.slice(0, 10).map((v) => clip(v.message, 400)) } : {}),
  };
}

export function attemptView(row: AttemptRow): Record<string, unknown> {
  return {
    task: row.task_id,
    attempt: row.attempt,
    outcome: row.outcome,
    ...(row.reason ? { reason: clip(row.reason, 200) } : {}),
    executor: row.executor,
    ...(row.model ? { model: row.model } : {}),
    costUsd: Math.round(row.cost_usd * 10000) / 10000,
    startedAt: row.started_at,
    ...(row.machine ? { machine: row.machine } : {}),
  };
}
