/**
 * The shapes the MCP tools answer with (src/mcp/views.ts): text cut with a note of how much, lists
 * capped with a count of the rest, and a verification's output only for the first failing check.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { attemptView, clip, clipStart, firstOf, taskDetail, taskSummary, verificationView } from "../../src/mcp/views.ts";
import type { Task } from "../../src/plan/task.ts";
import type { AttemptRow } from "../../src/run/journal.ts";

describe("MCP answer shapes", () => {
  it("clips text at either end, saying how much is left out", () => {
    assert.equal(clip("abcdef", 6), "abcdef");
    assert.equal(clip("abcdefgh", 6), "abcdef… (2 more characters)");
    assert.equal(clipStart("abcdefgh", 6), "(2 characters before) …cdefgh");
  });

  it("caps lists and counts the rest", () => {
    assert.deepEqual(firstOf([1, 2, 3], 3), { items: [1, 2, 3] });
    assert.deepEqual(firstOf([1, 2, 3, 4], 3), { items: [1, 2, 3], more: 1 });
  });

  it("shows the output of the first failing check only, and caps changed files", () => {
    const check = (name: string, passed: boolean) => ({
      name,
      command: name,
      passed,
      exitCode: passed ? 0 : 1,
      durationMs: 1,
      output: `${name} said`,
    });
    const view = verificationView({
      passed: false,
      reason: "test failed",
      executor: { success: true, summary: "" },
      changedFiles: Array.from({ length: 45 }, (_, i) => `f${i}`),
      outOfScope: [],
      checks: [check("lint", true), check("test", false), check("build", false)],
      violations: [{ kind: "test-counts", message: "fewer tests ran" }],
    });
    assert.deepEqual(view.checks, [
      { name: "lint", command: "lint", passed: true },
      { name: "test", command: "test", passed: false, output: "test said" },
      { name: "build", command: "build", passed: false },
    ]);
    assert.equal((view.changedFiles as string[]).length, 40);
    assert.equal(view.moreChangedFiles, 5);
    assert.deepEqual(view.violations, ["fewer tests ran"]);
  });

  it("an attempt: its reason cut, its cost rounded, its machine when copied from another", () => {
    const row = {
      task_id: "a.b",
      attempt: 2,
      outcome: "failed",
      reason: "r".repeat(250),
      executor: "agent",
      model: null,
      cost_usd: 0.123456,
      started_at: "t",
      machine: "ci-3",
    } as unknown as AttemptRow;
    const view = attemptView(row);
    assert.equal(view.costUsd, 0.1235);
    assert.equal(view.machine, "ci-3");
    assert.equal(view.model, undefined);
    assert.match(String(view.reason), /… \(50 more characters\)$/);
  });

  it("a task: its summary, and its detail with long parts cut and counted", () => {
    const task = {
      id: "a.b",
      featureId: "a",
      title: "t".repeat(130),
      description: "d".repeat(4010),
      status: "ready",
      dependsOn: Array.from({ length: 35 }, (_, i) => `a.d${i}`),
      priority: "high",
      complexity: "simple",
      estimateMinutes: 30,
      files: Array.from({ length: 31 }, (_, i) => `src/f${i}.ts`),
      acceptance: ["x".repeat(310), "short"],
      failureReason: "r".repeat(700),
    } as unknown as Task;
    assert.deepEqual(taskSummary(task), { id: "a.b", status: "ready", title: `${"t".repeat(120)}… (10 more characters)`, feature: "a" });
    const detail = taskDetail(task, ["a.d1"]);
    assert.equal(detail.priority, "high");
    assert.equal(detail.complexity, "simple");
    assert.equal(detail.estimateMinutes, 30);
    assert.equal((detail.dependsOn as string[]).length, 30);
    assert.deepEqual(detail.waitingOn, ["a.d1"]);
    assert.equal((detail.files as string[]).length, 30);
    assert.equal(detail.moreFiles, 1);
    assert.equal(detail.moreAcceptance, undefined);
    assert.deepEqual(detail.acceptance, [`${"x".repeat(300)}… (10 more characters)`, "short"]);
    assert.equal(detail.description, `${"d".repeat(4000)}… (10 more characters)`);
    assert.equal(detail.failureReason, `${"r".repeat(600)}… (100 more characters)`);
    const plain = taskDetail({
      ...task,
      failureReason: undefined,
      files: [],
      acceptance: Array.from({ length: 21 }, () => "a"),
    } as unknown as Task);
    assert.equal(plain.waitingOn, undefined);
    assert.equal(plain.failureReason, undefined);
    assert.equal(plain.moreAcceptance, 1);
    assert.equal(plain.moreFiles, undefined);
  });
});
