import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { BrError } from "../../src/infra/errors.ts";
import { advise, bootstrap, candidateCount, candidateLadders, skipAdvice } from "../../src/routing/advise.ts";
import { routeTask, stepForAttempt } from "../../src/routing/ladder.ts";
import { configIdOf, executorOf, parseMaps, tableIdOf } from "../../src/routing/model-ids.ts";
import { addOutcome, emptyTable, type OutcomeTable, parseOutcomes } from "../../src/routing/outcomes.ts";
import { tablePolicy } from "../../src/routing/policy.ts";
import { cheapestFirst, meanCost, oracle, simulateLadder, simulatePolicy, simulationReport, walkTask } from "../../src/routing/simulate.ts";

/** bootstrap over the three walks in its test: the share below and the 90% ratio bounds (×1000), fixed by the seeded generator. */
const GOLDEN_BOOTSTRAP = [0.79, 400, 1500];

/** rows: [task, model, resolved, cost] */
function tableOf(rows: [string, string, boolean, number | null][], kinds: Record<string, string> = {}): OutcomeTable {
  const table = emptyTable("t.jsonl");
  for (const [task, model, resolved, costUsd] of rows) addOutcome(table, task, model, { resolved, costUsd });
  for (const [task, kind] of Object.entries(kinds)) table.kinds.set(task, kind);
  return table;
}

const SMALL = tableOf([
  ["t1", "cheap", true, 0.1],
  ["t1", "strong", true, 1],
  ["t2", "cheap", false, 0.2],
  ["t2", "strong", true, 1],
  ["t3", "cheap", false, 0.1],
  ["t3", "strong", false, 2],
  ["t4", "cheap", true, 0.2],
  ["t4", "strong", false, 1],
]);

const throwsUsage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (error: unknown) => error instanceof BrError && error.exitCode === 2 && message.test(error.message));

describe("parseOutcomes", () => {
  it("reads lines with model or run, text and null costs; skips blank lines", () => {
    const table = parseOutcomes(
      [
        '{"task_id": "a", "model": "m", "resolved": true, "cost_usd": 0.5, "text": "Fix it"}',
        "",
        '{"task_id": 7, "run": "r1", "resolved": false, "cost_usd": null}',
      ].join("\n"),
      "f.jsonl",
    );
    assert.deepEqual(table.tasks, ["a", "7"]);
    assert.deepEqual(table.models, ["m", "r1"]);
    assert.deepEqual(table.outcomes.get("7")?.get("r1"), { resolved: false, costUsd: null });
    assert.equal(table.texts.get("a"), "Fix it");
  });

  it("names the line and the field of a bad record", () => {
    const good = '{"task_id": "a", "model": "m", "resolved": true, "cost_usd": 1}';
    for (const [line, message] of [
      ["[1]", /f\.jsonl:2: not a JSON object/],
      ['{"model": "m", "resolved": true, "cost_usd": 1}', /f\.jsonl:2: missing "task_id"/],
      ['{"task_id": "", "model": "m", "resolved": true, "cost_usd": 1}', /missing "task_id"/],
      ['{"task_id": "a", "model": "", "resolved": true, "cost_usd": 1}', /missing "model"/],
      ['{"task_id": "b", "model": "m", "resolved": "yes", "cost_usd": 1}', /missing "resolved"/],
      ['{"task_id": "b", "model": "m", "resolved": true}', /missing "cost_usd"/],
      ['{"task_id": "b", "model": "m", "resolved": true, "cost_usd": "1"}', /"cost_usd" must be a number/],
      ['{"task_id": "b", "model": "m", "resolved": true, "cost_usd": 1, "text": 3}', /"text" must be a string/],
      [good, /f\.jsonl:2: a second outcome for task a on model m \(the first is on line 1\)/],
    ] as const)
      throwsUsage(() => parseOutcomes(`${good}\n${line}\n`, "f.jsonl"), message);
    throwsUsage(() => parseOutcomes("\n", "f.jsonl"), /no outcomes in it/);
  });

  it("--scaffold keeps one agent version; a mixed file's duplicate says to pick one", () => {
    const mixed = [
      '{"task_id": "a", "model": "m", "resolved": true, "cost_usd": 1, "scaffold": "v1"}',
      '{"task_id": "a", "model": "m", "resolved": false, "cost_usd": 2, "scaffold": "v2"}',
    ].join("\n");
    assert.throws(
      () => parseOutcomes(mixed, "f"),
      (e: unknown) => e instanceof BrError && /--scaffold "v2"/.test(e.fix ?? ""),
    );
    assert.equal(parseOutcomes(mixed, "f", { scaffold: "v2" }).outcomes.get("a")?.get("m")?.costUsd, 2);
    assert.throws(
      () => parseOutcomes(mixed, "f", { scaffold: "v3" }),
      (e: unknown) => e instanceof BrError && /scaffold "v3"/.test(e.message) && /v1, v2/.test(e.fix ?? ""),
    );
  });
});

