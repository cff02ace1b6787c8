/**
 * What the Stop hook answers (src/mcp/stop-decision.ts): allow when the evidence holds; block with
 * the first failing check's words while it does not, counting blocks in a row by stop_hook_active;
 * allow again past the limit; never exit 2; never hand the agent a secret in clear.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blockReason, decideStop, nextBlockCount, parsePayload } from "../../src/mcp/stop-decision.ts";
import type { CheckResult, Verification } from "../../src/run/verify.ts";

function check(name: string, passed: boolean, output = ""): CheckResult {
  return { name, command: `run ${name}`, passed, exitCode: passed ? 0 : 1, durationMs: 1, output };
}

function verification(passed: boolean, checks: CheckResult[] = [], reason?: string): Verification {
  return {
    passed,
    ...(reason ? { reason } : {}),
    executor: { success: true, summary: "" },
    changedFiles: ["src/a.js"],
    outOfScope: [],
    checks,
    violations: [],
  };
}

describe("the Stop hook's decision", () => {
  it("reads a JSON object payload; anything else is a reason to allow, in words", () => {
    assert.deepEqual(parsePayload('{"session_id":"s","stop_hook_active":true}'), { session_id: "s", stop_hook_active: true });
    assert.match(String(parsePayload("[1]")), /not a JSON object/);
    assert.match(String(parsePayload("null")), /not a JSON object/);
    assert.match(String(parsePayload('"Stop"')), /not a JSON object/);
    assert.match(String(parsePayload("3")), /not a JSON object/);
    assert.match(String(parsePayload("{")), /not JSON/);
  });

  it("counts blocks in a row only while stop_hook_active says the stop follows a block", () => {
    assert.equal(nextBlockCount({ stop_hook_active: true }, 2), 3);
    assert.equal(nextBlockCount({ stop_hook_active: false }, 2), 1);
    assert.equal(nextBlockCount({}, 7), 1);
  });

  it("allows passing work with nothing on stdout", () => {
    assert.deepEqual(decideStop("a.b", verification(true), 1, 5), { exitCode: 0, stdout: "", stderr: "" });
  });

  it("blocks failing work up to the limit, with the reason and the first failing check's output", () => {
    const failing = verification(
      false,
      [check("lint", true), check("test", false, "not ok 1 - greets\nexpected hello"), check("build", false, "other")],
      "test failed",
    );
    for (const blocks of [1, 5]) {
      const answer = decideStop("a.b", failing, blocks, 5);
      assert.deepEqual([answer.exitCode, answer.stderr], [0, ""]);
      const doc = JSON.parse(answer.stdout) as { decision: string; reason: string };
      assert.equal(doc.decision, "block");
      assert.match(
        doc.reason,
        /^br: task a\.b is not done yet: test failed\nThe check "test" \(run test\) failed:\nnot ok 1 - greets\nexpected hello\n/,
      );
      assert.ok(!doc.reason.includes("other"), "only the first failing check's output");
      assert.match(doc.reason, new RegExp(`block ${blocks} of at most 5`));
      assert.match(
        doc.reason,
        /Fix the work so the checks pass \(never by weakening or skipping tests, or by changing the checks\), then stop again\./,
      );
    }
  });

  it("past the limit, allows the stop and tells the user why on stderr", () => {
    const answer = decideStop("a.b", verification(false, [], "the test run got worse"), 6, 5);
    assert.equal(answer.exitCode, 0);
    assert.equal(answer.stdout, "");
    assert.match(
      answer.stderr,
      /task a\.b still fails its verification after 5 blocked stops; letting the agent stop\. the test run got worse/,
    );
  });

  it("keeps the end of a long output, and masks secrets in what it hands the agent", () => {
    const key = `ghp_${"Zq8Xw2Vb7Nm4Lk1Jh6Gf3Ds9Ap0Oi5Uy2Tr8Ee".slice(0, 36)}`;
    const reason = blockReason(
      "a.b",
      verification(false, [check("test", false, `${"x".repeat(5000)}\nthe key ${key} leaked\nLAST LINE`)], "failed"),
      1,
      5,
    );
    assert.ok(!reason.includes(key));
    assert.match(reason, /LAST LINE/);
    assert.match(reason, /characters before\) …/);
    assert.ok(reason.length < 3000, `${reason.length} characters`);
  });

  it("a failure without a failing check (a rule of evidence) gives its reason alone; a missing reason still says why", () => {
    const ruled = blockReason("a.b", verification(false, [check("test", true)], "changed package.json, which is protected"), 1, 5);
    assert.match(ruled, /^br: task a\.b is not done yet: changed package\.json, which is protected\nFix the work/);
    assert.ok(!ruled.includes("The check"));
    assert.match(blockReason("a.b", verification(false), 1, 5), /not done yet: its verification failed\n/);
    assert.match(decideStop("a.b", verification(false), 9, 5).stderr, /letting the agent stop\. \n$/);
  });
});
