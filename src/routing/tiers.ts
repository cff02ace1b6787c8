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
