/**
 * What the two JS/TS measurers (functions.ts on Lezer's tree, oxc.ts on oxc's) share, so that they
 * cannot drift apart: the result types, line counting, and the naming and stub rules documented in
 * functions.ts.
 */
import type { CodeLanguage, LineIndex } from "../../infra/syntax.js";

export type StubKind = "empty" | "pass" | "not-implemented";

export interface FunctionMeasure {
  name: string;
  /** 1-based first line. */
  line: number;
  /** 1-based last line (inclusive). */
  endLine: number;
  /** endLine - line + 1. */
  lines: number;
  /** McCabe cyclomatic complexity (≥ 1). */
  complexity: number;
  stub?: StubKind;
}

export interface FileMeasures {
  path: string;
  language: CodeLanguage;
  /** Lines of the text (a final newline does not start another line). */
  lines: number;
  /** Lines that are neither blank nor only comment. */
  codeLines: number;
  /** In source order (by start offset). */
  functions: FunctionMeasure[];
}

export const ANONYMOUS = "<anonymous>";
export const MAX_NAME = 80;
/** A thrown or raised placeholder: `throw new Error("Not implemented")`, `raise NotImplementedError`. */
export const NOT_IMPLEMENTED = /not[\s_-]*implemented|unimplemented|\btodo\b/i;
/** Functions named like a no-op: an empty body is their point. */
export const NO_OP_NAME = /(?:^|\.)(?:noop|nop|_)$/i;
/** Methods of null-object classes (`NoopMeter.record`, `NullLogger.log`): empty on purpose. */
export const NULL_OBJECT_CLASS = /^(?:Noop|NoOp|Nop|Null|Dummy|Fake|Stub|Mock|NonRecording)(?:[A-Z_]|\.)/;
/** Parameters typed `never` (`checkNever(x: never) {}`): a type-level helper. */
export const NEVER_PARAMETER = /:\s*never\b/;

export function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13 || code === 12 || code === 11;
}

/** A name as written (`Foo.prototype.bar`), whitespace removed; undefined when too long to be a name. */
export function compactName(text: string, from: number, to: number): string | undefined {
  if (to - from > MAX_NAME * 2) return undefined;
  const name = text.slice(from, to).replace(/\s+/g, "");
  return name.length > 0 && name.length <= MAX_NAME ? name : undefined;
}

/** A computed key as written from `[` to `]`, whitespace removed; `[computed]` when too long. */
export function computedKey(text: string, open: number, closeEnd: number): string {
  const key = text.slice(open, closeEnd).replace(/\s+/g, "");
  return key.length <= MAX_NAME ? key : "[computed]";
}

/**
 * Whether an empty JS/TS body is a deliberate no-op rather than a stub: hooks (`override`,
 * `protected`), anonymous and no-op-named functions, constructor functions (PascalCase
 * declarations), class constructors, methods of null-object classes, arrow functions, function
 * expressions and object-literal methods, and type-level helpers whose parameters are all `_`-named
 * or typed `never`.
 */
export function deliberatelyEmpty(head: {
  kind: "declaration" | "method" | "other";
  name: string;
  /** The key as written, for methods (`constructor`). */
  key?: string;
  hook: boolean;
  /** The parameter list as written, `(` to `)`; undefined when there is none. */
  params?: string;
  /** The plain identifier parameters (with defaults, rest), not destructured ones nor `this`. */
  paramNames: readonly string[];
}): boolean {
  const { kind, name } = head;
  if (head.hook || name === ANONYMOUS || NO_OP_NAME.test(name)) return true;
  if (kind === "declaration") {
    if (/^[A-Z]/.test(name)) return true; // a constructor function
  } else if (kind === "method") {
    if (head.key === "constructor" || NULL_OBJECT_CLASS.test(name)) return true;
  } else {
    return true; // arrow functions, function expressions, object-literal methods
  }
  if (head.params === undefined) return false;
  if (NEVER_PARAMETER.test(head.params)) return true;
  return head.paramNames.length > 0 && head.paramNames.every((p) => p.charCodeAt(0) === 95 /* _ */);
}

export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let lines = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
  return text.endsWith("\n") ? lines - 1 : lines;
}

/** Lines with a character that is neither whitespace nor inside one of the (sorted) comment ranges. */
export function countCodeLines(text: string, commentFrom: readonly number[], commentTo: readonly number[]): number {
  let count = 0;
  let comment = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code === 10 || code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || code === 0xfeff) {
      i++;
      continue;
    }
    while (comment < commentTo.length && (commentTo[comment] as number) <= i) comment++;
    if (comment < commentFrom.length && (commentFrom[comment] as number) <= i) {
      i = commentTo[comment] as number;
      continue;
    }
    // Code on this line: count it and go to the next line.
    count++;
    const newline = text.indexOf("\n", i);
    if (newline < 0) break;
    i = newline + 1;
  }
  return count;
}

/** A function's lines: from `start` to its last non-space character before `to`. */
export function lineSpan(
  lineIndex: LineIndex,
  text: string,
  start: number,
  to: number,
): Pick<FunctionMeasure, "line" | "endLine" | "lines"> {
  let end = to;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const line = lineIndex.line(start);
  const endLine = Math.max(line, lineIndex.line(Math.max(start, end - 1)));
  return { line, endLine, lines: endLine - line + 1 };
}
