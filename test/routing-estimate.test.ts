import assert from "node:assert/strict";
import { describe, it } from "node:test";
import signals from "../data/complexity-signals.json" with { type: "json" };
import {
  COMPLEXITY_SIGNALS,
  createEstimator,
  DEFAULT_THRESHOLDS,
  type Estimate,
  estimateComplexity,
  scalePoints,
  type TaskText,
  tierForScore,
} from "../src/routing/estimate.ts";

const TYPO: TaskText = { text: "Fix typo" };

const CONCURRENCY_REFACTOR: TaskText = {
  title: "Refactor the job scheduler to run workers concurrently",
  text: [
    "The scheduler in `src/jobs/scheduler.ts` runs every job on one thread. Refactor it so that workers run in parallel,",
    "with a lock around the shared queue in `src/jobs/queue.ts` and atomic updates of `JobState` in `src/db/jobs.ts`.",
    "We are not sure why jobs are sometimes picked twice today; investigate the race between `claimJob()` and `retryJob()`.",
    "Keep the public API of `Scheduler.start()` backward compatible, and also migrate the jobs table to store the worker id.",
  ].join("\n"),
  files: ["src/jobs/scheduler.ts", "src/jobs/queue.ts", "src/jobs/worker.ts", "src/db/jobs.ts", "src/db/migrations/0007.sql"],
  dependsOn: ["jobs.data-model", "jobs.api"],
  acceptance: ["No job runs twice", "Workers scale to 8", "A crash releases the job", "Existing callers still compile"],
};

/** The points a reason reports, from its "(+n)" or "(−n)" suffix. */
function points(reason: string): number | undefined {
  const m = /\(([+−])(\d+)\)$/.exec(reason);
  if (!m) return undefined;
  return (m[1] === "+" ? 1 : -1) * Number(m[2]);
}

function assertWellFormed(e: Estimate): void {
  assert.ok(Number.isInteger(e.score), `score ${e.score} is an integer`);
  assert.ok(e.score >= 0 && e.score <= 100, `score ${e.score} is within 0..100`);
  assert.ok(e.reasons.length > 0, "there is at least one reason");
  for (const r of e.reasons) assert.ok(r.length > 0 && r.length <= 120, `short reason: ${r}`);
}

