/**
 * Older layouts' governance settings into config.yaml (src/migrate/settings.ts): carried where br
 * has a setting with the same meaning and the value fits it, listed with the reason otherwise.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyPlan } from "../../src/migrate/plan.ts";
import { carrySettings, leaves } from "../../src/migrate/settings.ts";

describe("carrySettings", { timeout: 60_000 }, () => {
  it("carries what br means the same way and lists the rest with the reason", () => {
    const plan = emptyPlan("v2");
    const token = ["ghp_", "0123456789abcdefghijABCDEFGHIJ012345"].join("");
    carrySettings(
      plan,
      "gov.json",
      {
        project: { name: "Shop" },
        policies: { min_coverage: 85, coverage: 90, max_complexity: 0, fail_on: "Critical", webhook_token: token },
        commands: { test_command: "npm test" },
        stages: { order: ["a", "b"] },
      },
      ["project.name"],
    );
    assert.deepEqual(
      plan.config.map((c) => [c.key, c.value, c.from]),
      [
        ["gates.coverage", 85, "gov.json: policies.min_coverage"],
        ["security.failOn", "critical", "gov.json: policies.fail_on"],
        ["commands.test", "npm test", "gov.json: commands.test_command"],
      ],
    );
    const why = Object.fromEntries(plan.notCarried.map((n) => [n.setting, n.why]));
    assert.match(why["gov.json: policies.coverage"] ?? "", /already set/);
    assert.match(why["gov.json: policies.max_complexity"] ?? "", /not a value br's gates.complexity accepts/);
    assert.match(why["gov.json: policies.webhook_token"] ?? "", /secret-shaped/);
    assert.ok(!JSON.stringify(plan).includes(token), "the secret is nowhere in the plan");
    assert.match(why["gov.json: stages.order"] ?? "", /no setting/);
    assert.equal(why["gov.json: project.name"], undefined, "a skipped leaf is neither carried nor listed");
  });

  it("flattens nested settings to dotted leaves, lists as one value, without running away on depth", () => {
    assert.deepEqual(leaves({ a: { b: 1, c: [1, 2] }, d: null }, ""), [
      ["a.b", 1],
      ["a.c", [1, 2]],
      ["d", null],
    ]);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100; i++) deep = { n: deep };
    assert.equal(leaves(deep, "").length, 1);
  });
});
