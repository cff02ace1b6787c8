import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import type { ModelStats } from "../src/routing/stats.ts";
import { journal, project } from "./agent-project.ts";
import { br, brOk, git, tempDir } from "./helpers.ts";

const PRICES = JSON.parse(readFileSync(resolve(import.meta.dirname, "..", "data", "prices.json"), "utf8")) as {
  date: string;
  models: Record<string, { input: number; output: number; cacheWrite: number; cacheRead: number }>;
};

/** Dollars for a journal row's tokens at a model's table price: the hand calculation. */
function priced(
  model: string,
  row: { input_tokens: number; output_tokens: number; cache_write_tokens: number; cache_read_tokens: number },
): number {
  const p = PRICES.models[model];
  assert.ok(p, `a price for ${model}`);
  return (
    (row.input_tokens * p.input +
      row.output_tokens * p.output +
      row.cache_write_tokens * p.cacheWrite +
      row.cache_read_tokens * p.cacheRead) /
    1e6
  );
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/** The five-feature project, its tiers mapped to OpenAI models for the codex CLI, everything routed to haiku first. */
function codexProject(mode: string, sonnet = "gpt-5") {
  const p = project(mode);
  for (const [key, value] of [
    ["routing.tiers.haiku", "gpt-5-mini"],
    ["routing.tiers.sonnet", sonnet],
    ["routing.tiers.opus", "gpt-5-codex"],
    ["routing.thresholds.opus", "100"],
    ["routing.thresholds.sonnet", "100"],
    // The score policy, as every config had before ladders: a failed haiku attempt goes to sonnet.
    ["routing.policy", "score"],
  ] as const)
    brOk(["config", "set", key, value], { cwd: p.cwd });
  git(p.cwd, "commit", "-qam", "routing");
  return p;
}

describe("br model route", () => {
  it("scores a task, explains the score and picks the tier's model; --batch answers line by line", () => {
    const cwd = tempDir();
    const small = JSON.parse(brOk(["model", "route", "Fix a typo in the README", "--json"], { cwd }).stdout) as {
      tier: string;
      model: string;
      score: number;
      reasons: string[];
    };
    assert.ok(Number.isInteger(small.score) && small.score >= 0 && small.score <= 100);
    assert.equal(small.tier, "haiku");
    assert.equal(small.model, "claude-haiku-4-5");
    assert.ok(small.reasons.length > 0);
    const big = JSON.parse(
      brOk(
        [
          "model",
          "route",
          "--json",
          "Redesign the session store: migrate the database schema, make token refresh safe under concurrent requests, keep the public API backward compatible, and update src/auth/session.ts, src/auth/tokens.ts, src/db/migrations/004.sql and the client SDK.",
        ],
        { cwd },
      ).stdout,
    ) as { tier: string; score: number };
    assert.ok(big.score > small.score, `${big.score} > ${small.score}`);
    assert.notEqual(big.tier, "haiku");

    const lines = [
      '{"id": "a", "text": "Fix a typo"}',
      "",
      '{"id": 2, "text": "Add OAuth login with refresh tokens and a database migration"}',
    ].join("\n");
    const batch = br(["model", "route", "--batch"], { cwd, input: lines });
    assert.equal(batch.code, 0, batch.stderr);
    const out = batch.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: unknown; tier: string; model: string; score: number });
    assert.deepEqual(
      out.map((o) => o.id),
      ["a", 2],
    );
    for (const o of out) assert.deepEqual(Object.keys(o), ["id", "tier", "model", "score"]);
    const bad = br(["model", "route", "--batch"], { cwd, input: `${lines}\n{"id": 3}\n` });
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "", "nothing is written when a line is bad");
    assert.match(bad.stderr, /stdin line 4: needs a string "text"/);
    assert.equal(br(["model", "route", "--file", "nope.md"], { cwd }).code, 2);
    assert.equal(br(["model", "route"], { cwd }).code, 2);
  });

  it("prints the dated price table with the project's overrides", () => {
    const p = project();
    brOk(["config", "set", "routing.prices", '{ "my-model": { "input": 1, "output": 2, "cacheWrite": 0, "cacheRead": 0 } }'], {
      cwd: p.cwd,
    });
    const prices = JSON.parse(brOk(["model", "prices", "--json"], { cwd: p.cwd }).stdout) as {
      date: string;
      models: Record<string, { input: number; source: string }>;
    };
    assert.equal(prices.date, PRICES.date);
    assert.equal(prices.models["claude-haiku-4-5"]?.input, PRICES.models["claude-haiku-4-5"]?.input);
    assert.equal(prices.models["my-model"]?.source, "config.yaml");
    assert.match(brOk(["model", "prices"], { cwd: p.cwd }).stdout, new RegExp(`dated ${PRICES.date}`));
  });
});

