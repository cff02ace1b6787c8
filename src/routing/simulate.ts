/**
 * Replaying a routing policy over an outcome table: for each task the policy's steps are tried in
 * order, each paying its recorded cost, until one solved the task or the attempts run out. The same
 * replay prices the comparisons: one reference model alone, a cheapest-first ladder and the oracle.
 */
import type { OutcomeTable } from "./outcomes.js";

export interface Figures {
  /** Share of the counted tasks solved, 0..1. */
  solved: number;
  /** Mean USD per counted task. */
  costPerTask: number;
  /** Tasks the figures count: those whose every needed outcome is in the table. */
  tasks: number;
}

export interface LadderPolicy {
  /** Table model ids, cheapest step first. */
  ladder: string[];
  /** The step a task starts on (0-based); the policy's own rule. */
  startFor?: (task: string) => number;
  maxAttempts: number;
}

interface Walk {
  solved: boolean;
  cost: number;
}

/**
 * One task's walk up the ladder, or undefined when the table lacks an outcome the walk needs. Each
 * distinct step is tried once: the table holds one outcome per task and model, so a repeat of the
 * top step would only replay it.
 */
export function walkTask(
  table: OutcomeTable,
  task: string,
  ladder: readonly string[],
  start: number,
  maxAttempts: number,
): Walk | undefined {
  const byModel = table.outcomes.get(task);
  let cost = 0;
  const last = Math.min(ladder.length, start + maxAttempts);
  for (let i = start; i < last; i++) {
    const outcome = byModel?.get(ladder[i] as string);
    if (!outcome || outcome.costUsd === null) return undefined;
    cost += outcome.costUsd;
    if (outcome.resolved) return { solved: true, cost };
  }
  return { solved: false, cost };
}

function figuresOf(walks: (Walk | undefined)[]): Figures {
  const known = walks.filter((w): w is Walk => w !== undefined);
  const n = known.length;
  return {
    solved: n ? known.filter((w) => w.solved).length / n : 0,
    costPerTask: n ? known.reduce((sum, w) => sum + w.cost, 0) / n : 0,
    tasks: n,
  };
}

export function simulatePolicy(table: OutcomeTable, policy: LadderPolicy, tasks: readonly string[] = table.tasks): Figures {
  return figuresOf(tasks.map((t) => walkTask(table, t, policy.ladder, policy.startFor?.(t) ?? 0, policy.maxAttempts)));
}

/** A ladder tried from its first step to its last, whatever the attempt limit. */
export function simulateLadder(table: OutcomeTable, ladder: readonly string[], tasks: readonly string[] = table.tasks): Figures {
  return figuresOf(tasks.map((t) => walkTask(table, t, ladder, 0, ladder.length)));
}

/** A model's mean recorded cost per attempt (Infinity when it has none). */
export function meanCost(table: OutcomeTable, model: string): number {
  let sum = 0;
  let n = 0;
  for (const byModel of table.outcomes.values()) {
    const cost = byModel.get(model)?.costUsd;
    if (cost === undefined || cost === null) continue;
    sum += cost;
    n++;
  }
  return n ? sum / n : Number.POSITIVE_INFINITY;
}

/** The models ordered by mean cost, cheapest first (ties by name, so the order is stable). */
export function cheapestFirst(table: OutcomeTable, models: readonly string[]): string[] {
  return [...models].sort((a, b) => meanCost(table, a) - meanCost(table, b) || a.localeCompare(b));
}

/**
 * The oracle: each task solved by the cheapest of `models` that solves it. A task none of them
 * solves costs the cheapest attempt on it: the least any policy pays to learn that it fails.
 */
export function oracle(table: OutcomeTable, models: readonly string[], tasks: readonly string[] = table.tasks): Figures {
  return figuresOf(
    tasks.map((task) => {
      const byModel = table.outcomes.get(task);
      const known = models.map((m) => byModel?.get(m));
      if (known.some((o) => !o || o.costUsd === null)) return undefined;
      const costs = known as { resolved: boolean; costUsd: number }[];
      const solving = costs.filter((o) => o.resolved).map((o) => o.costUsd);
      return solving.length
        ? { solved: true, cost: Math.min(...solving) }
        : { solved: false, cost: Math.min(...costs.map((o) => o.costUsd)) };
    }),
  );
}

export interface SimulationReport {
  tasks: number;
  policy: Figures & { ladder: string[] };
  reference: Figures & { model: string };
  cheapestFirst: Figures & { ladder: string[] };
  oracle: Figures & { models: string[] };
}

/** The policy against the reference alone, the same models cheapest first, and their oracle. */
export function simulationReport(table: OutcomeTable, policy: LadderPolicy, reference: string): SimulationReport {
  const models = [...new Set([...policy.ladder, reference])];
  const ordered = cheapestFirst(table, models);
  return {
    tasks: table.tasks.length,
    policy: { ladder: policy.ladder, ...simulatePolicy(table, policy) },
    reference: { model: reference, ...simulateLadder(table, [reference]) },
    cheapestFirst: { ladder: ordered, ...simulateLadder(table, ordered) },
    oracle: { models, ...oracle(table, models) },
  };
}
