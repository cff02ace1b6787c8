/**
 * The scheduler (src/plan/scheduler.ts): which ready task runs next, which task moves are allowed,
 * and how a feature follows its tasks (planned → in_progress → testing, and back).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { nextTask, transitionTask } from "../../src/plan/scheduler.ts";
import type { Task, TasksFile } from "../../src/plan/task.ts";
import type { Feature } from "../../src/registry/feature.ts";

const T = { timeout: 10_000 };

function task(id: string, extra: Partial<Task> = {}): Task {
  return {
    id,
    featureId: "f",
    title: `Task ${id}`,
    description: "",
    status: "ready",
    dependsOn: [],
    priority: "medium",
    complexity: "simple",
    estimateMinutes: 60,
    files: [],
    acceptance: [],
    ...extra,
  };
}

const plan = (...tasks: Task[]): TasksFile => ({ schemaVersion: 1, tasks });

describe("nextTask", () => {
  it("returns no task when none is ready", T, () => {
    assert.deepEqual(nextTask(plan()), { task: null });
    assert.deepEqual(nextTask(plan(task("a", { status: "pending" }), task("b", { status: "done" }))), { task: null });
  });
  it("prefers the higher priority over a longer critical path, in either order", T, () => {
    const high = task("z-high", { priority: "high", estimateMinutes: 10 });
    const medium = task("a-medium", { priority: "medium", estimateMinutes: 100 });
    assert.equal(nextTask(plan(high, medium)).task?.id, "z-high");
    assert.equal(nextTask(plan(medium, high)).task?.id, "z-high");
    const critical = task("c", { priority: "critical", estimateMinutes: 1 });
    const low = task("l", { priority: "low", estimateMinutes: 500 });
    assert.equal(nextTask(plan(low, critical)).task?.id, "c");
    assert.equal(nextTask(plan(critical, low)).task?.id, "c");
  });
  it("among equal priorities prefers the longer critical path (dependents counted), in either order", T, () => {
    const a = task("a", { estimateMinutes: 30 });
    const b = task("b", { estimateMinutes: 40 });
    const afterA = task("after-a", { status: "pending", dependsOn: ["a"], estimateMinutes: 30 });
    assert.deepEqual(nextTask(plan(a, b, afterA)), { task: a, criticalPathMinutes: 60 });
    assert.deepEqual(nextTask(plan(b, a, afterA)), { task: a, criticalPathMinutes: 60 });
    assert.deepEqual(nextTask(plan(b, a)), { task: b, criticalPathMinutes: 40 });
  });
  it("among equal priority and path prefers the smaller id, in either order", T, () => {
    const x = task("x");
    const y = task("y");
    assert.equal(nextTask(plan(y, x)).task?.id, "x");
    assert.equal(nextTask(plan(x, y)).task?.id, "x");
  });
  it("a lower priority with a longer path or smaller id does not win", T, () => {
    const best = task("m", { priority: "high", estimateMinutes: 5 });
    const other = task("a", { priority: "low", estimateMinutes: 5 });
    assert.equal(nextTask(plan(best, other)).task?.id, "m");
  });
  it("ignores tasks that are not ready", T, () => {
    const pending = task("a", { status: "pending", priority: "critical" });
    const ready = task("b", { priority: "low", estimateMinutes: 7 });
    assert.deepEqual(nextTask(plan(pending, ready)), { task: ready, criticalPathMinutes: 7 });
  });
});

// --- transitions, on a project on disk ---------------------------------------------------------

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function feature(id: string, status: Feature["status"]): Feature {
  const now = "2026-01-01T00:00:00.000Z";
  return { id, name: id, status, priority: "medium", dependsOn: [], acceptance: [], createdAt: now, updatedAt: now };
}

function project(features: Feature[], tasks: Task[]) {
  const root = mkdtempSync(join(tmpdir(), "br-unit-sched-"));
  dirs.push(root);
  const paths = projectPaths(root);
  mkdirSync(paths.state, { recursive: true });
  writeFileSync(paths.features, `${JSON.stringify({ schemaVersion: 1, project: "p", features }, null, 2)}\n`);
  writeFileSync(paths.tasks, `${JSON.stringify({ schemaVersion: 1, tasks }, null, 2)}\n`);
  const read = () => ({
    tasks: (JSON.parse(readFileSync(paths.tasks, "utf8")) as TasksFile).tasks,
    features: (JSON.parse(readFileSync(paths.features, "utf8")) as { features: Feature[] }).features,
  });
  return { paths, read };
}

describe("transitionTask", () => {
  it("start: ready → running, and the planned feature moves to in_progress", T, async () => {
    const { paths, read } = project([feature("f", "planned")], [task("f.a"), task("f.b", { dependsOn: ["f.a"], status: "pending" })]);
    const started = await transitionTask(paths, "f.a", "start");
    assert.equal(started.status, "running");
    const now = read();
    assert.deepEqual(
      now.tasks.map((t) => t.status),
      ["running", "pending"],
    );
    assert.equal(now.features[0]?.status, "in_progress");
    assert.notEqual(now.features[0]?.updatedAt, "2026-01-01T00:00:00.000Z");
  });
  it("done on the last task moves the feature to testing; the next task becomes ready", T, async () => {
    const { paths, read } = project(
      [feature("f", "in_progress")],
      [task("f.a", { status: "running" }), task("f.b", { dependsOn: ["f.a"], status: "pending" })],
    );
    await transitionTask(paths, "f.a", "done");
    assert.deepEqual(
      read().tasks.map((t) => t.status),
      ["done", "ready"],
    );
    assert.equal(read().features[0]?.status, "in_progress");
    await transitionTask(paths, "f.b", "done");
    assert.equal(read().features[0]?.status, "testing");
  });
  it("skipped tasks count as finished for the feature", T, async () => {
    const { paths, read } = project([feature("f", "in_progress")], [task("f.a", { status: "skipped" }), task("f.b")]);
    await transitionTask(paths, "f.b", "done");
    assert.equal(read().features[0]?.status, "testing");
  });
  it("fail records the reason (or a default) and blocks dependents; reset clears it", T, async () => {
    const { paths, read } = project(
      [feature("f", "in_progress")],
      [task("f.a", { status: "running" }), task("f.b", { dependsOn: ["f.a"], status: "pending" }), task("f.c")],
    );
    const failed = await transitionTask(paths, "f.a", "fail", { reason: "tests fail" });
    assert.equal(failed.failureReason, "tests fail");
    assert.deepEqual(
      read().tasks.map((t) => t.status),
      ["failed", "blocked", "ready"],
    );
    const reset = await transitionTask(paths, "f.a", "reset");
    assert.equal(reset.failureReason, undefined);
    assert.equal(read().tasks[0]?.failureReason, undefined);
    assert.deepEqual(
      read().tasks.map((t) => t.status),
      ["ready", "pending", "ready"],
    );
    const byHand = await transitionTask(paths, "f.c", "fail");
    assert.equal(byHand.failureReason, "marked failed by hand");
  });
  it("resetting done work needs --force, and moves a testing feature back to in_progress", T, async () => {
    const { paths, read } = project([feature("f", "testing")], [task("f.a", { status: "done" })]);
    await assert.rejects(transitionTask(paths, "f.a", "reset"), (error: Error & { exitCode?: number; fix?: string }) => {
      assert.equal(error.message, 'Cannot reset task "f.a": it is done; resetting finished work needs --force.');
      assert.equal(
        error.fix,
        "`br tasks reset` works on pending or ready or running or failed or blocked or skipped tasks; --force overrides.",
      );
      return true;
    });
    assert.equal(read().tasks[0]?.status, "done");
    await transitionTask(paths, "f.a", "reset", { force: true });
    assert.equal(read().tasks[0]?.status, "ready");
    assert.equal(read().features[0]?.status, "in_progress");
  });
  it("a complete feature stays complete whatever its tasks do", T, async () => {
    const { paths, read } = project([feature("f", "complete")], [task("f.a", { status: "done" }), task("f.b")]);
    await transitionTask(paths, "f.b", "start");
    assert.equal(read().features[0]?.status, "complete");
  });
  it("a blocked feature is not moved by a forced start", T, async () => {
    const { paths, read } = project([feature("f", "blocked")], [task("f.a", { status: "blocked" })]);
    await transitionTask(paths, "f.a", "start", { force: true });
    assert.equal(read().features[0]?.status, "blocked");
  });
  it("refuses a start of a pending task, naming what it waits on", T, async () => {
    const { paths } = project(
      [feature("f", "planned")],
      [task("f.a"), task("f.s", { status: "skipped" }), task("f.b", { dependsOn: ["f.a", "f.s"], status: "pending" })],
    );
    await assert.rejects(transitionTask(paths, "f.b", "start"), {
      message: 'Cannot start task "f.b": it is pending, waiting on f.a.',
    });
    await assert.rejects(
      transitionTask(paths, "f.a", "done").then(() => transitionTask(paths, "f.a", "start")),
      {
        message: 'Cannot start task "f.a": it is done.',
        fix: "`br tasks start` works on ready tasks; --force overrides.",
      },
    );
  });
  it("a blocked task with no waiting dependency is waiting on its feature", T, async () => {
    const { paths } = project([feature("f", "blocked")], [task("f.a", { status: "blocked" })]);
    await assert.rejects(transitionTask(paths, "f.a", "done"), {
      message: 'Cannot done task "f.a": it is blocked, waiting on its feature.',
    });
  });
  it("done and fail accept a ready task; start does not accept a running one", T, async () => {
    const { paths, read } = project([feature("f", "planned")], [task("f.a"), task("f.b"), task("f.c", { status: "running" })]);
    await transitionTask(paths, "f.a", "done");
    await transitionTask(paths, "f.b", "fail");
    await assert.rejects(transitionTask(paths, "f.c", "start"), { message: 'Cannot start task "f.c": it is running.' });
    assert.deepEqual(
      read().tasks.map((t) => t.status),
      ["done", "failed", "running"],
    );
    await transitionTask(paths, "f.c", "reset");
    assert.equal(read().tasks[2]?.status, "ready");
  });
  it("an unknown id suggests close ids, or how to list them", T, async () => {
    const { paths } = project([feature("f", "planned")], [task("f.api"), task("f.api-2"), task("f.apis"), task("f.api3"), task("f.ui")]);
    await assert.rejects(transitionTask(paths, "api", "start"), {
      message: 'No task with id "api".',
      fix: "Did you mean f.api, f.api-2, f.apis?",
    });
    await assert.rejects(transitionTask(paths, "nothing", "start"), { fix: "List the ids with `br tasks list`." });
  });
  it("a task whose feature is missing from the registry moves alone", T, async () => {
    const { paths, read } = project([feature("g", "planned")], [task("f.a")]);
    await transitionTask(paths, "f.a", "start");
    assert.equal(read().features[0]?.status, "planned");
  });
});
