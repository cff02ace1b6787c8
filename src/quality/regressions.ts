/**
 * What a change made worse, for the gates that are a limit per function or file (complexity,
 * function length, file length): code over the limit that is new, or worse than it was. `br run`
 * judges a task's change this way and the pre-commit check judges the staged files this way, both
 * against HEAD, so code that already was over a limit and is not made worse never blocks either.
 */
import type { Config } from "../infra/config.js";
import type { Gate } from "./check.js";
import type { FileMeasures, FunctionMeasure } from "./measures/index.js";

export type LimitGate = "complexity" | "function-length" | "file-length";

export const LIMIT_GATES: readonly LimitGate[] = ["complexity", "function-length", "file-length"];

/** A function (or, for file-length, the file) over a gate's limit. */
export interface Offender {
  path: string;
  line: number;
  /** The function's name; undefined for the file itself. */
  name?: string;
  value: number;
}

type Limits = Config["gates"];

export function limitOf(gate: LimitGate, limits: Limits): number {
  return gate === "complexity" ? limits.complexity : gate === "function-length" ? limits.functionLines : limits.fileLines;
}

/** Everything in a file over the gate's limit, in source order. */
export function overLimit(gate: LimitGate, measures: FileMeasures, limits: Limits): Offender[] {
  const limit = limitOf(gate, limits);
  if (gate === "file-length") return measures.lines > limit ? [{ path: measures.path, line: 1, value: measures.lines }] : [];
  return measures.functions
    .filter((f) => measureOf(gate, f) > limit)
    .map((f) => ({ path: measures.path, line: f.line, name: f.name, value: measureOf(gate, f) }));
}

/** A function's figure for a per-function gate. */
function measureOf(gate: LimitGate, f: FunctionMeasure): number {
  return gate === "complexity" ? f.complexity : f.lines;
}

/**
 * What is over the limit in `after` and the change made so; `before` is the same file before the
 * change (undefined when the change adds it). A file over the length limit counts when it grew.
 * Functions are matched by name, since lines move: each function over the limit is excused by one
 * function of the same name in `before` that was at least as bad, the worst first, so several
 * functions sharing a name (`<anonymous>` callbacks) are judged one for one, never all against the
 * worst or the last of them.
 */
export function madeWorse(gate: LimitGate, after: FileMeasures, before: FileMeasures | undefined, limits: Limits): Offender[] {
  const over = overLimit(gate, after, limits);
  if (over.length === 0 || before === undefined) return over;
  if (gate === "file-length") return after.lines > before.lines ? over : [];
  const was = new Map<string, number[]>();
  for (const f of before.functions) was.set(f.name, [...(was.get(f.name) ?? []), measureOf(gate, f)]);
  for (const values of was.values()) values.sort((a, b) => b - a);
  const excused = new Set<Offender>();
  const used = new Map<string, number>();
  for (const offender of [...over].sort((a, b) => b.value - a.value)) {
    const name = offender.name ?? "";
    const next = used.get(name) ?? 0;
    if ((was.get(name)?.[next] ?? 0) < offender.value) continue;
    excused.add(offender);
    used.set(name, next + 1);
  }
  return over.filter((o) => !excused.has(o));
}

/** An offender as the gates' details name it. */
export function describeOffender(gate: LimitGate, o: Offender): string {
  if (gate === "file-length") return `${o.path}: ${o.value} lines`;
  return `${o.path}:${o.line} ${o.name}: ${gate === "complexity" ? `complexity ${o.value}` : `${o.value} lines`}`;
}

const MAX_DETAILS = 10;

/**
 * A failing limit gate judged on what the change made worse: it fails only on `worse` (its value
 * the worst of them), and says how many offenders were already so before and are let through.
 * `over` is everything over the limit now.
 */
export function judgedOnChange(
  gate: Gate & { name: LimitGate },
  over: readonly Offender[],
  worse: readonly Offender[],
  where: string,
): Gate {
  const kept = over.length - worse.length;
  const note = `${kept} over the limit ${where} and not made worse: not held against this change`;
  if (worse.length === 0)
    return { ...gate, passed: true, details: [`(only code already over the limit ${where}, not made worse)`, ...gate.details] };
  // The complexity gate's first detail counts the functions measured (measureGates): still true.
  const summary = gate.name === "complexity" ? gate.details.slice(0, 1) : [];
  const sorted = [...worse].sort((a, b) => b.value - a.value);
  return {
    ...gate,
    passed: false,
    value: sorted[0]?.value ?? gate.value,
    over: worse.length,
    details: [...summary, ...sorted.slice(0, MAX_DETAILS).map((o) => describeOffender(gate.name, o)), ...(kept > 0 ? [`(${note})`] : [])],
  };
}
