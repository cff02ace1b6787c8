/**
 * The "made worse" decision (src/quality/regressions.ts) that `br run` and the pre-commit check
 * share: code over a limit blocks only when the change made it so.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import type { Gate } from "../../src/quality/check.ts";
import type { FileMeasures } from "../../src/quality/measures/index.ts";
import { measureFile } from "../../src/quality/measures/index.ts";
import { describeOffender, judgedOnChange, madeWorse, overLimit } from "../../src/quality/regressions.ts";

const T = { timeout: 10_000 };
const limits = configSchema.parse({ gates: { complexity: 10, functionLines: 20, fileLines: 100 } }).gates;

/** A file's measures with functions given as [name, complexity, lines]. */
function file(lines: number, functions: [string, number, number][]): FileMeasures {
  let line = 1;
  return {
    path: "src/a.js",
    language: "javascript",
    lines,
    codeLines: lines,
    functions: functions.map(([name, complexity, length]) => {
      const at = line;
      line += length;
      return { name, line: at, endLine: at + length - 1, lines: length, complexity };
    }),
  };
}

const names = (offenders: { name?: string; value: number }[]) => offenders.map((o) => `${o.name ?? "(file)"}=${o.value}`);

describe("madeWorse", () => {
  it("a new file: everything over the limit counts", T, () => {
    const after = file(50, [
      ["a", 11, 5],
      ["b", 3, 5],
    ]);
    assert.deepEqual(names(madeWorse("complexity", after, undefined, limits)), ["a=11"]);
  });

  it("a function already over the limit counts only when it got worse; equal is not worse; a new name is new", T, () => {
    const before = file(50, [
      ["same", 14, 5],
      ["grew", 12, 5],
    ]);
    const after = file(60, [
      ["same", 14, 5],
      ["grew", 13, 5],
      ["fresh", 11, 5],
      ["small", 2, 5],
    ]);
    assert.deepEqual(names(madeWorse("complexity", after, before, limits)), ["grew=13", "fresh=11"]);
    assert.deepEqual(names(madeWorse("complexity", before, before, limits)), [], "an unchanged file is never worse");
  });

  it("a function that moved (other lines, same name and complexity) is not worse", T, () => {
    const before = file(50, [["pick", 16, 5]]);
    const after = file(80, [
      ["helper", 2, 30],
      ["pick", 16, 5],
    ]);
    assert.deepEqual(madeWorse("complexity", after, before, limits), []);
  });

  it("functions sharing a name are matched one for one, the worst first", T, () => {
    const before = file(50, [
      ["<anonymous>", 20, 5],
      ["<anonymous>", 3, 5],
    ]);
    // Unchanged: each is excused by its own counterpart (not judged against the last of them, 3).
    assert.deepEqual(
      madeWorse(
        "complexity",
        file(50, [
          ["<anonymous>", 3, 5],
          ["<anonymous>", 20, 5],
        ]),
        before,
        limits,
      ),
      [],
    );
    // A second callback as bad as the first is new: only one was there.
    assert.deepEqual(
      names(
        madeWorse(
          "complexity",
          file(50, [
            ["<anonymous>", 20, 5],
            ["<anonymous>", 20, 5],
          ]),
          before,
          limits,
        ),
      ),
      ["<anonymous>=20"],
    );
    // Worse than every one before it.
    assert.deepEqual(names(madeWorse("complexity", file(50, [["<anonymous>", 21, 5]]), before, limits)), ["<anonymous>=21"]);
  });

  it("function length: judged by lines, like complexity", T, () => {
    const before = file(90, [["long", 1, 30]]);
    assert.deepEqual(madeWorse("function-length", file(90, [["long", 1, 30]]), before, limits), []);
    assert.deepEqual(names(madeWorse("function-length", file(90, [["long", 1, 31]]), before, limits)), ["long=31"]);
  });

  it("file length: a file over the limit counts when it grew, not when it kept or lost lines", T, () => {
    const before = file(150, []);
    assert.deepEqual(names(madeWorse("file-length", file(151, []), before, limits)), ["(file)=151"]);
    assert.deepEqual(madeWorse("file-length", file(150, []), before, limits), []);
    assert.deepEqual(madeWorse("file-length", file(120, []), before, limits), []);
    assert.deepEqual(names(madeWorse("file-length", file(101, []), undefined, limits)), ["(file)=101"]);
  });

  it("on real code: an unchanged complex function passes, a branch added to it does not", T, () => {
    const branches = (n: number) => Array.from({ length: n }, (_, i) => `  if (x === ${i}) return ${i};`).join("\n");
    const pick = (n: number) => `export function pick(x) {\n${branches(n)}\n  return -1;\n}\n`;
    const before = measureFile("src/pick.js", pick(12)) as FileMeasures;
    const touched = measureFile("src/pick.js", `// a comment on top\n${pick(12)}export const other = () => 1;\n`) as FileMeasures;
    assert.deepEqual(madeWorse("complexity", touched, before, limits), []);
    const worse = measureFile("src/pick.js", pick(13)) as FileMeasures;
    assert.deepEqual(
      madeWorse("complexity", worse, before, limits).map((o) => describeOffender("complexity", o)),
      ["src/pick.js:1 pick: complexity 14"],
    );
  });
});

describe("judgedOnChange", () => {
  const failing: Gate & { name: "complexity" } = {
    name: "complexity",
    passed: false,
    value: 30,
    threshold: 10,
    details: ["3 functions in 1 files; 2 above 10", "src/a.js:1 old: complexity 30", "src/a.js:9 fresh: complexity 12"],
    over: 2,
  };
  const old = { path: "src/a.js", line: 1, name: "old", value: 30 };
  const fresh = { path: "src/a.js", line: 9, name: "fresh", value: 12 };

  it("fails on what the change made worse only: its value is the worst of them, and the rest is counted as let through", T, () => {
    const judged = judgedOnChange(failing, [old, fresh], [fresh], "in HEAD");
    assert.equal(judged.passed, false);
    assert.equal(judged.value, 12);
    assert.equal(judged.over, 1);
    assert.deepEqual(judged.details, [
      "3 functions in 1 files; 2 above 10",
      "src/a.js:9 fresh: complexity 12",
      "(1 over the limit in HEAD and not made worse: not held against this change)",
    ]);
  });

  it("passes when nothing was made worse, and says so first", T, () => {
    const judged = judgedOnChange(failing, [old], [], "in HEAD");
    assert.equal(judged.passed, true);
    assert.equal(judged.details[0], "(only code already over the limit in HEAD, not made worse)");
  });

  it("overLimit lists a file's offenders in source order", T, () => {
    const measures = file(120, [
      ["a", 12, 25],
      ["b", 2, 5],
      ["c", 11, 5],
    ]);
    assert.deepEqual(names(overLimit("complexity", measures, limits)), ["a=12", "c=11"]);
    assert.deepEqual(names(overLimit("function-length", measures, limits)), ["a=25"]);
    assert.deepEqual(names(overLimit("file-length", measures, limits)), ["(file)=120"]);
  });
});
