/**
 * What the dashboard shows, read from where br keeps it: the plan and the registry (the main
 * checkout's .buildrunner/), and the state database (runs, attempts, streams, gate history, the
 * last security check). The same reading serves a live run, a parallel one, and one long over.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../infra/config.js";
import { isAlive } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb, type StateDb } from "../infra/state-db.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { qualityHistory } from "../quality/check.js";
import { loadRegistry } from "../registry/store.js";
import { summarize } from "../registry/summary.js";
import { modelStats } from "../routing/stats.js";
import { isPaused, MAIN_STREAM, stopReason } from "../run/control.js";

export const BOARD_COLUMNS = ["pending", "ready", "running", "verifying", "done", "failed", "blocked"] as const;
export type BoardColumn = (typeof BOARD_COLUMNS)[number];

/** An attempt still running whose heartbeat is older than this belongs to a br that is gone. */
const STALE_HEARTBEAT_MS = 10_000;

export interface RunningAttempt {
  id: number;
  taskId: string;
  attempt: number;
  model: string | null;
  tier: string | null;
  startedAt: string;
  /** The agent has finished and br is checking its work. */
  verifying: boolean;
  stale: boolean;
  stream: string;
}

export interface StreamView {
  name: string;
  status: string;
  paused: boolean;
  port: number | null;
  branch: string | null;
  lastResult: string | null;
  attempt: RunningAttempt | null;
}

export interface TaskCard {
  id: string;
  title: string;
  featureId: string;
  attempts: number;
  lastOutcome: string | null;
  reason: string | null;
}

export interface RunView {
  id: number;
  outcome: string;
  startedAt: string;
  finishedAt: string | null;
  live: boolean;
  parallel: number | null;
  maxCost: number | null;
  spentUsd: number;
  stopRequested: string | null;
}

export interface DashboardState {
  project: string;
  run: RunView | null;
  streams: StreamView[];
  board: Record<BoardColumn, TaskCard[]>;
  features: { id: string; name: string; status: string }[];
  progress: { completion: number; counts: Record<string, number>; tasksDone: number; tasks: number };
  cost: ReturnType<typeof costView>;
  quality: { at: string; score: number; passed: boolean }[];
  gates: { name: string; passed: boolean; value: unknown; threshold: unknown }[];
  security: SecurityView | null;
  problems: string[];
}

export interface SecurityView {
  at: string;
  total: number;
  bySeverity: Record<string, number>;
  findings: { rule: string; file: string; line: number; severity: string; match: string }[];
}

interface AttemptSummaryRow {
  id: number;
  task_id: string;
  attempt: number;
  model: string | null;
  tier: string | null;
  started_at: string;
  outcome: string;
  reason: string | null;
  changed_files: string | null;
  heartbeat_ms: number | null;
  stream: string | null;
}

/** The state database, opened once it exists; the dashboard never creates it. */
export class StateReader {
  private db: StateDb | undefined;
  private version = -1;

  constructor(private readonly paths: ProjectPaths) {}

  get(): StateDb | undefined {
    if (!this.db && existsSync(join(this.paths.state, "state.db"))) this.db = openStateDb(this.paths);
    return this.db;
  }

