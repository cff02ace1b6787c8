import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { ladderFor, routeTask, stepForAttempt } from "../../src/routing/ladder.ts";

const config = (routing: object = {}, rest: object = {}) => configSchema.parse({ routing, ...rest });

describe("ladderFor", () => {
  it("defaults to the shipped ladder over the tiers: haiku, then opus, on the run's executor", () => {
    assert.deepEqual(ladderFor(config(), "claude"), [
      { executor: "claude", model: "claude-haiku-4-5", name: "haiku" },
      { executor: "claude", model: "claude-opus-4-5", name: "opus" },
    ]);
    assert.deepEqual(
      ladderFor(config({ tiers: { haiku: "a", sonnet: "b", opus: "c" } }), "command").map((s) => s.model),
      ["a", "c"],
    );
  });

  it("the score policy climbs all three tiers, as configs did before ladders", () => {
    assert.deepEqual(
      ladderFor(config({ policy: "score" }), "claude").map((s) => s.name),
      ["haiku", "sonnet", "opus"],
    );
  });

  it("reads tier names, model ids and steps with their own executor; drops repeats", () => {
    const ladder = ladderFor(
      config({
        ladder: [
          "haiku",
          "gpt-5-mini",
          { executor: "codex", model: "gpt-5-mini" },
          { model: "claude-haiku-4-5" },
          { model: "x", name: "big" },
        ],
      }),
      "claude",
    );
    assert.deepEqual(ladder, [
      { executor: "claude", model: "claude-haiku-4-5", name: "haiku" },
      { executor: "claude", model: "gpt-5-mini", name: "step-2" },
      { executor: "codex", model: "gpt-5-mini", name: "step-3" },
      { executor: "claude", model: "x", name: "big" },
    ]);
  });

  it("an object step's model may be a tier name, and is named after it", () => {
    assert.deepEqual(
      ladderFor(
        config({
          ladder: [
            { executor: "codex", model: "haiku" },
            { model: "opus", name: "big" },
          ],
        }),
        "claude",
      ),
      [
        { executor: "codex", model: "claude-haiku-4-5", name: "haiku" },
        { executor: "claude", model: "claude-opus-4-5", name: "big" },
      ],
    );
  });

  it("a pinned model without a ladder is one step; a human or a replay is one step on its executor", () => {
    assert.deepEqual(ladderFor(config({}, { executors: { command: { model: "mine" } } }), "command"), [
      { executor: "command", model: "mine", name: "pinned" },
    ]);
    const manual = ladderFor(config({ ladder: [{ executor: "codex", model: "m" }, "opus"] }), "manual");
    assert.deepEqual(manual, [{ executor: "manual", model: "m", name: "step-1" }]);
    // An explicit ladder wins over a pinned model.
    assert.equal(ladderFor(config({ ladder: ["a", "b"] }, { executors: { command: { model: "mine" } } }), "command").length, 2);
  });
});

describe("routeTask and stepForAttempt", () => {
  const text = { text: "Fix a typo in the README" };

  it("ladder policy: every task starts on step 1 and climbs one step per failed attempt, then stays on top", () => {
    const routed = routeTask(text, config(), "claude");
    assert.equal(routed.start, 0);
    assert.deepEqual(
      [1, 2, 3].map((a) => stepForAttempt(routed, a).step.name),
      ["haiku", "opus", "opus"],
    );
    assert.match(stepForAttempt(routed, 1).reason, /^step 1 of 2; policy ladder: every task starts on the first step; complexity \d+/);
    assert.match(stepForAttempt(routed, 2).reason, /^step 2 of 2: escalated from haiku after 1 failed attempt/);
    assert.match(stepForAttempt(routed, 3).reason, /escalated from haiku after 2 failed attempt/);
  });

  it("skipFirstFor starts a kind on step 2, and only where there is a step 2", () => {
    const skip = config({ skipFirstFor: ["migration"] });
    assert.equal(routeTask({ ...text, kind: "migration" }, skip, "claude").start, 1);
    assert.equal(routeTask({ ...text, kind: "core" }, skip, "claude").start, 0);
    assert.equal(routeTask({ ...text, kind: "migration" }, config({ skipFirstFor: ["migration"], ladder: ["opus"] }), "claude").start, 0);
    const routed = routeTask({ ...text, kind: "migration" }, skip, "claude");
    assert.match(stepForAttempt(routed, 1).reason, /migration tasks skip the first step/);
    assert.match(stepForAttempt(routed, 2).reason, /the top step again after 1 failed attempt/);
  });

  it("score policy: the complexity score picks the starting tier by the thresholds", () => {
    const low = config({ policy: "score", thresholds: { sonnet: 0, opus: 100 } });
    assert.equal(stepForAttempt(routeTask(text, low, "claude"), 1).step.name, "sonnet");
    const high = config({ policy: "score", thresholds: { sonnet: 0, opus: 0 } });
    assert.equal(stepForAttempt(routeTask(text, high, "claude"), 1).step.name, "opus");
    const none = config({ policy: "score", thresholds: { sonnet: 100, opus: 100 } });
    const routed = routeTask(text, none, "claude");
    assert.equal(stepForAttempt(routed, 1).step.name, "haiku");
    assert.match(routed.startReason, /policy score: complexity \d+ → haiku/);
    // Tiers that name one model collapse into one step: the start is found by model.
    const same = config({ policy: "score", tiers: { haiku: "m", sonnet: "m", opus: "o" }, thresholds: { sonnet: 0, opus: 100 } });
    assert.deepEqual(stepForAttempt(routeTask(text, same, "claude"), 1).step, { executor: "claude", model: "m", name: "haiku" });
  });
});
