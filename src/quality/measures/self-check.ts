/**
 * oxc's self-check: a sample of every JS/TS measure rule (names, complexity, lines, stubs) and what
 * Lezer's measurer reads from it. oxc's lazy AST is not a stable API, so before oxc's measures are
 * used, oxc measures the sample and must give exactly this; a version that differs falls back to
 * Lezer rather than measure differently. The expected measures are stored rather than computed at
 * run time, so a hook that measures a few files does not load Lezer's grammar for the comparison;
 * test/unit/oxc-measures.test.ts checks that Lezer still reads exactly these from the sample.
 */
import type { FileMeasures } from "./rules.js";

const SAMPLE_TEXT = `// sample
export class Store<T> extends Base {
  @logged() /* why */ static async load(id: string, _x?: number): Promise<void> {
    if ((id && this.ready) || (id ?? 0)) for (const k of [1]) while (k) break;
    switch (id) { case "a": break; default: }
    try { x ??= 1; } catch { y ||= (z ? 1 : 2); }
  }
  get size(): number { return 1; }
  protected hook(): void {}
  save() {}
  handle = (e: string) => e.length;
  fail(): never { throw new Error("Not implemented"); }
  overload(a: string): void;
  overload(a: unknown) { do { a = 1; } while (a); }
  ["computed" + key]() {}
}
const square = ((n: number) => n * n) as Op;
exports.run = function () { return 1; };
const table = { open() { return 1; }, close: () => 2, get x() { return 3; }, "q-s"() {} };
function later(..._rest: never[]) {}
function Legacy(a) {}
setTimeout(() => square(2), 10);
`;

export const SELF_CHECK = { path: "sample.ts", text: SAMPLE_TEXT } as const;

/** What Lezer's measurer reads from the sample (kept equal by test/unit/oxc-measures.test.ts). */
export const SELF_CHECK_EXPECTED: FileMeasures = {
  path: "sample.ts",
  language: "typescript",
  lines: 22,
  codeLines: 21,
  functions: [
    { name: "Store.load", line: 3, endLine: 7, lines: 5, complexity: 12 },
    { name: "Store.size", line: 8, endLine: 8, lines: 1, complexity: 1 },
    { name: "Store.hook", line: 9, endLine: 9, lines: 1, complexity: 1 },
    { name: "Store.save", line: 10, endLine: 10, lines: 1, complexity: 1, stub: "empty" },
    { name: "Store.handle", line: 11, endLine: 11, lines: 1, complexity: 1 },
    { name: "Store.fail", line: 12, endLine: 12, lines: 1, complexity: 1, stub: "not-implemented" },
    { name: "Store.overload", line: 14, endLine: 14, lines: 1, complexity: 2 },
    { name: 'Store.["computed"+key]', line: 15, endLine: 15, lines: 1, complexity: 1, stub: "empty" },
    { name: "square", line: 17, endLine: 17, lines: 1, complexity: 1 },
    { name: "exports.run", line: 18, endLine: 18, lines: 1, complexity: 1 },
    { name: "open", line: 19, endLine: 19, lines: 1, complexity: 1 },
    { name: "close", line: 19, endLine: 19, lines: 1, complexity: 1 },
    { name: "x", line: 19, endLine: 19, lines: 1, complexity: 1 },
    { name: "q-s", line: 19, endLine: 19, lines: 1, complexity: 1 },
    { name: "later", line: 20, endLine: 20, lines: 1, complexity: 1 },
    { name: "Legacy", line: 21, endLine: 21, lines: 1, complexity: 1 },
    { name: "<anonymous>", line: 22, endLine: 22, lines: 1, complexity: 1 },
  ],
};

/** Whether a measurer's reading of the sample is exactly the expected one. */
export function agreesOnSample(measures: FileMeasures | undefined): boolean {
  return measures !== undefined && JSON.stringify(measures) === JSON.stringify(SELF_CHECK_EXPECTED);
}
