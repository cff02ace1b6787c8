/**
 * The configured routing policy in an outcome table's terms: the ladder's models as the table names
 * them and the step each task starts on, decided exactly as `br run` decides it.
 */
import type { Config } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { ladderFor, routeTask, type Step } from "./ladder.js";
import { tableIdOf } from "./model-ids.js";
import type { OutcomeTable } from "./outcomes.js";
import type { LadderPolicy } from "./simulate.js";

export interface TablePolicy extends LadderPolicy {
  steps: Step[];
}

export function tablePolicy(config: Config, table: OutcomeTable, maps: ReadonlyMap<string, string>): TablePolicy {
  const steps = ladderFor(config, config.run.executor);
  const ladder = steps.map((step, i) => tableIdOf(table, step.model, maps, `The ladder's step ${i + 1} (${step.name})`));
  return { steps, ladder, maxAttempts: config.run.maxAttempts, startFor: startRule(config, table) };
}

function startRule(config: Config, table: OutcomeTable): (task: string) => number {
  const executor = config.run.executor;
  if (config.routing.policy === "score") {
    const missing = table.tasks.find((t) => !table.texts.has(t));
    if (missing !== undefined)
      throw usageError(`routing.policy is score, which reads each task's text, and ${table.source} has none for task ${missing}.`, {
        fix: 'Add "text" to its outcome lines, or give the texts with --texts <file.jsonl> ({"id", "text"} lines).',
      });
    return (task) => routeTask({ text: table.texts.get(task) ?? "" }, config, executor).start;
  }
  return (task) => {
    const kind = table.kinds.get(task);
    return routeTask({ text: "", ...(kind ? { kind } : {}) }, config, executor).start;
  };
}
