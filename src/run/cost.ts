/** What an attempt cost: the executor's own figure, or its usage at table prices. */
import type { Config } from "../infra/config.js";
import { warn } from "../infra/log.js";
import { costOf, priceTable, type Usage } from "../routing/prices.js";
import type { ExecutorReport } from "./executors/types.js";

export function addUsage(total: Usage, usage: Usage | undefined): void {
  if (!usage) return;
  total.inputTokens += usage.inputTokens;
  total.outputTokens += usage.outputTokens;
  total.cacheWriteTokens += usage.cacheWriteTokens;
  total.cacheReadTokens += usage.cacheReadTokens;
}

/**
 * Cost of one attempt: the executor's own figure when it gives one, else the usage at table
 * prices, each model's tokens at its own price when several models answered (Gemini CLI routes
 * between them).
 */
export function attemptCost(report: ExecutorReport, model: string, config: Config): { cost: number; source: string } {
  if (report.costUsd !== undefined) return { cost: report.costUsd, source: "reported" };
  if (!report.usage) return { cost: 0, source: "no usage reported" };
  const table = priceTable(config.routing.prices);
  const parts = Object.entries(report.usageByModel ?? { [report.model ?? model]: report.usage });
  let cost = 0;
  const unpriced: string[] = [];
  for (const [name, usage] of parts) {
    const priced = costOf(name, usage, table);
    if (priced === undefined) unpriced.push(name);
    else cost += priced;
  }
  if (unpriced.length === 0) return { cost, source: "priced" };
  warn(`no price for model ${unpriced.join(", ")}: its cost counts as $0 (add it to the price table)`);
  return { cost, source: "unpriced model" };
}
