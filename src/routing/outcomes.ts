/**
 * Outcome tables: for each task, whether each model solved it and what the attempt cost. Read from
 * a JSON Lines file (`{"task_id", "text"?, "model" | "run", "resolved", "cost_usd"}`) or from the
 * project's own ledger (the run journal), and replayed by simulate.ts and advise.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { usageError } from "../infra/errors.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb } from "../infra/state-db.js";
import type { TaskText } from "./estimate.js";

export interface Outcome {
  resolved: boolean;
  /** USD; null where the source published no cost. */
  costUsd: number | null;
}

export interface OutcomeTable {
  /** Where the table came from, for messages: a file name, or "the ledger". */
  source: string;
  /** Task ids in the order first seen. */
  tasks: string[];
  /** Model ids in the order first seen. */
  models: string[];
  outcomes: Map<string, Map<string, Outcome>>;
  texts: Map<string, string>;
  /** Task kinds, where known (the ledger knows them). */
  kinds: Map<string, string>;
  /** What the complexity score reads besides the text (files, dependencies, acceptance), where known. */
  details: Map<string, Omit<TaskText, "text">>;
}

const OUTCOMES_FIX = "Pass a readable JSON Lines file of outcomes, or --from-ledger in a project br run has worked in.";
const FORMAT_FIX = 'Write one object per line: {"task_id": "…", "model": "…", "resolved": true, "cost_usd": 0.12} ("text" is optional).';

export function emptyTable(source: string): OutcomeTable {
  return { source, tasks: [], models: [], outcomes: new Map(), texts: new Map(), kinds: new Map(), details: new Map() };
}

/** Adds one outcome; a second outcome for the same task and model is the caller's to refuse. */
export function addOutcome(table: OutcomeTable, task: string, model: string, outcome: Outcome): void {
  let byModel = table.outcomes.get(task);
  if (!byModel) {
    byModel = new Map();
    table.outcomes.set(task, byModel);
    table.tasks.push(task);
  }
  if (!table.models.includes(model)) table.models.push(model);
  byModel.set(model, outcome);
}

export interface ReadOptions {
  /** Only records whose `scaffold` is this (the shared file mixes agent versions). */
  scaffold?: string;
}

/** Reads an outcomes file; any bad line exits 2 naming the file and line, before anything is simulated. */
export function readOutcomesFile(file: string, options: ReadOptions = {}): OutcomeTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw usageError(`${file}: ${missing ? "no such file" : (error as Error).message}.`, { file, fix: OUTCOMES_FIX });
  }
  return parseOutcomes(text, file, options);
}

interface Seen {
  line: number;
  scaffold: string | undefined;
}

export function parseOutcomes(text: string, file: string, options: ReadOptions = {}): OutcomeTable {
  const table = emptyTable(file);
  const seen = new Map<string, Seen>();
  const scaffolds = new Set<string>();
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    const record = parseLine(raw, file, i + 1);
    if (record.scaffold !== undefined) scaffolds.add(record.scaffold);
    if (options.scaffold !== undefined && record.scaffold !== options.scaffold) return;
    const key = `${record.task}\u0000${record.model}`;
    const earlier = seen.get(key);
    if (earlier) throw duplicate(file, i + 1, record, earlier);
    seen.set(key, { line: i + 1, scaffold: record.scaffold });
    addOutcome(table, record.task, record.model, { resolved: record.resolved, costUsd: record.cost });
    if (record.text !== undefined) table.texts.set(record.task, record.text);
  });
  if (table.tasks.length === 0) throw emptyFile(file, options.scaffold, scaffolds);
  return table;
}

function emptyFile(file: string, scaffold: string | undefined, scaffolds: Set<string>): Error {
  if (scaffold !== undefined)
    return usageError(`${file}: no outcome has scaffold "${scaffold}".`, {
      file,
      fix: scaffolds.size
        ? `The file's scaffolds: ${[...scaffolds].join(", ")}.`
        : "The file's records carry no scaffold; leave out --scaffold.",
    });
  return usageError(`${file}: no outcomes in it.`, { file, fix: FORMAT_FIX });
}

function duplicate(file: string, line: number, record: LineRecord, earlier: Seen): Error {
  const mixed = earlier.scaffold !== record.scaffold && record.scaffold !== undefined;
  return usageError(
    `${file}:${line}: a second outcome for task ${record.task} on model ${record.model} (the first is on line ${earlier.line}).`,
    {
      file,
      place: `line ${line}`,
      fix: mixed
        ? `The file mixes agent versions: pick one with --scaffold "${record.scaffold}" (or "${earlier.scaffold}").`
        : "Keep one outcome per task and model.",
    },
  );
}

