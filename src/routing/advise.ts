/**
 * `br model advise`: the ladder that solves at least as many tasks as a reference model at the
 * least cost, from an outcome table. Every candidate ends on the reference itself, so it solves
 * every task the reference solves and its cheaper first steps can only add solved tasks: picking the
 * cheapest ladder among many then cannot buy savings with solved tasks that only this sample had
 * (ladders ending on a cheaper model did, when chosen on half the dev outcomes and judged on the
 * other half). From the project's own ledger it also says which task kinds should skip the first step.
 */
import { seededRandom } from "../infra/random.js";
import type { OutcomeTable } from "./outcomes.js";
import { type Figures, simulateLadder, walkTask } from "./simulate.js";

export interface Candidate extends Figures {
  ladder: string[];
  /** costPerTask over the reference's on the same tasks (null when they cannot be compared). */
  costRatio: number | null;
}

export interface Confidence {
  resamples: number;
  /** Share of bootstrap resamples of the tasks in which the ladder cost less than the reference. */
  costBelowReference: number;
  /** The 5th and 95th percentiles of the cost ratio over the resamples. */
  costRatio90: [number, number];
}

export interface SkipAdvice {
  kind: string;
  tasks: number;
  firstStepSolved: number;
  costPerTask: number;
  costPerTaskSkipping: number;
  skip: boolean;
}

export interface Advice {
  tasks: number;
  reference: Figures & { model: string };
  recommended: Candidate;
  /** Why the recommendation is what it is, when it is not the cheapest ladder found (a ledger too sparse to compare). */
  note: string | null;
  confidence: Confidence | null;
  alternatives: Candidate[];
  excluded: { model: string; reason: string }[];
  skipFirst: SkipAdvice[];
}

export interface AdviseOptions {
  reference: string;
  /** Longest ladder considered (the run's attempt limit). */
  maxSteps: number;
  /** The configured ladder (table ids), for the per-kind advice on a ledger. */
  current?: string[];
  resamples?: number;
}

/** The table's models whose every outcome has a cost: a ladder cannot be priced through the others. */
function pricedModels(table: OutcomeTable): { usable: string[]; excluded: Advice["excluded"] } {
  const unpriced = new Set<string>();
  for (const byModel of table.outcomes.values()) for (const [model, o] of byModel) if (o.costUsd === null) unpriced.add(model);
  return {
    usable: table.models.filter((m) => !unpriced.has(m)),
    excluded: [...unpriced].map((model) => ({ model, reason: "no cost recorded" })),
  };
}

/** Every ladder of up to maxSteps distinct models that ends on the reference. */
export function candidateLadders(models: readonly string[], reference: string, maxSteps: number): string[][] {
  const others = models.filter((m) => m !== reference);
  const out: string[][] = [];
  const extend = (prefix: string[]) => {
    out.push([...prefix, reference]);
    if (prefix.length + 1 >= maxSteps) return;
    for (const m of others) if (!prefix.includes(m)) extend([...prefix, m]);
  };
  extend([]);
  return out;
}

/** Share of the table's tasks a comparison must cover. */
const COVERAGE = 0.9;

type Walks = { ladder: number; reference: number }[];

/** The ladder's and the reference's cost on each task where both are known, and how many the ladder solved. */
function comparedWalks(table: OutcomeTable, ladder: string[], reference: string): { walks: Walks; solved: number } {
  const walks: Walks = [];
  let solved = 0;
  for (const task of table.tasks) {
    const mine = walkTask(table, task, ladder, 0, ladder.length);
    const theirs = walkTask(table, task, [reference], 0, 1);
    if (!mine || !theirs) continue;
    walks.push({ ladder: mine.cost, reference: theirs.cost });
    solved += Number(mine.solved);
  }
  return { walks, solved };
}

/** A ladder against the reference over the tasks where both are known. */
function score(table: OutcomeTable, ladder: string[], reference: string): Candidate | undefined {
  const { walks, solved } = comparedWalks(table, ladder, reference);
  // Compared on a part of the tasks only (a ledger knows a stronger step's outcome only where the cheaper
  // one failed), a ladder would be judged on the hard tasks alone. (It cannot solve fewer than the
  // reference: it ends on it.)
  if (walks.length === 0 || walks.length < COVERAGE * table.tasks.length) return undefined;
  const cost = walks.reduce((s, w) => s + w.ladder, 0);
  const referenceCost = walks.reduce((s, w) => s + w.reference, 0);
  return {
    ladder,
    solved: solved / walks.length,
    costPerTask: cost / walks.length,
    tasks: walks.length,
    costRatio: referenceCost > 0 ? cost / referenceCost : 1,
  };
}

/** More ladders than this take minutes to compare: the caller asks for fewer steps. */
export const MAX_CANDIDATES = 200_000;

