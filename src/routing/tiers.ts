/**
 * Routing: a task's complexity score (estimate.ts) picks its tier, each failed attempt escalates
 * one tier, and config.yaml maps tiers to model ids.
 */
import type { Config } from "../infra/config.js";
import type { Task } from "../plan/task.js";
import { estimateComplexity, type TaskText, tierForScore } from "./estimate.js";

export const TIERS = ["haiku", "sonnet", "opus"] as const;
export type Tier = (typeof TIERS)[number];

export interface Route {
  tier: Tier;
  model: string;
  score: number;
  reasons: string[];
}

export function modelFor(config: Config, tier: Tier): string {
  return config.routing.tiers[tier];
}

export function route(input: TaskText, config: Config): Route {
  const { score, reasons } = estimateComplexity(input);
  const tier = tierForScore(score, config.routing.thresholds);
  return { tier, model: modelFor(config, tier), score, reasons };
}

export function taskText(task: Task): TaskText {
  return {
    title: task.title,
    text: [task.title, task.description].filter(Boolean).join("\n\n"),
    files: task.files,
    dependsOn: task.dependsOn,
    acceptance: task.acceptance,
    ...(task.kind ? { kind: task.kind } : {}),
  };
}

/**
 * The tier for an attempt: the routed tier, then one step up for every failed attempt before it,
 * never above opus. A step only counts where it reaches a different model: escalating to a tier
 * that names the same model would spend the same money on the same answer. Without `models`
 * (a pinned model, or a human doing the work) there is nothing to escalate to.
 */
export function tierForAttempt(routed: Route, attempt: number, models?: Readonly<Record<Tier, string>>): { tier: Tier; reason: string } {
  const why = `score ${routed.score}${routed.reasons.length ? `: ${routed.reasons.slice(0, 3).join("; ")}` : ""}`;
  let tier = routed.tier;
  for (let step = 1; step < attempt && models; step++) {
    const higher = TIERS.slice(TIERS.indexOf(tier) + 1).find((t) => models[t] !== models[tier]);
    if (!higher) break;
    tier = higher;
  }
  return {
    tier,
    reason: tier !== routed.tier ? `${why}; escalated from ${routed.tier} after ${attempt - 1} failed attempt(s)` : why,
  };
}
