/**
 * The routing ladder: the (executor, model) steps a task climbs, cheapest first. A task starts on a
 * step the policy picks and each failed attempt moves one step up. Outcome data, not the task's
 * text, decides which models form the ladder (see simulate.ts and advise.ts): the complexity score is
 * recorded with every attempt and used only under `routing.policy: score`.
 */
import outcomes from "../../data/model-outcomes.json" with { type: "json" };
import type { Config } from "../infra/config.js";
import { estimateComplexity, type TaskText, tierForScore } from "./estimate.js";
import { TIERS, type Tier } from "./tiers.js";

export interface Step {
  executor: string;
  model: string;
  /** How the journal and stats name it: a tier name, `pinned`, or `step-<n>`. */
  name: string;
}

/** data/model-outcomes.json: the default ladder, where it comes from and the figures it was chosen on. */
export const SHIPPED_OUTCOMES = {
  date: outcomes.date,
  source: outcomes.source,
  defaultLadder: outcomes.defaultLadder,
};

/** The steps br climbs when the config names none: data/model-outcomes.json's, over routing.tiers. */
export const DEFAULT_LADDER: readonly Tier[] = outcomes.defaultLadder.steps as Tier[];

const isTier = (value: string): value is Tier => (TIERS as readonly string[]).includes(value);

/** Executors that run one fixed thing: a person, or recorded changes. Nothing to escalate to. */
const SINGLE_STEP = new Set(["manual", "replay"]);

/**
 * The ladder a run climbs with `runExecutor` as its default executor. A pinned model
 * (`executors.<name>.model`) with no explicit ladder is a ladder of one: escalating would relabel
 * the same model. Steps that repeat an earlier (executor, model) are dropped: a retry there spends
 * the same money on the same answer.
 */
export function ladderFor(config: Config, runExecutor: string): Step[] {
  const steps = configuredSteps(config, runExecutor);
  if (SINGLE_STEP.has(runExecutor)) return steps.slice(0, 1).map((s) => ({ ...s, executor: runExecutor }));
  const seen = new Set<string>();
  return steps.filter((step) => {
    const key = `${step.executor}\u0000${step.model}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function configuredSteps(config: Config, runExecutor: string): Step[] {
  const { routing } = config;
  const pinned = config.executors[runExecutor]?.model;
  if (!routing.ladder && pinned) return [{ executor: runExecutor, model: pinned, name: "pinned" }];
  const entries = routing.ladder ?? (routing.policy === "score" ? [...TIERS] : [...DEFAULT_LADDER]);
  return entries.map((entry, i) => {
    const { model, executor, name } = typeof entry === "string" ? { model: entry, executor: undefined, name: undefined } : entry;
    // A tier name stands for the tier's model, in a plain entry or an object's `model`.
    const tier = isTier(model) ? model : undefined;
    return {
      executor: executor ?? runExecutor,
      model: tier ? routing.tiers[tier] : model,
      name: name ?? tier ?? `step-${i + 1}`,
    };
  });
}

/** A task's routing, decided once before its first attempt. */
export interface RoutedTask {
  ladder: Step[];
  /** The step the first attempt runs on (0-based). */
  start: number;
  /** Why it starts there. */
  startReason: string;
  score: number;
  reasons: string[];
}

export function routeTask(input: TaskText, config: Config, runExecutor: string): RoutedTask {
  const ladder = ladderFor(config, runExecutor);
  const { score, reasons } = estimateComplexity(input);
  const { start, startReason } = startingStep(ladder, config, score, input.kind);
  return { ladder, start, startReason, score, reasons };
}

function startingStep(ladder: Step[], config: Config, score: number, kind: string | undefined): { start: number; startReason: string } {
  const { routing } = config;
  if (routing.policy === "score") {
    const tier = tierForScore(score, routing.thresholds);
    const byName = ladder.findIndex((s) => s.name === tier);
    const byModel = ladder.findIndex((s) => s.model === routing.tiers[tier]);
    const start = byName >= 0 ? byName : byModel >= 0 ? byModel : Math.min(TIERS.indexOf(tier), ladder.length - 1);
    return { start, startReason: `policy score: complexity ${score} → ${tier}` };
  }
  if (kind && ladder.length > 1 && routing.skipFirstFor.includes(kind))
    return { start: 1, startReason: `policy ladder: ${kind} tasks skip the first step (routing.skipFirstFor)` };
  return { start: 0, startReason: "policy ladder: every task starts on the first step" };
}

/**
 * The step for an attempt: the starting step, then one up for every failed attempt before it,
 * staying on the top step once there.
 */
export function stepForAttempt(routed: RoutedTask, attempt: number): { step: Step; index: number; reason: string } {
  const index = Math.min(routed.start + attempt - 1, routed.ladder.length - 1);
  const step = routed.ladder[index] as Step;
  const where = `step ${index + 1} of ${routed.ladder.length}`;
  const climbed = index - routed.start;
  const why =
    climbed > 0
      ? `${where}: escalated from ${routed.ladder[routed.start]?.name} after ${attempt - 1} failed attempt(s)`
      : attempt > 1
        ? `${where}: the top step again after ${attempt - 1} failed attempt(s)`
        : `${where}; ${routed.startReason}`;
  return {
    step,
    index,
    reason: `${why}; complexity ${routed.score}${routed.reasons.length ? ` (${routed.reasons.slice(0, 3).join("; ")})` : ""}`,
  };
}