interface LineRecord {
  task: string;
  model: string;
  resolved: boolean;
  cost: number | null;
  text?: string;
  scaffold?: string;
}

function parseLine(raw: string, file: string, line: number): LineRecord {
  const bad = (what: string) => usageError(`${file}:${line}: ${what}.`, { file, place: `line ${line}`, fix: FORMAT_FIX });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw bad(`not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad("not a JSON object");
  const r = value as Record<string, unknown>;
  const problem = FIELD_CHECKS.find(([, ok]) => !ok(r))?.[0];
  if (problem) throw bad(problem);
  return {
    task: String(r.task_id),
    model: (r.model ?? r.run) as string,
    resolved: r.resolved as boolean,
    cost: r.cost_usd as number | null,
    ...(typeof r.text === "string" ? { text: r.text } : {}),
    ...(typeof r.scaffold === "string" ? { scaffold: r.scaffold } : {}),
  };
}

const nonEmpty = (v: unknown) => typeof v === "string" && v.length > 0;
const dollars = (v: unknown) => v === null || (typeof v === "number" && Number.isFinite(v) && v >= 0);

/** Each field's rule and what the message says when a line breaks it, in the order they are checked. */
const FIELD_CHECKS: [string, (r: Record<string, unknown>) => boolean][] = [
  ['missing "task_id" (a string)', (r) => nonEmpty(r.task_id) || typeof r.task_id === "number"],
  ['missing "model" (or "run"), the model id', (r) => nonEmpty(r.model ?? r.run)],
  ['missing "resolved" (true or false)', (r) => typeof r.resolved === "boolean"],
  ['missing "cost_usd" (a number of dollars, or null when unknown)', (r) => "cost_usd" in r],
  ['"cost_usd" must be a number of dollars, 0 or more (or null when unknown)', (r) => dollars(r.cost_usd)],
  ['"text" must be a string', (r) => r.text === undefined || typeof r.text === "string"],
];

interface LedgerRow {
  task_id: string;
  model: string | null;
  outcome: string;
  cost_usd: number;
}

/**
 * The project's ledger as an outcome table: per task and model, solved when an attempt on it passed
 * verification, costing what its attempts cost. Only verdicts on a model count: setup failures,
 * outages and interrupted attempts say nothing about it, and a person's or a replay's work is no model's.
 */
export function ledgerOutcomes(paths: ProjectPaths, taskInfo: Map<string, TaskText>): OutcomeTable {
  const table = emptyTable("the ledger");
  if (!existsSync(join(paths.state, "state.db"))) return table;
  const db = openStateDb(paths);
  let rows: LedgerRow[];
  try {
    rows = db
      .prepare(
        "SELECT task_id, model, outcome, cost_usd FROM attempts WHERE outcome IN ('passed', 'failed') AND executor NOT IN ('manual', 'replay') ORDER BY id",
      )
      .all() as unknown as LedgerRow[];
  } finally {
    db.close();
  }
  for (const row of rows) {
    const model = row.model ?? "unknown";
    const earlier = table.outcomes.get(row.task_id)?.get(model);
    const resolved = (earlier?.resolved ?? false) || row.outcome === "passed";
    addOutcome(table, row.task_id, model, { resolved, costUsd: (earlier?.costUsd ?? 0) + row.cost_usd });
    const info = taskInfo.get(row.task_id);
    if (info) {
      const { text, ...details } = info;
      table.texts.set(row.task_id, text);
      table.details.set(row.task_id, details);
      if (info.kind) table.kinds.set(row.task_id, info.kind);
    }
  }
  return table;
}

/** `--texts`: {"id", "text"} lines that give an outcome table its task texts (for routing.policy score). */
export function readTexts(file: string, table: OutcomeTable): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw usageError(`${file}: ${(error as Error).message}.`, { file, fix: OUTCOMES_FIX });
  }
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let record: { id?: unknown; text?: unknown };
    try {
      record = JSON.parse(raw) as typeof record;
    } catch (error) {
      throw usageError(`${file}:${i + 1}: not JSON (${(error as Error).message}).`, { file, place: `line ${i + 1}`, fix: OUTCOMES_FIX });
    }
    const id = typeof record?.id === "number" ? String(record.id) : record?.id;
    if (typeof id !== "string" || typeof record.text !== "string")
      throw usageError(`${file}:${i + 1}: needs a string "id" and a string "text".`, {
        file,
        place: `line ${i + 1}`,
        fix: 'Write {"id": "…", "text": "…"} per line.',
      });
    if (table.outcomes.has(id)) table.texts.set(id, record.text);
  });
}
