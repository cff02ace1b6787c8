/**
 * Model ids in outcome tables and in config differ (a benchmark's `claude-4-5-opus-high` is the
 * config's `claude-opus-4-5`). They are joined by `--map table=config` first, then by the shipped
 * aliases (data/model-outcomes.json), then by equal ids.
 */
import outcomes from "../../data/model-outcomes.json" with { type: "json" };
import { usageError } from "../infra/errors.js";
import type { OutcomeTable } from "./outcomes.js";

const ALIASES: Readonly<Record<string, string>> = outcomes.aliases;
const EXECUTOR_PREFIXES: Readonly<Record<string, string>> = outcomes.executors;

/** `--map tableModel=configModel`, repeatable. */
export function parseMaps(values: readonly string[]): Map<string, string> {
  const maps = new Map<string, string>();
  for (const value of values) {
    const [table, config, ...rest] = value.split("=");
    if (!table || !config || rest.length > 0)
      throw usageError(`--map ${value}: expected tableModel=configModel.`, {
        fix: "For example --map claude-4-5-opus-high=claude-opus-4-5.",
      });
    maps.set(table, config);
  }
  return maps;
}

/** The config id a table model stands for. */
export function configIdOf(tableModel: string, maps: ReadonlyMap<string, string>): string {
  return maps.get(tableModel) ?? ALIASES[tableModel] ?? tableModel;
}

/**
 * The table model that a config model id (or a table id given as such) stands for. None, or more
 * than one, exits 2 naming the model and how to join it.
 */
export function tableIdOf(table: OutcomeTable, model: string, maps: ReadonlyMap<string, string>, role: string): string {
  if (table.models.includes(model) && !maps.has(model)) return model;
  const matches = table.models.filter((t) => configIdOf(t, maps) === model);
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1)
    throw usageError(`${role} (${model}) matches several models in ${table.source}: ${matches.join(", ")}.`, {
      fix: `Pick one with --map ${matches[0]}=${model}, or read one agent version with --scaffold.`,
    });
  throw usageError(`${role} names ${model}, which ${table.source} has no outcomes for.`, {
    fix: `Its models: ${table.models.slice(0, 12).join(", ")}${table.models.length > 12 ? ", …" : ""}. Join one with --map <tableModel>=${model}, or change the ladder.`,
  });
}

/** The executor that runs a model id, by its prefix (claude- → claude), if br knows one. */
export function executorOf(model: string): string | undefined {
  const prefix = Object.keys(EXECUTOR_PREFIXES)
    .filter((p) => model.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? EXECUTOR_PREFIXES[prefix] : undefined;
}