describe("estimateComplexity", () => {
  it("scores a one-word typo fix below a multi-file concurrency refactor, across tiers", () => {
    const low = estimateComplexity(TYPO);
    const high = estimateComplexity(CONCURRENCY_REFACTOR);
    assert.ok(low.score < high.score, `${low.score} < ${high.score}`);
    assert.equal(tierForScore(low.score), "haiku");
    assert.equal(tierForScore(high.score), "opus");
  });

  it("explains what raised and lowered the score", () => {
    const low = estimateComplexity(TYPO);
    assert.ok(
      low.reasons.some((r) => /wording/.test(r) && (points(r) ?? 0) < 0),
      low.reasons.join("; "),
    );
    const high = estimateComplexity(CONCURRENCY_REFACTOR).reasons.join("; ");
    for (const expected of [
      /risk area: concurrency .*\(\+\d+\)/,
      /refactor/,
      /5 files to change \(\+\d+\)/,
      /depends on 2 tasks/,
      /4 acceptance criteria/,
    ])
      assert.match(high, expected);
  });

  it("reports points that add up to the score when it is not clamped", () => {
    for (const input of [
      CONCURRENCY_REFACTOR,
      { text: "Add a --json flag to `br status`" },
      { text: "Crash in parser.parse() on empty input" },
    ]) {
      const e = createEstimator({ ...COMPLEXITY_SIGNALS, base: 40 })(input);
      const sum = e.reasons.map(points).reduce<number>((a, p) => a + (p ?? 0), 0);
      if (e.score > 0 && e.score < 100) assert.equal(e.score, 40 + sum, e.reasons.join("; "));
    }
  });

  it("raises the score when risk words are added", () => {
    const base = "Change how the export command writes its output file.";
    const plain = estimateComplexity({ text: base }).score;
    for (const risk of [
      "It must stay safe when two processes write at the same time (race condition).",
      "The output has to keep full floating point precision.",
      "The file format is parsed by other tools, so keep the encoding exact.",
      "Passwords in the output must be encrypted.",
    ]) {
      const risky = estimateComplexity({ text: `${base} ${risk}` }).score;
      assert.ok(risky > plain, `${risk}: ${risky} > ${plain}`);
    }
  });

  it("raises the score with more files, directories, dependencies and acceptance criteria", () => {
    const text = "Add pagination to the orders list.";
    const score = (extra: Partial<TaskText>) => estimateComplexity({ text, ...extra }).score;
    assert.ok(score({ files: ["src/orders.ts", "src/api/orders.ts", "src/ui/orders.tsx"] }) > score({ files: ["src/orders.ts"] }));
    assert.ok(score({ files: ["a/x.ts", "b/y.ts"] }) > score({ files: ["a/x.ts", "a/y.ts"] }), "another directory counts");
    assert.ok(score({ dependsOn: ["a", "b", "c"] }) > score({ dependsOn: [] }));
    assert.ok(score({ acceptance: ["1", "2", "3", "4", "5"] }) > score({ acceptance: ["1"] }));
  });

  it("scores a longer, broader description higher than a short one", () => {
    const short = estimateComplexity({ text: "Rename the `--out` flag to `--output`." }).score;
    const long = estimateComplexity({
      text: [
        "Support exporting reports as CSV and JSON",
        "Reports can only be printed today. Add an export to CSV and JSON for every report type, across the CLI and the API:",
        "`ReportWriter`, `CsvFormatter`, `JsonFormatter` and `report.export()` in src/report/writer.ts, src/report/csv.ts and",
        "src/api/reports.ts. Dates should be written in UTC. It would also be nice to stream large reports instead of",
        "building them in memory, and the existing `report.print()` should keep working.",
      ].join("\n"),
    }).score;
    assert.ok(short < long, `${short} < ${long}`);
  });

  it("lowers the score when the fix is pinpointed", () => {
    const text = [
      "Totals are wrong for orders with discounts",
      "The order total ignores discounts applied to single lines, so customers are charged the full price.",
    ].join("\n");
    const described = estimateComplexity({ text }).score;
    const withPatch = estimateComplexity({
      text: `${text}\n\n\`\`\`diff\n--- a/src/orders/total.ts\n+++ b/src/orders/total.ts\n@@ -3 +3 @@\n-  return sum(lines)\n+  return sum(lines) - discount\n\`\`\``,
    });
    assert.ok(withPatch.score < described, `${withPatch.score} < ${described}`);
    assert.ok(withPatch.reasons.some((r) => r.startsWith("includes a patch")));
    const pointed = estimateComplexity({
      text: `${text}\nThe culprit is https://github.com/acme/shop/blob/main/src/orders/total.ts#L42 which should subtract it.`,
    });
    assert.ok(pointed.score < described, `${pointed.score} < ${described}`);
  });

  it("takes the category from the task's kind", () => {
    const text = "Write the section about retries.";
    const docs = estimateComplexity({ text, kind: "docs" });
    const feature = estimateComplexity({ text, kind: "feature" });
    const integration = estimateComplexity({ text, kind: "integration" });
    assert.ok(docs.score < feature.score, `${docs.score} < ${feature.score}`);
    assert.ok(docs.score < integration.score);
    assert.ok(integration.reasons.some((r) => r.startsWith("integration task")));
  });

  it("always returns an integer score in 0..100 with reasons", () => {
    const huge = `${"Refactor every module across the codebase for thread safety, precision and backward compatibility. ".repeat(3000)}`;
    const inputs: TaskText[] = [
      { text: "" },
      { text: "   \n\n " },
      { text: "x" },
      { text: "typo", title: "Typo", kind: "docs" },
      { text: huge, files: Array.from({ length: 60 }, (_, i) => `pkg${i}/f${i}.ts`), dependsOn: ["a", "b", "c", "d", "e", "f"] },
      { text: "```\nunclosed fence\nwith code(", acceptance: [] },
      { text: 'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nValueError: bad' },
      { text: "\u0000\uffff 🎉 ünïcödé `` ` ``` {{{ }}} <!-- unclosed", kind: "unknown-kind" },
      CONCURRENCY_REFACTOR,
    ];
    for (const input of inputs) assertWellFormed(estimateComplexity(input));
    assert.equal(estimateComplexity(inputs[4] as TaskText).score, 100);
  });

  it("explains a task with no signals", () => {
    const e = estimateComplexity({ text: "Update the thing in the place so that it does what the team agreed on last week." });
    assertWellFormed(e);
  });

  // Throughput is measured in bench/routing-eval.ts (`model route --batch`), not asserted here.
  it("is deterministic", () => {
    assert.deepEqual(estimateComplexity(CONCURRENCY_REFACTOR), estimateComplexity(CONCURRENCY_REFACTOR));
  });

  it("has no catastrophic backtracking: a 100,000-character word or a 1 MB text scores in well under a second", () => {
    // A guard, not a performance target (bench/ measures those): a quadratic pattern took ~10 s on the first input.
    const paragraph = `Rename foo_bar in src/pkg/mod.py and call \`Store.flush()\` from HTTPClient. ${"a".repeat(300)} Is it safe?\n`;
    const inputs: [string, TaskText][] = [
      ["a 100,000-letter word", { text: "a".repeat(100_000) }],
      ["a 100,000-letter word after a title", { text: `Title\n${"a".repeat(99_000)}(` }],
      ["an upper-case word", { text: `Title\n${"A".repeat(99_000)}` }],
      ["a word of letters and digits", { text: `Title\n${"ab9".repeat(33_000)}` }],
      ["a line of spaces", { text: `Title\n${" ".repeat(99_000)}x` }],
      ["a bullet and spaces", { text: `Title\n- ${" ".repeat(99_000)}x` }],
      ["a heading and spaces", { text: `Title\n# a${" ".repeat(99_000)}x` }],
      ["unclosed HTML comments", { text: `Title\n${"<!--".repeat(24_000)}` }],
      ["a 1 MB issue", { text: `Title\n${paragraph.repeat(Math.ceil(1_000_000 / paragraph.length))}` }],
      ["a 1 MB title", { title: "b_".repeat(500_000), text: "x" }],
    ];
    for (const [name, input] of inputs) {
      const started = performance.now();
      assertWellFormed(estimateComplexity(input));
      const ms = performance.now() - started;
      assert.ok(ms < 2000, `${name}: ${Math.round(ms)} ms`);
    }
    // The rewritten patterns still find what they did: snake_case names (a letter before the `_`, a character after),
    // comments and a closed "## Environment ##" section left out of the prose.
    assert.ok(
      estimateComplexity({ text: "Rename foo_bar, baz_qux and quux_x here, not 1_a or x_." }).reasons.includes(
        "mentions 3 code symbols (+2)",
      ),
    );
    const template =
      "Fix the parser\n<!-- a template comment with many words -->\n## Environment ##\nmany words about the machine and the setup that do not count\n";
    assert.ok(estimateComplexity({ text: template }).reasons.includes("very short text (3 words) (−5)"));
  });
});