describe("simulate", () => {
  it("walks each task up the ladder paying every attempt until one solves it", () => {
    assert.deepEqual(walkTask(SMALL, "t2", ["cheap", "strong"], 0, 2), { solved: true, cost: 1.2 });
    assert.deepEqual(walkTask(SMALL, "t3", ["cheap", "strong"], 0, 2), { solved: false, cost: 2.1 });
    assert.deepEqual(walkTask(SMALL, "t2", ["cheap", "strong"], 0, 1), { solved: false, cost: 0.2 });
    assert.deepEqual(walkTask(SMALL, "t2", ["cheap", "strong"], 1, 2), { solved: true, cost: 1 });
    assert.equal(walkTask(SMALL, "t2", ["cheap", "missing"], 0, 2), undefined);
    assert.deepEqual(
      walkTask(SMALL, "t1", ["cheap", "missing"], 0, 2),
      { solved: true, cost: 0.1 },
      "a solved task needs no further outcome",
    );
  });

  it("figures count only the tasks whose outcomes are known", () => {
    const ragged = tableOf([
      ["a", "x", true, 1],
      ["b", "x", false, 1],
      ["b", "y", true, 3],
    ]);
    assert.deepEqual(simulateLadder(ragged, ["y"]), { solved: 1, costPerTask: 3, tasks: 1 });
    assert.deepEqual(simulateLadder(ragged, ["x", "y"]), { solved: 1, costPerTask: 2.5, tasks: 2 });
    assert.deepEqual(simulateLadder(ragged, ["z"]), { solved: 0, costPerTask: 0, tasks: 0 });
  });

  it("the policy's start rule and attempt limit; cheapest first; the oracle pays the cheapest attempt on an unsolved task", () => {
    const policy = { ladder: ["cheap", "strong"], maxAttempts: 2, startFor: (t: string) => (t === "t1" ? 1 : 0) };
    const f = simulatePolicy(SMALL, policy);
    assert.equal(f.solved, 0.75);
    assert.ok(Math.abs(f.costPerTask - (1 + 1.2 + 2.1 + 0.2) / 4) < 1e-9);
    assert.deepEqual(cheapestFirst(SMALL, ["strong", "cheap"]), ["cheap", "strong"]);
    const o = oracle(SMALL, ["cheap", "strong"]);
    assert.equal(o.solved, 0.75);
    assert.ok(Math.abs(o.costPerTask - (0.1 + 1 + 0.1 + 0.2) / 4) < 1e-9);
    const report = simulationReport(SMALL, { ladder: ["cheap"], maxAttempts: 2 }, "strong");
    assert.deepEqual(report.oracle.models, ["cheap", "strong"]);
    assert.deepEqual(report.reference, { model: "strong", solved: 0.5, costPerTask: 1.25, tasks: 4 });
  });
});

