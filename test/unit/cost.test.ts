/** What an attempt cost: the executor's figure first, else its usage priced model by model. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { addUsage, attemptCost } from "../../src/run/cost.ts";
import type { ExecutorReport } from "../../src/run/executors/types.ts";

const config = configSchema.parse({});
const usage = (input: number, output: number) => ({ inputTokens: input, outputTokens: output, cacheWriteTokens: 0, cacheReadTokens: 0 });
const report = (extra: Partial<ExecutorReport>): ExecutorReport => ({
  success: true,
  summary: "",
  durationMs: 1,
  exitCode: 0,
  timedOut: false,
  ...extra,
});

describe("attemptCost", () => {
  it("takes the executor's own figure when it reports one", () => {
    assert.deepEqual(attemptCost(report({ costUsd: 0.25, usage: usage(1_000_000, 0) }), "claude-sonnet-4-5", config), {
      cost: 0.25,
      source: "reported",
    });
  });

  it("prices the usage at the model's price, dated ids at their family's", () => {
    const priced = attemptCost(report({ usage: usage(1_000_000, 100_000), model: "claude-sonnet-4-5-20250929" }), "x", config);
    assert.equal(priced.source, "priced");
    assert.ok(Math.abs(priced.cost - (3 + 1.5)) < 1e-9);
  });

  it("prices each model's tokens at its own price when several models answered", () => {
    const byModel = { "claude-sonnet-4-5": usage(1_000_000, 0), "claude-haiku-4-5": usage(1_000_000, 0) };
    const priced = attemptCost(report({ usage: usage(2_000_000, 0), usageByModel: byModel, model: "claude-sonnet-4-5" }), "x", config);
    assert.ok(Math.abs(priced.cost - (3 + 1)) < 1e-9, String(priced.cost));
  });

  it("says so when a model has no price, and when there is no usage at all", () => {
    assert.deepEqual(attemptCost(report({ usage: usage(10, 10), model: "no-such-model" }), "x", config), {
      cost: 0,
      source: "unpriced model",
    });
    assert.deepEqual(attemptCost(report({}), "x", config), { cost: 0, source: "no usage reported" });
  });
});

describe("addUsage", () => {
  it("adds every kind of token, and nothing for a missing usage", () => {
    const total = usage(1, 2);
    addUsage(total, { inputTokens: 10, outputTokens: 20, cacheWriteTokens: 3, cacheReadTokens: 4 });
    addUsage(total, undefined);
    assert.deepEqual(total, { inputTokens: 11, outputTokens: 22, cacheWriteTokens: 3, cacheReadTokens: 4 });
  });
});
