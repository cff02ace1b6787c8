/**
 * The registry's status rules (src/registry/rules.ts, src/registry/status.ts): which feature moves
 * are allowed and what --force and --reopen do, ids and priorities, dependency cycles, and the
 * status summary with its task counts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import type { Task } from "../../src/plan/task.ts";
import type { Feature } from "../../src/registry/feature.ts";
import {
  ALLOWED_MOVES,
  byPriority,
  checkMove,
  FEATURE_STATUSES,
  type FeatureStatus,
  findDependencyCycle,
  ID_PATTERN,
  PRIORITIES,
  parsePriority,
  parseStatus,
  slugify,
  validateId,
} from "../../src/registry/rules.ts";
import { projectStatus } from "../../src/registry/status.ts";

const T = { timeout: 10_000 };

function feature(id: string, extra: Partial<Feature> = {}): Feature {
  const now = "2026-01-01T00:00:00.000Z";
  return { id, name: id, status: "planned", priority: "medium", dependsOn: [], acceptance: [], createdAt: now, updatedAt: now, ...extra };
}

const SPEC_MOVES: Record<FeatureStatus, FeatureStatus[]> = {
  planned: ["in_progress", "blocked"],
  in_progress: ["testing", "blocked", "planned"],
  testing: ["complete", "in_progress", "blocked"],
  blocked: ["planned", "in_progress"],
  complete: ["in_progress"],
};

describe("checkMove", () => {
  it("allows exactly the moves of the spec, and staying put", T, () => {
    assert.deepEqual(ALLOWED_MOVES, SPEC_MOVES);
    for (const from of FEATURE_STATUSES) {
      for (const to of FEATURE_STATUSES) {
        const legal = from === to || (SPEC_MOVES[from].includes(to) && from !== "complete");
        const move = () => checkMove(feature("f", { status: from }), to, {});
        if (legal) assert.deepEqual(move(), { forced: false }, `${from} → ${to}`);
        else assert.throws(move, (e: Error & { exitCode?: number }) => e.exitCode === 2, `${from} → ${to}`);
      }
    }
  });
  it("names the allowed moves when refusing", T, () => {
    assert.throws(() => checkMove(feature("pay", { status: "planned" }), "complete", {}), {
      message: 'Feature "pay" cannot move from planned to complete. Allowed from planned: in_progress, blocked.',
      fix: "Move it through the allowed states, or add --force to override (the override is recorded).",
    });
  });
  it("reopening a complete feature needs --reopen", T, () => {
    const done = feature("pay", { status: "complete" });
    assert.throws(() => checkMove(done, "in_progress", {}), {
      message: 'Feature "pay" is complete; reopening it needs --reopen.',
      fix: "Add --reopen.",
    });
    assert.throws(() => checkMove(done, "in_progress", { reopen: false }), /needs --reopen/);
    assert.deepEqual(checkMove(done, "in_progress", { reopen: true }), { forced: false });
    assert.throws(() => checkMove(done, "planned", { reopen: true }), {
      message: 'Feature "pay" cannot move from complete to planned. Allowed from complete: in_progress (with --reopen).',
    });
  });
  it("--reopen does not open other moves", T, () => {
    assert.throws(() => checkMove(feature("f", { status: "planned" }), "testing", { reopen: true }), /cannot move/);
  });
  it("--force overrides a refused move and says it had to", T, () => {
    assert.deepEqual(checkMove(feature("f", { status: "planned" }), "complete", { force: true }), { forced: true });
    assert.deepEqual(checkMove(feature("f", { status: "complete" }), "in_progress", { force: true }), { forced: true });
    assert.deepEqual(checkMove(feature("f", { status: "planned" }), "blocked", { force: true }), { forced: false });
    assert.deepEqual(checkMove(feature("f", { status: "testing" }), "testing", { force: true }), { forced: false });
  });
});

describe("ids, names, priorities and statuses", () => {
  it("slugify: lowercase ascii words joined by dashes, at most 64 characters", T, () => {
    assert.equal(slugify("User Accounts"), "user-accounts");
    assert.equal(slugify("  Crème brûlée — v2!  "), "creme-brulee-v2");
    assert.equal(slugify("--a__b--"), "a-b");
    assert.equal(slugify("!!!"), "");
    assert.equal(slugify("a".repeat(70)), "a".repeat(64));
    assert.equal(slugify(`${"a".repeat(63)} b`), "a".repeat(63));
    assert.equal(slugify("ÅNGSTRÖM"), "angstrom");
  });
  it("slugify leaves a secret in the name out of the id entirely", T, () => {
    const key = ["AKIA", "Q4M7X2RTB6WZK3LP"].join("");
    assert.equal(slugify(`Rotate ${key} credentials`), "rotate-credentials");
    assert.equal(slugify(`Store API_TOKEN: '${["Zx9;(q)W", ",4r!tY7u"].join("")}' safely`), "store-api-token-safely");
    assert.equal(slugify(key), "");
  });
  it("validateId accepts slugs and refuses anything else with a fix", T, () => {
    assert.equal(validateId("a1-b"), "a1-b");
    assert.equal(validateId("9"), "9");
    for (const bad of ["", "-a", "A", "a_b", "a b", "a.b", "é"]) {
      assert.throws(() => validateId(bad), { message: `"${bad}" is not a valid feature id.` });
    }
    assert.throws(() => validateId("-a"), { fix: /lowercase letters, digits and dashes/ });
    assert.equal(ID_PATTERN.test("x\nab"), false);
  });
  it("parsePriority and parseStatus accept the known values only", T, () => {
    for (const p of PRIORITIES) assert.equal(parsePriority(p), p);
    for (const s of FEATURE_STATUSES) assert.equal(parseStatus(s), s);
    assert.throws(() => parsePriority("urgent"), {
      message: 'Unknown priority "urgent".',
      fix: "Use one of: critical, high, medium, low.",
    });
    assert.throws(() => parseStatus("done"), {
      message: 'Unknown status "done".',
      fix: "Use one of: planned, in_progress, testing, complete, blocked.",
    });
  });
  it("byPriority orders critical, high, medium, low and keeps equal ones in place", T, () => {
    const list = ["low", "medium", "critical", "high", "medium"].map((priority, i) =>
      feature(`f${i}`, { priority: priority as Feature["priority"] }),
    );
    assert.deepEqual(
      [...list].sort(byPriority).map((f) => f.id),
      ["f2", "f3", "f1", "f4", "f0"],
    );
    assert.equal(byPriority(feature("a", { priority: "high" }), feature("b", { priority: "low" })), -2);
  });
});

describe("findDependencyCycle", () => {
  const deps = (spec: Record<string, string[]>) => Object.entries(spec).map(([id, dependsOn]) => feature(id, { dependsOn }));
  it("finds nothing in an acyclic registry, a diamond included", T, () => {
    assert.equal(findDependencyCycle([]), undefined);
    assert.equal(findDependencyCycle(deps({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] })), undefined);
    assert.equal(findDependencyCycle(deps({ d: ["b", "c"], b: ["a"], c: ["a"], a: [] })), undefined);
  });
  it("names the cycle, and only the cycle", T, () => {
    assert.deepEqual(findDependencyCycle(deps({ a: ["a"] })), ["a", "a"]);
    assert.deepEqual(findDependencyCycle(deps({ p: ["a"], a: ["b"], b: ["a"] })), ["a", "b", "a"]);
    assert.deepEqual(findDependencyCycle(deps({ a: ["b", "c"], b: [], c: ["a"] })), ["a", "c", "a"]);
  });
  it("keeps looking after the first feature", T, () => {
    assert.deepEqual(findDependencyCycle(deps({ x: [], a: ["b"], b: ["a"] })), ["a", "b", "a"]);
  });
});

// --- projectStatus, on a project on disk -------------------------------------------------------

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(features: Feature[], tasks: Partial<Task>[]) {
  const root = mkdtempSync(join(tmpdir(), "br-unit-status-"));
  dirs.push(root);
  const paths = projectPaths(root);
  mkdirSync(paths.state, { recursive: true });
  writeFileSync(paths.features, `${JSON.stringify({ schemaVersion: 1, project: "shop", features }, null, 2)}\n`);
  const full = tasks.map((t, i) => ({
    id: `t${i}`,
    featureId: "a",
    title: "x",
    description: "",
    status: "pending",
    dependsOn: [],
    priority: "medium",
    complexity: "simple",
    estimateMinutes: 10,
    files: [],
    acceptance: [],
    ...t,
  }));
  writeFileSync(paths.tasks, `${JSON.stringify({ schemaVersion: 1, tasks: full }, null, 2)}\n`);
  return paths;
}

describe("projectStatus", () => {
  it("counts features and tasks by status, writes STATUS.md once, then leaves it alone", T, async () => {
    const paths = project(
      [feature("a", { status: "complete" }), feature("b", { status: "in_progress" }), feature("c")],
      [{ status: "done" }, { status: "done" }, { status: "running" }, { status: "failed" }],
    );
    const first = await projectStatus(paths);
    assert.equal(first.statusWritten, true);
    assert.equal(first.summary.project, "shop");
    assert.deepEqual(first.summary.counts, { planned: 1, in_progress: 1, testing: 0, complete: 1, blocked: 0 });
    assert.equal(first.summary.completion, 33.3);
    assert.deepEqual(first.summary.tasks, { pending: 0, ready: 0, running: 1, done: 2, failed: 1, blocked: 0, skipped: 0, total: 4 });
    assert.deepEqual(first.summary.cost, { calls: 0, costUsd: 0, tokens: { input: 0, output: 0 } });
    assert.deepEqual(
      first.registry.features.map((f) => f.id),
      ["a", "b", "c"],
    );
    assert.ok(existsSync(paths.status));
    const written = readFileSync(paths.status, "utf8");
    const second = await projectStatus(paths);
    assert.equal(second.statusWritten, false);
    assert.deepEqual(second.summary, first.summary);
    assert.equal(readFileSync(paths.status, "utf8"), written);
  });
  it("has no task counts before there is a plan", T, async () => {
    const paths = project([feature("a")], []);
    const { summary } = await projectStatus(paths);
    assert.equal("tasks" in summary, false);
    assert.equal(summary.completion, 0);
  });
});