describe("advise", () => {
  it("candidates are every ladder of up to n distinct steps ending on the reference", () => {
    assert.deepEqual(candidateLadders(["a", "b", "r"], "r", 1), [["r"]]);
    assert.deepEqual(candidateLadders(["a", "b", "r"], "r", 2), [["r"], ["a", "r"], ["b", "r"]]);
    assert.equal(candidateLadders(["a", "b", "c", "r"], "r", 3).length, 1 + 3 + 6);
  });

  it("recommends the cheapest, which solves at least what the reference does; models without costs are left out", () => {
    const table = tableOf([
      ...(SMALL.tasks.flatMap((t) => [...(SMALL.outcomes.get(t) ?? [])].map(([m, o]) => [t, m, o.resolved, o.costUsd])) as [
        string,
        string,
        boolean,
        number,
      ][]),
      ["t1", "free", true, null],
    ]);
    const advice = advise(table, { reference: "strong", maxSteps: 2 });
    assert.deepEqual(advice.recommended.ladder, ["cheap", "strong"]);
    assert.ok(Math.abs((advice.recommended.costRatio ?? 0) - 0.9 / 1.25) < 1e-9);
    assert.deepEqual(advice.excluded, [{ model: "free", reason: "no cost recorded" }]);
    assert.equal(advice.reference.solved, 0.5);
    assert.ok(advice.confidence);
    assert.equal(advise(table, { reference: "strong", maxSteps: 1 }).recommended.ladder.length, 1);
  });

  it("counts the ladders it would compare", () => {
    assert.equal(candidateCount(3, 1), 1);
    assert.equal(candidateCount(3, 2), 3);
    assert.equal(candidateCount(4, 3), candidateLadders(["a", "b", "c", "r"], "r", 3).length);
    assert.equal(candidateCount(2, 4), 2);
    assert.equal(candidateCount(100, 4), 1 + 99 + 99 * 98 + 99 * 98 * 97);
  });

  it("without a current ladder and too few reference outcomes, recommends nothing new and says so", () => {
    const sparse = tableOf([
      ["a", "x", true, 1],
      ["b", "x", true, 1],
      ["c", "y", true, 5],
    ]);
    const advice = advise(sparse, { reference: "y", maxSteps: 2 });
    assert.deepEqual(advice.recommended.ladder, ["y"]);
    assert.match(advice.note ?? "", /no ladder is recommended/);
  });

  it("keeps the current ladder, and says why, when the reference is known for too few tasks", () => {
    const ledger = tableOf([
      ["a", "x", true, 1],
      ["b", "x", true, 1],
      ["c", "x", false, 1],
      ["c", "y", true, 5],
    ]);
    const advice = advise(ledger, { reference: "y", maxSteps: 2, current: ["x", "y"] });
    assert.deepEqual(advice.recommended.ladder, ["x", "y"]);
    assert.equal(advice.recommended.costRatio, null);
    assert.match(advice.note ?? "", /y's outcome for 1 of 3 task/);
  });

  it("bootstrap: a ladder always cheaper is cheaper in every resample; the same walks give the same figures", () => {
    const walks = [
      { ladder: 1, reference: 2 },
      { ladder: 3, reference: 4 },
    ];
    const c = bootstrap(walks, 50);
    assert.equal(c.costBelowReference, 1);
    assert.ok(c.costRatio90[0] >= 0.5 && c.costRatio90[1] <= 0.75);
    assert.deepEqual(bootstrap(walks, 50), c);
    assert.equal(bootstrap([{ ladder: 5, reference: 1 }], 10).costBelowReference, 0);
  });

  it("per kind: skip the first step where it fails and skipping costs less; keep it where it solves", () => {
    const table = tableOf(
      [
        ["m1", "x", false, 1],
        ["m1", "y", true, 2],
        ["m2", "x", false, 1],
        ["m2", "y", true, 2],
        ["m3", "x", false, 1],
        ["m3", "y", true, 4],
        ["d1", "x", true, 1],
        ["d2", "x", true, 1],
        ["d3", "x", true, 1],
        ["z1", "x", true, 1],
      ],
      { m1: "migration", m2: "migration", m3: "migration", d1: "docs", d2: "docs", d3: "docs", z1: "rare" },
    );
    const advice = skipAdvice(table, ["x", "y"]);
    assert.deepEqual(
      advice.map((a) => [a.kind, a.tasks, a.firstStepSolved, a.skip]),
      [
        ["docs", 3, 3, false],
        ["migration", 3, 0, true],
      ],
    );
    const migration = advice.find((a) => a.kind === "migration");
    assert.equal(migration?.costPerTask, (3 + 3 + 5) / 3);
    assert.equal(migration?.costPerTaskSkipping, (2 + 2 + 4) / 3);
    // docs never reached y: its skipping cost is the overall mean y cost.
    assert.equal(advice.find((a) => a.kind === "docs")?.costPerTaskSkipping, 8 / 3);
    assert.deepEqual(skipAdvice(table, ["x"]), []);
  });
});

describe("model ids and the table policy", () => {
  it("joins table ids to config ids by --map, the shipped aliases, then equality", () => {
    const maps = parseMaps(["cheap=cheap-model"]);
    assert.equal(configIdOf("cheap", maps), "cheap-model");
    assert.equal(configIdOf("claude-4-5-opus-high", maps), "claude-opus-4-5");
    assert.equal(configIdOf("other", maps), "other");
    throwsUsage(() => parseMaps(["nope"]), /--map nope: expected tableModel=configModel/);
    const table = tableOf([
      ["t", "claude-4-5-opus-high", true, 1],
      ["t", "cheap", true, 1],
    ]);
    assert.equal(tableIdOf(table, "claude-opus-4-5", maps, "ref"), "claude-4-5-opus-high");
    assert.equal(tableIdOf(table, "claude-4-5-opus-high", maps, "ref"), "claude-4-5-opus-high");
    assert.equal(tableIdOf(table, "cheap-model", maps, "ref"), "cheap");
    throwsUsage(() => tableIdOf(table, "gpt-9", maps, "ref"), /ref names gpt-9/);
    const twice = tableOf([
      ["t", "claude-4-5-opus-high", true, 1],
      ["t", "claude-opus-4-5-20251101", true, 1],
    ]);
    throwsUsage(() => tableIdOf(twice, "claude-opus-4-5", new Map(), "ref"), /matches several models/);
    assert.deepEqual(["claude-opus-4-5", "gpt-5-mini", "gemini-3-flash", "minimax-2-5"].map(executorOf), [
      "claude",
      "codex",
      "gemini",
      undefined,
    ]);
  });

  it("replays the config's policy: the default ladder through aliases, the score policy only with texts", () => {
    const table = tableOf([
      ["t", "claude-4-5-haiku-high", false, 0.3],
      ["t", "claude-4-5-opus-high", true, 0.7],
    ]);
    const policy = tablePolicy(configSchema.parse({}), table, new Map());
    assert.deepEqual(policy.ladder, ["claude-4-5-haiku-high", "claude-4-5-opus-high"]);
    assert.equal(policy.maxAttempts, 2);
    throwsUsage(
      () => tablePolicy(configSchema.parse({ routing: { policy: "score", tiers: { sonnet: "claude-haiku-4-5" } } }), table, new Map()),
      /routing\.policy is score, which reads each task's text/,
    );
    table.texts.set("t", "Fix a typo");
    const score = tablePolicy(
      configSchema.parse({ routing: { policy: "score", tiers: { sonnet: "claude-haiku-4-5" }, thresholds: { sonnet: 0, opus: 100 } } }),
      table,
      new Map(),
    );
    assert.equal(score.startFor?.("t"), 0);
  });
});

describe("advise and simulate: the edges", () => {
  /** n tasks: "cheap" solves the even ones at 0.1, "strong" all at 1. */
  function evenTable(n: number, extra: (i: number) => [string, string, boolean, number | null][] = () => []) {
    return tableOf(
      Array.from({ length: n }, (_, i) => [
        [`t${i}`, "cheap", i % 2 === 0, 0.1] as [string, string, boolean, number],
        [`t${i}`, "strong", true, 1] as [string, string, boolean, number],
        ...extra(i),
      ]).flat(),
    );
  }

  it("figures of the recommendation and its alternatives; a ladder of one has no confidence", () => {
    const table = evenTable(10, (i) => [[`t${i}`, "mid", i % 3 !== 0, 0.5]]);
    const advice = advise(table, { reference: "strong", maxSteps: 2 });
    assert.deepEqual(advice.recommended.ladder, ["cheap", "strong"]);
    assert.equal(advice.recommended.solved, 1);
    assert.ok(Math.abs(advice.recommended.costPerTask - 0.6) < 1e-9, "0.1 each, and 1 more on the 5 odd tasks");
    assert.equal(advice.recommended.tasks, 10);
    assert.equal(advice.confidence?.resamples, 200);
    assert.deepEqual(
      advice.alternatives.map((a) => a.ladder),
      [["mid", "strong"], ["strong"]],
    );
    assert.equal(advise(table, { reference: "strong", maxSteps: 1 }).confidence, null);
    // Equal cost: the shorter ladder first.
    const tie = tableOf([
      ["t", "a", false, 0],
      ["t", "r", true, 1],
    ]);
    assert.deepEqual(advise(tie, { reference: "r", maxSteps: 2 }).recommended.ladder, ["r"]);
  });

  it("compares on at least 90% of the tasks; a model with a missing cost is never a step", () => {
    // The reference known on 9 of 10 tasks: compared.
    const nine = evenTable(9);
    addOutcome(nine, "t9", "cheap", { resolved: true, costUsd: 0.1 });
    assert.deepEqual(advise(nine, { reference: "strong", maxSteps: 2 }).recommended.ladder, ["cheap", "strong"]);
    const eight = evenTable(8);
    for (const t of ["t8", "t9"]) addOutcome(eight, t, "cheap", { resolved: true, costUsd: 0.1 });
    assert.notEqual(advise(eight, { reference: "strong", maxSteps: 2, current: ["cheap", "strong"] }).note, null);
    // "free" solves everything at no cost but one of its 20 costs is unknown.
    const free = evenTable(20, (i) => [[`t${i}`, "free", true, i === 0 ? null : 0]]);
    const advice = advise(free, { reference: "strong", maxSteps: 2 });
    assert.deepEqual(advice.recommended.ladder, ["cheap", "strong"]);
    assert.deepEqual(advice.excluded, [{ model: "free", reason: "no cost recorded" }]);
  });

  it("a reference that costs nothing gives a ratio of 1; bootstrap figures are fixed for fixed walks", () => {
    const zero = tableOf([
      ["t", "a", true, 0],
      ["t", "r", true, 0],
    ]);
    assert.equal(advise(zero, { reference: "r", maxSteps: 2 }).recommended.costRatio, 1);
    assert.deepEqual(bootstrap([{ ladder: 0, reference: 0 }], 5), { resamples: 5, costBelowReference: 0, costRatio90: [1, 1] });
    assert.equal(bootstrap([{ ladder: 2, reference: 2 }], 5).costBelowReference, 0, "equal is not below");
    const walks = [
      { ladder: 1, reference: 4 },
      { ladder: 3, reference: 2 },
      { ladder: 2, reference: 2 },
    ];
    const c = bootstrap(walks, 100);
    assert.deepEqual(c, bootstrap(walks, 100));
    assert.ok(c.costRatio90[0] < c.costRatio90[1]);
    assert.ok(c.costBelowReference > 0.3 && c.costBelowReference < 1);
    assert.deepEqual([c.costBelowReference, ...c.costRatio90.map((r) => Math.round(r * 1000))], GOLDEN_BOOTSTRAP);
  });

  it("per kind: a task begun on step 2 is not counted, an unknown walk drops the kind, a tie keeps the step", () => {
    const table = tableOf(
      [
        ["a1", "x", false, 1],
        ["a1", "y", true, 1],
        ["a2", "x", false, 1],
        ["a2", "y", true, 1],
        ["a3", "x", true, 1],
        ["a4", "y", true, 1],
        ["b1", "x", false, 1],
        ["b2", "x", false, 1],
        ["b3", "x", false, 1],
        ["b3", "y", true, 1],
      ],
      { a1: "api", a2: "api", a3: "api", a4: "api", b1: "batch", b2: "batch", b3: "batch" },
    );
    const advice = skipAdvice(table, ["x", "y"]);
    assert.deepEqual(
      advice.map((a) => [a.kind, a.tasks, a.costPerTask, a.costPerTaskSkipping, a.skip]),
      [["api", 3, 5 / 3, 1, true]],
    );
    const tie = tableOf(
      [
        ["c1", "x", true, 2],
        ["c2", "x", true, 2],
        ["c3", "x", false, 1],
        ["c3", "y", true, 1],
      ],
      { c1: "cli", c2: "cli", c3: "cli" },
    );
    const [cli] = skipAdvice(tie, ["x", "y"]);
    assert.deepEqual([cli?.costPerTask, cli?.costPerTaskSkipping, cli?.skip], [2, 1, true]);
    const even = tableOf(
      [
        ["c1", "x", true, 1],
        ["c2", "x", true, 1],
        ["c3", "x", true, 1],
        ["c4", "x", false, 1],
        ["c4", "y", true, 1],
      ],
      { c1: "cli", c2: "cli", c3: "cli" },
    );
    assert.equal(skipAdvice(even, ["x", "y"])[0]?.skip, false, "skipping costs the same: keep the step");
  });

  it("simulate: unknown tasks, mean costs, ties and the oracle on a ragged table", () => {
    assert.equal(walkTask(SMALL, "nope", ["cheap"], 0, 1), undefined);
    const ragged = tableOf([
      ["a", "x", true, 1],
      ["a", "y", false, 3],
      ["b", "x", false, null],
      ["b", "y", true, 2],
      ["c", "y", true, 2],
      ["c", "z", true, 2],
    ]);
    assert.equal(meanCost(ragged, "x"), 1);
    assert.equal(meanCost(ragged, "y"), 7 / 3);
    assert.equal(meanCost(ragged, "w"), Number.POSITIVE_INFINITY);
    assert.deepEqual(cheapestFirst(ragged, ["z", "y", "x"]), ["x", "z", "y"]);
    const even = tableOf([
      ["t", "q", true, 1],
      ["t", "p", true, 1],
    ]);
    assert.deepEqual(cheapestFirst(even, ["q", "p"]), ["p", "q"], "equal cost: by name");
    assert.deepEqual(oracle(ragged, ["x", "y"]), { solved: 1, costPerTask: 1, tasks: 1 });
    const report = simulationReport(ragged, { ladder: ["x", "y"], maxAttempts: 2 }, "y");
    assert.deepEqual(report.policy, { ladder: ["x", "y"], solved: 1, costPerTask: 1, tasks: 1 });
    assert.deepEqual(report.cheapestFirst.ladder, ["x", "y"]);
    assert.equal(report.tasks, 3);
  });

  it("ladder: the score policy falls back to the band's position; reasons list the score's first three", () => {
    const cfg = configSchema.parse({ routing: { policy: "score", ladder: ["a", "b"], thresholds: { sonnet: 0, opus: 0 } } });
    const routed = routeTask({ text: "Fix a typo" }, cfg, "claude");
    assert.equal(routed.start, 1);
    const mid = configSchema.parse({ routing: { policy: "score", ladder: ["a", "b", "c"], thresholds: { sonnet: 0, opus: 100 } } });
    assert.equal(routeTask({ text: "Fix a typo" }, mid, "claude").start, 1);
    const r = { ...routed, reasons: ["one", "two", "three", "four"] };
    assert.match(stepForAttempt(r, 1).reason, /complexity \d+ \(one; two; three\)$/);
    assert.match(stepForAttempt({ ...routed, reasons: [] }, 1).reason, /complexity \d+$/);
  });
});