describe("routing thresholds", () => {
  it("refuses a sonnet threshold above opus's, naming both keys, their values and the fix", () => {
    const p = project();
    const set = br(["config", "set", "routing.thresholds.sonnet", "90"], { cwd: p.cwd });
    assert.equal(set.code, 2);
    assert.match(set.stderr, /routing\.thresholds\.sonnet \(90\) must not be above routing\.thresholds\.opus \(60\)\. \S+ was not changed/);
    assert.match(set.stderr, /fix: +Lower routing\.thresholds\.sonnet to 60 or less, or raise routing\.thresholds\.opus to 90 or more/);
    assert.doesNotMatch(set.stderr, /found an object|expected type/);
    brOk(["config", "set", "routing.thresholds.sonnet", "60"], { cwd: p.cwd });
  });
});

describe("routing in br run and br model stats", () => {
  it("a failed haiku attempt is retried on sonnet; stats total the calls at table prices and the saving matches a hand calculation", () => {
    // Codex reports usage but no cost, so every call is priced by the table. Every task starts on haiku.
    const p = codexProject("fail-first");
    const run = br(["run", "--auto", "--executor", "codex", "--max-tasks", "2"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const rows = journal(p.cwd);
    assert.deepEqual(
      rows.map((r) => [r.task_id, r.attempt, r.tier, r.model, r.outcome]),
      [
        ["greeting.core", 1, "haiku", "gpt-5-mini", "failed"],
        ["greeting.core", 2, "sonnet", "gpt-5", "passed"],
        ["greeting.tests", 1, "haiku", "gpt-5-mini", "failed"],
        ["greeting.tests", 2, "sonnet", "gpt-5", "passed"],
      ],
    );
    assert.match(rows[1]?.route_reason ?? "", /escalated from haiku after 1 failed attempt/);
    assert.ok(rows.every((r) => Number.isInteger(r.route_score) && r.cost_source === "priced"));

    const stats = JSON.parse(brOk(["model", "stats", "--json"], { cwd: p.cwd }).stdout) as ModelStats;
    const expected = rows.reduce((sum, r) => sum + priced(r.model, r), 0);
    assert.equal(stats.calls, 4);
    assert.ok(close(stats.costUsd, expected), `${stats.costUsd} = ${expected}`);
    assert.ok(
      close(
        stats.byModel.reduce((s, m) => s + m.costUsd, 0),
        expected,
      ),
    );
    assert.deepEqual(
      stats.byTier.map((t) => [t.tier, t.calls, t.passed, t.successRate]),
      [
        ["haiku", 2, 0, 0],
        ["sonnet", 2, 2, 100],
      ],
    );
    assert.deepEqual(
      stats.byFeature.map((f) => [f.featureId, f.calls]),
      [["greeting", 4]],
    );
    assert.equal(stats.escalations, 2);
    assert.ok(stats.durationMs.p95 >= stats.durationMs.p50 && stats.durationMs.p50 > 0);
    const reference = rows.reduce((sum, r) => sum + priced("gpt-5-codex", r), 0);
    assert.equal(stats.saving.referenceModel, "gpt-5-codex");
    assert.ok(stats.saving.savedUsd > 0, "the haiku calls were cheaper");
    assert.ok(close(stats.saving.referenceUsd, reference));
    assert.ok(close(stats.saving.savedUsd, reference - expected));
    assert.equal(stats.saving.savedPct, Math.round((1000 * (reference - expected)) / reference) / 10);
    assert.match(brOk(["model", "stats"], { cwd: p.cwd }).stdout, /Saving: \$[\d.]+ spent where every call on opus/);

    const future = JSON.parse(brOk(["model", "stats", "--json", "--since", "2999-01-01"], { cwd: p.cwd }).stdout) as ModelStats;
    assert.equal(future.calls, 0);
    assert.equal(br(["model", "stats", "--since", "last tuesday"], { cwd: p.cwd }).code, 2);
  });

  it("calls on a model missing from the price table are left out of both sides of the saving, and said to be", () => {
    // The sonnet tier runs a model with no price: its calls are journalled as "unpriced model" at $0.
    const p = codexProject("fail-first", "gpt-unknown-model");
    const run = br(["run", "--auto", "--executor", "codex", "--max-tasks", "2"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const rows = journal(p.cwd);
    assert.deepEqual(
      rows.map((r) => [r.model, r.cost_source]),
      [
        ["gpt-5-mini", "priced"],
        ["gpt-unknown-model", "unpriced model"],
        ["gpt-5-mini", "priced"],
        ["gpt-unknown-model", "unpriced model"],
      ],
    );
    const known = rows.filter((r) => r.cost_source === "priced");
    const stats = JSON.parse(brOk(["model", "stats", "--json"], { cwd: p.cwd }).stdout) as ModelStats;
    assert.equal(stats.calls, 4);
    assert.equal(stats.saving.calls, 2);
    assert.deepEqual(stats.saving.excluded, { calls: 2, reasons: { "cost not known (unpriced model)": 2 } });
    const actual = known.reduce((sum, r) => sum + priced("gpt-5-mini", r), 0);
    const reference = known.reduce((sum, r) => sum + priced("gpt-5-codex", r), 0);
    assert.ok(close(stats.saving.actualUsd, actual), `${stats.saving.actualUsd} = ${actual}`);
    assert.ok(
      close(stats.saving.referenceUsd, reference),
      `${stats.saving.referenceUsd} = ${reference}: the unpriced calls are not priced as opus`,
    );
    assert.ok(close(stats.saving.savedUsd, reference - actual));
    assert.equal(stats.saving.savedPct, Math.round((1000 * (reference - actual)) / reference) / 10);
    assert.ok(stats.saving.savedPct < 100, "no 100% saving from calls counted as free");
    const text = brOk(["model", "stats"], { cwd: p.cwd }).stdout;
    assert.match(text, /over the 2 call\(s\) with a known cost/);
    assert.match(text, /2 call\(s\) left out of the saving: 2 cost not known \(unpriced model\)/);
  });

  it("--max-cost is never passed by more than one call, the one that was running when it was crossed", () => {
    for (const budget of ["0.02", "0.031", "0.05"]) {
      const p = project("good");
      const run = br(["run", "--auto", "--max-cost", budget, "--json"], { cwd: p.cwd, env: p.env });
      assert.equal(run.code, 0, run.stderr);
      const max = Number(budget);
      let spent = 0;
      const rows = journal(p.cwd);
      rows.forEach((row, i) => {
        assert.ok(spent <= max, `call ${i + 1} started with $${spent} spent of $${max}`);
        spent += row.cost_usd;
        if (spent > max) assert.equal(i, rows.length - 1, "no call starts after the budget is crossed");
      });
      const last = rows[rows.length - 1]?.cost_usd ?? 0;
      assert.ok(spent <= max + last, `spent $${spent}, budget $${max}, last call $${last}`);
      assert.match((JSON.parse(run.stdout) as { stoppedBecause?: string }).stoppedBecause ?? "", /--max-cost/);
    }
  });

  it("--max-task-cost stops retrying a task once it has spent its cap", () => {
    const p = codexProject("lazy");
    const run = br(["run", "--auto", "--executor", "codex", "--max-tasks", "1", "--max-task-cost", "0.000001"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 1);
    const rows = journal(p.cwd);
    assert.equal(rows.length, 1, "no second attempt past the cap");
    const plan = JSON.parse(readFileSync(join(p.cwd, ".buildrunner", "tasks.json"), "utf8")) as {
      tasks: { id: string; failureReason?: string }[];
    };
    assert.match(
      plan.tasks.find((t) => t.id === "greeting.core")?.failureReason ?? "",
      /not retried: the task has spent \$[\d.]+ of its \$0\.000001 cap/,
    );
  });
});
