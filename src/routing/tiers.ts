import type { Config } from "../infra/config.js";
import type { Task } from "../plan/task.js";

export const TIERS = ["haiku", "sonnet", "opus"] as const;
export type Tier = (typeof TIERS)[number];

const BY_COMPLEXITY: Record<Task["complexity"], Tier> = { simple: "haiku", moderate: "sonnet", complex: "opus" };

/**
 * The tier for an attempt: from the task's complexity, one tier higher for every failed attempt
 * before it (escalation), never above opus.
 */
export function tierFor(task: Task, attempt: number): { tier: Tier; reason: string } {
  const base = BY_COMPLEXITY[task.complexity];
  const index = Math.min(TIERS.indexOf(base) + (attempt - 1), TIERS.length - 1);
  const tier = TIERS[index] as Tier;
  const reason =
    attempt > 1 && tier !== base
      ? `${task.complexity} task → ${base}, escalated after ${attempt - 1} failed attempt(s)`
      : `${task.complexity} task`;
  return { tier, reason };
}

export function modelFor(config: Config, tier: Tier): string {
  return config.routing.tiers[tier];
}