describe("tierForScore", () => {
  it("routes by the thresholds, each threshold belonging to the tier above", () => {
    const t = { sonnet: 30, opus: 60 };
    assert.equal(tierForScore(0, t), "haiku");
    assert.equal(tierForScore(29, t), "haiku");
    assert.equal(tierForScore(30, t), "sonnet");
    assert.equal(tierForScore(59, t), "sonnet");
    assert.equal(tierForScore(60, t), "opus");
    assert.equal(tierForScore(100, t), "opus");
    assert.equal(tierForScore(50, { sonnet: 10, opus: 50 }), "opus");
  });

  it("defaults to the thresholds of the data file", () => {
    assert.deepEqual({ ...DEFAULT_THRESHOLDS }, signals.thresholds);
    assert.ok(0 < DEFAULT_THRESHOLDS.sonnet && DEFAULT_THRESHOLDS.sonnet < DEFAULT_THRESHOLDS.opus && DEFAULT_THRESHOLDS.opus <= 100);
    assert.equal(tierForScore(DEFAULT_THRESHOLDS.sonnet - 1), "haiku");
    assert.equal(tierForScore(DEFAULT_THRESHOLDS.opus), "opus");
  });
});

describe("scalePoints", () => {
  it("counts items or doublings above the free amount, capped", () => {
    assert.equal(scalePoints({ free: 1, each: 4, max: 12 }, 1), 0);
    assert.equal(scalePoints({ free: 1, each: 4, max: 12 }, 3), 8);
    assert.equal(scalePoints({ free: 1, each: 4, max: 12 }, 10), 12);
    assert.equal(scalePoints({ free: 50, perDoubling: 5, max: 20 }, 200), 10);
    assert.equal(scalePoints({ free: 0, each: -3, min: -9 }, 5), -9);
  });
});