/** How many ladders of up to `steps` steps end on the reference, among `models` models. */
export function candidateCount(models: number, steps: number): number {
  let total = 0;
  let ways = 1;
  for (let k = 0; k < steps; k++) {
    total += ways;
    ways *= Math.max(0, models - 1 - k);
  }
  return total;
}

export function advise(table: OutcomeTable, options: AdviseOptions): Advice {
  const { usable, excluded } = pricedModels(table);
  const { reference } = options;
  const scored = candidateLadders(usable, reference, options.maxSteps)
    .map((ladder) => score(table, ladder, reference))
    .filter((s): s is Candidate => s !== undefined)
    .sort((a, b) => a.costPerTask - b.costPerTask || a.ladder.length - b.ladder.length);
  const alone = simulateLadder(table, [reference]);
  const best = scored[0];
  const common = {
    tasks: table.tasks.length,
    reference: { model: reference, ...alone },
    alternatives: scored.slice(1, 5),
    excluded,
    skipFirst: options.current ? skipAdvice(table, options.current) : [],
  };
  if (best) {
    const walks = comparedWalks(table, best.ladder, reference).walks;
    return {
      ...common,
      recommended: best,
      note: null,
      confidence: best.ladder.length > 1 ? bootstrap(walks, options.resamples ?? 200) : null,
    };
  }
  const why = `${table.source} has ${reference}'s outcome for ${alone.tasks} of ${table.tasks.length} task(s), too few to compare ladders fairly`;
  if (!options.current)
    return {
      ...common,
      recommended: { ladder: [reference], ...alone, costRatio: null },
      note: `${why}; no ladder is recommended`,
      confidence: null,
    };
  return {
    ...common,
    recommended: { ladder: options.current, ...simulateLadder(table, options.current), costRatio: null },
    note: `${why}; the current ladder stays`,
    confidence: null,
  };
}

/** Resamples the tasks with replacement: how often the ladder still costs less, and its cost ratio's spread. */
export function bootstrap(walks: readonly { ladder: number; reference: number }[], resamples: number): Confidence {
  const next = seededRandom(1);
  const ratios: number[] = [];
  let below = 0;
  for (let b = 0; b < resamples; b++) {
    let mine = 0;
    let theirs = 0;
    for (let i = 0; i < walks.length; i++) {
      const w = walks[Math.floor(next() * walks.length)] as { ladder: number; reference: number };
      mine += w.ladder;
      theirs += w.reference;
    }
    if (mine < theirs) below++;
    ratios.push(theirs > 0 ? mine / theirs : 1);
  }
  ratios.sort((a, b) => a - b);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))] as number;
  return { resamples, costBelowReference: below / resamples, costRatio90: [at(0.05), at(0.95)] };
}

/** Fewer tasks of a kind than this say too little to change how the kind is routed. */
const MIN_KIND_TASKS = 3;

/**
 * Per task kind, from the ledger: what the kind's tasks cost starting on the first step, against
 * starting on the second. Where the first step solved a task the second step's outcome is unknown;
 * it is assumed solved (the step is the stronger model) at the kind's mean second-step cost.
 */
export function skipAdvice(table: OutcomeTable, ladder: readonly string[]): SkipAdvice[] {
  if (ladder.length < 2) return [];
  const [first, second] = ladder as [string, string];
  const byKind = new Map<string, string[]>();
  for (const task of table.tasks) {
    const kind = table.kinds.get(task);
    if (kind && table.outcomes.get(task)?.has(first)) byKind.set(kind, [...(byKind.get(kind) ?? []), task]);
  }
  const overall = meanSecondCost(table, table.tasks, second);
  const advice: SkipAdvice[] = [];
  for (const [kind, tasks] of byKind) {
    const meanSecond = meanSecondCost(table, tasks, second) ?? overall;
    const withFirst = tasks.map((t) => walkTask(table, t, ladder, 0, ladder.length));
    if (tasks.length < MIN_KIND_TASKS || meanSecond === undefined || withFirst.some((w) => !w)) continue;
    const fromSecond = tasks.map((t) => walkTask(table, t, ladder, 1, ladder.length - 1));
    const cost = withFirst.reduce((s, w) => s + (w?.cost ?? 0), 0) / tasks.length;
    const skipping = fromSecond.reduce((s, w) => s + (w ? w.cost : meanSecond), 0) / tasks.length;
    const firstStepSolved = tasks.filter((t) => table.outcomes.get(t)?.get(first)?.resolved).length;
    advice.push({ kind, tasks: tasks.length, firstStepSolved, costPerTask: cost, costPerTaskSkipping: skipping, skip: skipping < cost });
  }
  return advice.sort((a, b) => a.kind.localeCompare(b.kind));
}

function meanSecondCost(table: OutcomeTable, tasks: readonly string[], second: string): number | undefined {
  const costs = tasks.map((t) => table.outcomes.get(t)?.get(second)?.costUsd).filter((c): c is number => typeof c === "number");
  return costs.length ? costs.reduce((s, c) => s + c, 0) / costs.length : undefined;
}
