import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failure, usageError } from "../../src/infra/errors.ts";
import { errorClass } from "../../src/telemetry/command.ts";
import { EVENT_KINDS, sanitize } from "../../src/telemetry/schema.ts";
import { environmentSwitch, telemetrySwitch } from "../../src/telemetry/store.ts";

describe("sanitize", () => {
  it("keeps a kind's fields when each meets its rule, and drops every other field", () => {
    assert.deepEqual(sanitize("command.run", { command: "features add", durationMs: 12, exitCode: 0, cwd: "/home/me", argv: ["x"] }), {
      command: "features add",
      durationMs: 12,
      exitCode: 0,
    });
    assert.deepEqual(
      sanitize("task.finished", {
        kind: "core",
        tier: "step-1",
        model: "claude-opus-4-5",
        attempts: 2,
        outcome: "done",
        costUsd: 0.12,
        durationMs: 5,
        title: "Add login",
      }),
      { kind: "core", tier: "step-1", model: "claude-opus-4-5", attempts: 2, outcome: "done", costUsd: 0.12, durationMs: 5 },
    );
  });

  it("drops paths, free text, secrets, long strings, wrong types and values outside a list", () => {
    for (const command of [
      "/home/alice/project",
      "src/app.ts",
      "C:\\Users\\alice",
      "Add the login page, then test it",
      "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
      "AKIAZ7Q2K4M9X3B8N6V1",
      "deploy-3f9a1c2b7e4d5a6f8b9c",
      "x".repeat(65),
      "",
      " leading",
      "two  spaces",
      42,
    ])
      assert.deepEqual(sanitize("command.run", { command }), {}, String(command));
    assert.deepEqual(sanitize("task.finished", { outcome: "maybe", attempts: -1, costUsd: Number.NaN, durationMs: 1.5 }), {});
    assert.deepEqual(sanitize("task.finished", { model: "claude-opus-4-5-20251101", kind: "data-model" }), {
      model: "claude-opus-4-5-20251101",
      kind: "data-model",
    });
    assert.deepEqual(sanitize("gate.result", { gate: "coverage", passed: "yes", value: 81.5 }), { gate: "coverage", value: 81.5 });
    assert.deepEqual(sanitize("security.findings", { rule: "aws-access-token", count: 3, file: "src/a.ts", match: "AKIA…" }), {
      rule: "aws-access-token",
      count: 3,
    });
  });

  it("every kind has a schema", () => {
    assert.deepEqual(EVENT_KINDS.sort(), [
      "command.run",
      "error",
      "gate.result",
      "security.findings",
      "task.finished",
      "threshold.reached",
    ]);
  });
});

describe("switches", () => {
  const on = { telemetry: { enabled: true, retentionDays: 90 } };
  it("DO_NOT_TRACK, then BR_TELEMETRY_DISABLED, then the config; 0, false and empty leave it on", () => {
    assert.equal(telemetrySwitch(on, {}), undefined);
    assert.equal(telemetrySwitch(on, { DO_NOT_TRACK: "1", BR_TELEMETRY_DISABLED: "1" }), "DO_NOT_TRACK");
    assert.equal(telemetrySwitch(on, { BR_TELEMETRY_DISABLED: "true" }), "BR_TELEMETRY_DISABLED");
    for (const value of ["0", "false", "FALSE", ""]) assert.equal(environmentSwitch({ DO_NOT_TRACK: value }), undefined, value);
    assert.equal(telemetrySwitch({ telemetry: { enabled: false } }, {}), "config.yaml (telemetry.enabled: false)");
  });

  it("error classes come from the kind of error, never its message", () => {
    assert.equal(errorClass(usageError("bad /home/alice")), "usage");
    assert.equal(errorClass(failure("checks failed")), "failure");
    assert.equal(errorClass(Object.assign(new Error("disk"), { code: "ENOSPC" })), "ENOSPC");
    assert.equal(errorClass(Object.assign(new Error("x"), { code: "weird code /tmp" })), "internal");
    assert.equal(errorClass(new TypeError("boom")), "internal");
  });
});
