/**
 * `br model stats`: the cost ledger read back from the run journal (one row per executor call):
 * spend by model, tier and feature, success rate per tier, escalations, durations, and what
 * routing saved against running every call on one reference tier, priced from the recorded usage.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb } from "../infra/state-db.js";
import type { AttemptRow } from "../run/journal.js";
import { costOf, type PriceTable, priceTable, type Usage } from "./prices.js";
import { TIERS, type Tier } from "./tiers.js";

/** The journal columns the ledger reads (one row per executor call). */
type CallRow = Pick<
  AttemptRow,
  | "task_id"
  | "feature_id"
  | "attempt"
  | "model"
  | "tier"
  | "outcome"
  | "duration_ms"
  | "input_tokens"
  | "output_tokens"
  | "cache_write_tokens"
  | "cache_read_tokens"
  | "cost_usd"
  | "cost_source"
  | "started_at"
>;

export interface Spend {
  calls: number;
  costUsd: number;
}

export interface ModelStats {
  since: string | null;
  calls: number;
  costUsd: number;
  /** How each call's cost was known: the executor's own figure, or its usage at table prices. */
  costSources: Record<string, number>;
  tokens: { input: number; output: number; cacheWrite: number; cacheRead: number };
  byModel: (Spend & { model: string })[];
  byTier: (Spend & { tier: string; passed: number; successRate: number })[];
  byFeature: (Spend & { featureId: string })[];
  escalations: number;
  durationMs: { p50: number; p95: number };
  saving: {
    reference: Tier;
    referenceModel: string;
    /**
     * Calls whose actual cost is known (reported by the executor or priced from its usage) and that
     * recorded usage: the ones both sides are computed over.
     */
    calls: number;
    /** Calls left out of both sides, counted by why (an unpriced model's $0 would overstate the saving). */
    excluded: { calls: number; reasons: Record<string, number> };
    actualUsd: number;
    referenceUsd: number;
    savedUsd: number;
    savedPct: number;
  };
}

/** `7d`, `24h`, `30m` or an ISO date → an ISO timestamp. */
export function parseSince(text: string, now = Date.now()): string {
  const relative = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[relative[2] as "m" | "h" | "d" | "w"];
    return new Date(now - Number(relative[1]) * unit).toISOString();
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw usageError(`--since ${text}: not a date or a duration.`, {
      fix: "Use a date (2026-11-01) or a duration such as 7d, 24h or 30m.",
    });
  return date.toISOString();
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** Cost sources whose figure is the call's real cost: the executor's own, or its usage at table prices. */
const KNOWN_COST = new Set(["reported", "priced"]);

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

function spendBy<K extends string>(rows: CallRow[], key: (r: CallRow) => string, name: K): (Spend & Record<K, string>)[] {
  const groups = new Map<string, Spend>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k) ?? { calls: 0, costUsd: 0 };
    g.calls++;
    g.costUsd += r.cost_usd;
    groups.set(k, g);
  }
  return [...groups]
    .map(([k, g]) => ({ [name]: k, calls: g.calls, costUsd: round(g.costUsd) }) as Spend & Record<K, string>)
    .sort((a, b) => b.costUsd - a.costUsd || a.calls - b.calls);
}

export function modelStats(paths: ProjectPaths, config: Config, since?: string): ModelStats {
  const rows = readCalls(paths, since);
  const durations = rows
    .map((r) => r.duration_ms)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  return {
    since: since ?? null,
    calls: rows.length,
    costUsd: round(rows.reduce((sum, r) => sum + r.cost_usd, 0)),
    costSources: countCostSources(rows),
    tokens: {
      input: rows.reduce((s, r) => s + r.input_tokens, 0),
      output: rows.reduce((s, r) => s + r.output_tokens, 0),
      cacheWrite: rows.reduce((s, r) => s + r.cache_write_tokens, 0),
      cacheRead: rows.reduce((s, r) => s + r.cache_read_tokens, 0),
    },
    byModel: spendBy(rows, (r) => r.model ?? "unknown", "model"),
    byTier: tierStats(rows),
    byFeature: spendBy(rows, (r) => r.feature_id, "featureId"),
    escalations: countEscalations(rows),
    durationMs: { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95) },
    saving: saving(rows, config),
  };
}

