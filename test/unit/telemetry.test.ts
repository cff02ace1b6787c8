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

  it("the identifier rule's edges: 64 characters, key-like parts of 16 mixed letters and digits, counts from 0", () => {
    const id = (command: unknown) => sanitize("command.run", { command }).command;
    assert.equal(id("a".repeat(64)), "a".repeat(64));
    assert.equal(id("a".repeat(65)), undefined);
    assert.equal(id("abcdefgh1234567"), "abcdefgh1234567", "15 mixed characters are not a key");
    assert.equal(id("abcdefgh12345678"), undefined, "16 are");
    assert.equal(id("abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnopqrstuvwxyz", "letters only");
    assert.equal(id("12345678901234567890"), "12345678901234567890", "digits only");
    assert.equal(id("run-abcdefgh12345678"), undefined, "a key-like part after a separator");
    assert.deepEqual(sanitize("error", { class: "usage", exitCode: 0 }), { class: "usage", exitCode: 0 });
    assert.deepEqual(sanitize("error", { exitCode: -1 }), {});
    assert.deepEqual(sanitize("error", { exitCode: 1.5 }), {});
    assert.deepEqual(sanitize("gate.result", { value: Number.POSITIVE_INFINITY, passed: 1 }), {});
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
