/**
 * `br telemetry report`: the user's own analytics from the stored events and the run journal.
 * Tasks done per day, first-attempt pass rate by step and by task kind, cost per done task over
 * time, time to done, the commonest rejection reasons (by class, never their text) and gate trends.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb } from "../infra/state-db.js";
import { sanitize } from "./schema.js";
import type { TelemetryEvent } from "./store.js";

export interface Rate {
  name: string;
  tasks: number;
  firstAttempt: number;
  /** Share passed on the first attempt, 0..1. */
  rate: number;
}

export interface Report {
  schema: 1;
  generatedAt: string;
  days: { day: string; done: number; failed: number; costUsd: number; costPerDone: number | null }[];
  firstAttempt: { byStep: Rate[]; byKind: Rate[] };
  timeToDoneMs: { p50: number; p90: number; tasks: number };
  rejections: { reason: string; count: number }[];
  gates: { gate: string; points: { at: string; value: number; passed: boolean }[] }[];
}

type Finished = { at: string; kind: string; tier: string; attempts: number; outcome: string; costUsd: number; durationMs: number };

const num = (v: unknown) => (typeof v === "number" ? v : 0);
const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);

function finishedTasks(events: readonly TelemetryEvent[]): Finished[] {
  return events
    .filter((e) => e.kind === "task.finished")
    .map((e) => ({
      at: e.at,
      kind: str(e.data.kind, "unknown"),
      tier: str(e.data.tier, "unknown"),
      attempts: num(e.data.attempts),
      outcome: str(e.data.outcome, "unknown"),
      costUsd: num(e.data.costUsd),
      durationMs: num(e.data.durationMs),
    }));
}

function perDay(tasks: readonly Finished[]): Report["days"] {
  const days = new Map<string, { done: number; failed: number; costUsd: number }>();
  for (const t of tasks) {
    const day = days.get(t.at.slice(0, 10)) ?? { done: 0, failed: 0, costUsd: 0 };
    if (t.outcome === "done") day.done++;
    if (t.outcome === "failed") day.failed++;
    day.costUsd += t.costUsd;
    days.set(t.at.slice(0, 10), day);
  }
  return [...days]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, d]) => ({ day, ...d, costUsd: round(d.costUsd), costPerDone: d.done ? round(d.costUsd / d.done) : null }));
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** First-attempt pass rate grouped by a key, over tasks that ended done or failed. */
function rates(tasks: readonly Finished[], key: (t: Finished) => string): Rate[] {
  const groups = new Map<string, { tasks: number; firstAttempt: number }>();
  for (const t of tasks.filter((x) => x.outcome === "done" || x.outcome === "failed")) {
    const g = groups.get(key(t)) ?? { tasks: 0, firstAttempt: 0 };
    g.tasks++;
    if (t.outcome === "done" && t.attempts === 1) g.firstAttempt++;
    groups.set(key(t), g);
  }
  return [...groups]
    .map(([name, g]) => ({ name, ...g, rate: Math.round((1000 * g.firstAttempt) / g.tasks) / 1000 }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number) : 0;
}

function gateTrends(events: readonly TelemetryEvent[]): Report["gates"] {
  const gates = new Map<string, Report["gates"][number]["points"]>();
  for (const e of events.filter((x) => x.kind === "gate.result" && typeof x.data.gate === "string")) {
    const points = gates.get(e.data.gate as string) ?? [];
    points.push({ at: e.at, value: num(e.data.value), passed: e.data.passed === true });
    gates.set(e.data.gate as string, points);
  }
  return [...gates].map(([gate, points]) => ({ gate, points })).sort((a, b) => a.gate.localeCompare(b.gate));
}

/**
 * A rejection's class: the words before its first colon ("tests failed", "security"), kept only when
 * they pass the telemetry identifier rule; anything else (a path, a message) is "other".
 */
export function reasonClass(reason: string | null): string {
  const head =
    (reason ?? "")
      .split(/[:;(\n]/)[0]
      ?.trim()
      .toLowerCase()
      .replace(/\s+/g, " ") ?? "";
  const kept = sanitize("error", { class: head }).class;
  return typeof kept === "string" ? kept : "other";
}

function rejections(paths: ProjectPaths): Report["rejections"] {
  if (!existsSync(join(paths.state, "state.db"))) return [];
  const db = openStateDb(paths);
  try {
    const rows = db.prepare("SELECT reason FROM attempts WHERE outcome = 'failed'").all() as { reason: string | null }[];
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(reasonClass(r.reason), (counts.get(reasonClass(r.reason)) ?? 0) + 1);
    return [...counts]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
      .slice(0, 10);
  } finally {
    db.close();
  }
}

export function buildReport(paths: ProjectPaths, events: readonly TelemetryEvent[], now = new Date()): Report {
  const tasks = finishedTasks(events);
  const durations = tasks
    .filter((t) => t.outcome === "done")
    .map((t) => t.durationMs)
    .sort((a, b) => a - b);
  return {
    schema: 1,
    generatedAt: now.toISOString(),
    days: perDay(tasks),
    firstAttempt: { byStep: rates(tasks, (t) => t.tier), byKind: rates(tasks, (t) => t.kind) },
    timeToDoneMs: { p50: percentile(durations, 0.5), p90: percentile(durations, 0.9), tasks: durations.length },
    rejections: rejections(paths),
    gates: gateTrends(events),
  };
}