/** The finished attempts recorded in the state database (none when there is none yet). */
function readCalls(paths: ProjectPaths, since: string | undefined): CallRow[] {
  if (!existsSync(join(paths.state, "state.db"))) return [];
  const db = openStateDb(paths);
  try {
    return db
      .prepare(
        `SELECT task_id, feature_id, attempt, model, tier, outcome, duration_ms, input_tokens, output_tokens, cache_write_tokens,
                cache_read_tokens, cost_usd, cost_source, started_at
           FROM attempts WHERE outcome != 'running' ${since ? "AND started_at >= ?" : ""} ORDER BY id`,
      )
      .all(...(since ? [since] : [])) as CallRow[];
  } finally {
    db.close();
  }
}

function countCostSources(rows: CallRow[]): Record<string, number> {
  const costSources: Record<string, number> = {};
  for (const r of rows) costSources[r.cost_source ?? "unknown"] = (costSources[r.cost_source ?? "unknown"] ?? 0) + 1;
  return costSources;
}

/** Escalations: retries that ran on another ladder step (another tier name or model) than the task's attempt before them. */
function countEscalations(rows: CallRow[]): number {
  const before = new Map<string, string>();
  let escalations = 0;
  for (const r of rows) {
    const step = `${r.tier ?? ""}\u0000${r.model ?? ""}`;
    const previous = before.get(r.task_id);
    if (r.attempt > 1 && previous !== undefined && previous !== step) escalations++;
    before.set(r.task_id, step);
  }
  return escalations;
}

/** Success per ladder step name: the tiers in their order first, then other step names as they appear. */
function tierStats(rows: CallRow[]): ModelStats["byTier"] {
  const names = [...new Set(rows.map((r) => r.tier).filter((t): t is string => Boolean(t)))].sort((a, b) => rank(a) - rank(b));
  return names.map((tier) => {
    const mine = rows.filter((r) => r.tier === tier);
    const passed = mine.filter((r) => r.outcome === "passed").length;
    return {
      tier,
      calls: mine.length,
      costUsd: round(mine.reduce((s, r) => s + r.cost_usd, 0)),
      passed,
      successRate: mine.length === 0 ? 0 : Math.round((1000 * passed) / mine.length) / 10,
    };
  });
}

const rank = (name: string) => {
  const tier = TIERS.indexOf(name as Tier);
  return tier >= 0 ? tier : TIERS.length;
};

/**
 * The saving compares like with like: only calls whose actual cost is known and whose usage can be priced on the
 * reference model. An unpriced model's call counts as $0 spent, so pricing it on the reference side alone would
 * show a saving that was never made.
 */
function comparable(rows: CallRow[]): { compared: CallRow[]; excludedReasons: Record<string, number> } {
  const compared: CallRow[] = [];
  const excludedReasons: Record<string, number> = {};
  for (const r of rows) {
    const hasUsage = r.input_tokens + r.output_tokens + r.cache_write_tokens + r.cache_read_tokens > 0;
    const reason = !KNOWN_COST.has(r.cost_source ?? "")
      ? `cost not known (${r.cost_source ?? "no cost source"})`
      : hasUsage
        ? undefined
        : "no usage recorded";
    if (reason === undefined) compared.push(r);
    else excludedReasons[reason] = (excludedReasons[reason] ?? 0) + 1;
  }
  return { compared, excludedReasons };
}

function usageOf(r: CallRow): Usage {
  return {
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    cacheReadTokens: r.cache_read_tokens,
  };
}

/** What routing saved against running every comparable call on the reference tier's model. */
function saving(rows: CallRow[], config: Config): ModelStats["saving"] {
  const prices: PriceTable = priceTable(config.routing.prices);
  const reference = config.routing.reference;
  const referenceModel = config.routing.tiers[reference];
  const { compared, excludedReasons } = comparable(rows);
  const referencePrice = costOf(referenceModel, { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 }, prices);
  if (referencePrice === undefined && compared.length > 0)
    throw usageError(`No price for ${referenceModel}, the ${reference} tier's model, to compare against.`, {
      fix: `Add it under routing.prices in config.yaml, or pick another routing.reference.`,
    });
  const actualUsd = compared.reduce((sum, r) => sum + r.cost_usd, 0);
  const referenceUsd = compared.reduce((sum, r) => sum + (costOf(referenceModel, usageOf(r), prices) ?? 0), 0);
  return {
    reference,
    referenceModel,
    calls: compared.length,
    excluded: { calls: rows.length - compared.length, reasons: excludedReasons },
    actualUsd: round(actualUsd),
    referenceUsd: round(referenceUsd),
    savedUsd: round(referenceUsd - actualUsd),
    savedPct: referenceUsd > 0 ? Math.round((1000 * (referenceUsd - actualUsd)) / referenceUsd) / 10 : 0,
  };
}