  /** Whether another connection has written since the last call (SQLite's data_version). */
  changed(): boolean {
    const db = this.get();
    if (!db) return false;
    const version = Number((db.prepare("PRAGMA data_version").get() as { data_version: number }).data_version);
    const changed = version !== this.version;
    this.version = version;
    return changed;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

export async function readState(paths: ProjectPaths, config: Config, reader: StateReader): Promise<DashboardState> {
  const problems: string[] = [];
  const tasks = await safely(problems, async () => (await loadTasks(paths)).tasks, [] as Task[]);
  const registry = await safely(problems, () => loadRegistry(paths), { project: "", features: [] } as never);
  const db = reader.get();
  const attempts = db ? latestAttempts(db) : [];
  const running = runningAttempts(attempts);
  const run = db ? latestRun(db, paths) : null;
  const summary = summarize(registry);
  return {
    project: summary.project,
    run,
    streams: db ? streamViews(db, paths, running, run) : [],
    board: board(tasks, attempts, running),
    features: registry.features.map((f) => ({ id: f.id, name: f.name, status: f.status })),
    progress: {
      completion: summary.completion,
      counts: summary.counts,
      tasksDone: tasks.filter((t) => t.status === "done").length,
      tasks: tasks.length,
    },
    cost: costView(paths, config, db),
    ...qualityView(paths, db),
    security: db ? securityView(db) : null,
    problems,
  };
}

async function safely<T>(problems: string[], read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    problems.push((error as Error).message);
    return fallback;
  }
}

/** Every task's latest attempt and its count, plus every attempt still running. */
function latestAttempts(db: StateDb): (AttemptSummaryRow & { count: number })[] {
  return db
    .prepare(
      `SELECT a.id, a.task_id, a.attempt, a.model, a.tier, a.started_at, a.outcome, a.reason, a.changed_files,
              a.heartbeat_ms, a.stream, c.count
         FROM attempts a JOIN (SELECT task_id, MAX(id) AS last, COUNT(*) AS count FROM attempts GROUP BY task_id) c
           ON a.id = c.last OR (a.task_id = c.task_id AND a.outcome = 'running')`,
    )
    .all() as unknown as (AttemptSummaryRow & { count: number })[];
}

function runningAttempts(rows: readonly AttemptSummaryRow[]): Map<string, RunningAttempt> {
  const running = new Map<string, RunningAttempt>();
  for (const row of rows) {
    if (row.outcome !== "running") continue;
    running.set(row.task_id, {
      id: row.id,
      taskId: row.task_id,
      attempt: row.attempt,
      model: row.model,
      tier: row.tier,
      startedAt: row.started_at,
      verifying: row.changed_files !== null,
      stale: row.heartbeat_ms === null || Date.now() - row.heartbeat_ms > STALE_HEARTBEAT_MS,
      stream: row.stream ?? MAIN_STREAM,
    });
  }
  return running;
}

function latestRun(db: StateDb, paths: ProjectPaths): RunView | null {
  const row = db.prepare("SELECT id, started_at, finished_at, pid, options, outcome FROM runs ORDER BY id DESC LIMIT 1").get() as
    | { id: number; started_at: string; finished_at: string | null; pid: number; options: string; outcome: string }
    | undefined;
  if (!row) return null;
  const options = parseJson(row.options) as { parallel?: number; maxCost?: number };
  const spent = db.prepare("SELECT TOTAL(cost_usd) AS cost FROM attempts WHERE run_id = ?").get(row.id) as { cost: number };
  return {
    id: row.id,
    outcome: row.outcome,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    live: row.outcome === "running" && isAlive(row.pid),
    parallel: typeof options.parallel === "number" ? options.parallel : null,
    maxCost: typeof options.maxCost === "number" ? options.maxCost : null,
    spentUsd: round(spent.cost),
    stopRequested: stopReason(paths.state, row.id) ?? null,
  };
}

function streamViews(db: StateDb, paths: ProjectPaths, running: Map<string, RunningAttempt>, run: RunView | null): StreamView[] {
  const byStream = new Map([...running.values()].map((a) => [a.stream, a]));
  const rows = db.prepare("SELECT name, status, port, branch, last_result FROM streams ORDER BY name").all() as {
    name: string;
    status: string;
    port: number;
    branch: string;
    last_result: string | null;
  }[];
  const views: StreamView[] = rows.map((r) => ({
    name: r.name,
    status: r.status,
    paused: isPaused(paths.state, r.name),
    port: r.port,
    branch: r.branch,
    lastResult: r.last_result,
    attempt: byStream.get(r.name) ?? null,
  }));
  // A sequential run works in the main checkout: shown as the one stream "main" while it runs.
  const main = byStream.get(MAIN_STREAM);
  if (main || (run?.live && run.parallel === null)) {
    views.unshift({
      name: MAIN_STREAM,
      status: main ? "working" : "idle",
      paused: isPaused(paths.state, MAIN_STREAM),
      port: null,
      branch: null,
      lastResult: null,
      attempt: main ?? null,
    });
  }
  return views;
}

function board(tasks: readonly Task[], attempts: readonly (AttemptSummaryRow & { count: number })[], running: Map<string, RunningAttempt>) {
  const columns = Object.fromEntries(BOARD_COLUMNS.map((c) => [c, [] as TaskCard[]])) as Record<BoardColumn, TaskCard[]>;
  const latest = new Map([...attempts].sort((a, b) => a.id - b.id).map((a) => [a.task_id, a]));
  for (const task of tasks) {
    const last = latest.get(task.id);
    columns[columnOf(task, running)].push({
      id: task.id,
      title: task.title,
      featureId: task.featureId,
      attempts: last?.count ?? 0,
      lastOutcome: last?.outcome ?? null,
      reason: task.failureReason ?? (last?.outcome === "failed" ? last.reason : null),
    });
  }
  return columns;
}

function columnOf(task: Task, running: Map<string, RunningAttempt>): BoardColumn {
  if (task.status === "running") return running.get(task.id)?.verifying ? "verifying" : "running";
  if (task.status === "skipped") return "done";
  return task.status;
}

/** Spend over time (cumulative, at most 200 points), by model, tier and feature, and the budget left. */
function costView(paths: ProjectPaths, config: Config, db: StateDb | undefined) {
  const stats = modelStats(paths, config);
  const points = db
    ? (db.prepare("SELECT finished_at AS at, cost_usd AS cost FROM attempts WHERE outcome != 'running' ORDER BY finished_at").all() as {
        at: string;
        cost: number;
      }[])
    : [];
  let total = 0;
  const cumulative = points.map((p) => {
    total += p.cost;
    return { at: p.at, total: round(total) };
  });
  const step = Math.max(1, Math.ceil(cumulative.length / 200));
  return {
    totalUsd: stats.costUsd,
    calls: stats.calls,
    overTime: cumulative.filter((_, i) => i % step === 0 || i === cumulative.length - 1),
    byModel: stats.byModel,
    byTier: stats.byTier,
    byFeature: stats.byFeature,
    maxTaskCost: config.run.maxTaskCost ?? null,
    saving: stats.saving,
  };
}

function qualityView(paths: ProjectPaths, db: StateDb | undefined): Pick<DashboardState, "quality" | "gates"> {
  if (!db) return { quality: [], gates: [] };
  const history = qualityHistory(paths, 60).reverse();
  return {
    quality: history.map((q) => ({ at: q.at, score: q.score, passed: q.passed })),
    gates: history.at(-1)?.gates ?? [],
  };
}

function securityView(db: StateDb): SecurityView | null {
  const row = db.prepare("SELECT at, data FROM events WHERE kind = 'security.check' ORDER BY id DESC LIMIT 1").get() as
    | { at: string; data: string }
    | undefined;
  if (!row) return null;
  return { at: row.at, ...(parseJson(row.data) as Omit<SecurityView, "at">) };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Whether any pause or stop request changed (files, not database rows). */
export function controlFiles(paths: ProjectPaths): string {
  const dir = join(paths.state, "streams");
  return existsSync(dir) ? readdirSync(dir).sort().join(",") : "";
}

export interface AttemptDetail {
  id: number;
  attempt: number;
  stream: string;
  model: string | null;
  tier: string | null;
  startedAt: string;
  durationMs: number | null;
  outcome: string;
  reason: string | null;
  costUsd: number;
  routeReason: string | null;
  /** The evidence: what verification ran and found (src/run/verify.ts). */
  verification: Record<string, unknown> | null;
}

/** One task's attempts, newest first, with the evidence that accepted or rejected each. */
export function taskAttempts(reader: StateReader, taskId: string): AttemptDetail[] {
  const db = reader.get();
  if (!db) return [];
  const rows = db
    .prepare(
      `SELECT id, attempt, stream, model, tier, started_at, duration_ms, outcome, reason, cost_usd, route_reason, verification
         FROM attempts WHERE task_id = ? ORDER BY id DESC LIMIT 50`,
    )
    .all(taskId) as {
    id: number;
    attempt: number;
    stream: string | null;
    model: string | null;
    tier: string | null;
    started_at: string;
    duration_ms: number | null;
    outcome: string;
    reason: string | null;
    cost_usd: number;
    route_reason: string | null;
    verification: string | null;
  }[];
  return rows.map((r) => ({
    id: r.id,
    attempt: r.attempt,
    stream: r.stream ?? MAIN_STREAM,
    model: r.model,
    tier: r.tier,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    outcome: r.outcome,
    reason: r.reason,
    costUsd: r.cost_usd,
    routeReason: r.route_reason,
    verification: r.verification ? parseJson(r.verification) : null,
  }));
}
