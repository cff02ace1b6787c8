/**
 * The configured routing policy in an outcome table's terms: the ladder's models as the table names
 * them and the step each task starts on, decided as `br run` decides it from what the table knows of
 * the task (a ledger: its text, files, dependencies, acceptance and kind; a file: its text).
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
  return { ...tableLadder(config, table, maps), maxAttempts: config.run.maxAttempts, startFor: startRule(config, table) };
}

/** The configured ladder's steps and their models as the table names them (exit 2 for one it lacks). */
export function tableLadder(config: Config, table: OutcomeTable, maps: ReadonlyMap<string, string>): { steps: Step[]; ladder: string[] } {
  const steps = ladderFor(config, config.run.executor);
  return { steps, ladder: steps.map((step, i) => tableIdOf(table, step.model, maps, `The ladder's step ${i + 1} (${step.name})`)) };
}

function startRule(config: Config, table: OutcomeTable): (task: string) => number {
  const executor = config.run.executor;
  if (config.routing.policy === "score") {
    const missing = table.tasks.find((t) => !table.texts.has(t));
    if (missing !== undefined)
      throw usageError(`routing.policy is score, which reads each task's text, and ${table.source} has none for task ${missing}.`, {
        fix: 'Add "text" to its outcome lines, or give the texts with --texts <file.jsonl> ({"id", "text"} lines).',
      });
    return (task) => routeTask({ ...table.details.get(task), text: table.texts.get(task) ?? "" }, config, executor).start;
  }
  return (task) => {
    const kind = table.kinds.get(task);
    return routeTask({ text: "", ...(kind ? { kind } : {}) }, config, executor).start;
  };
}
