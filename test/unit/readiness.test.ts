/**
 * Readiness (refreshReadiness in src/plan/task-store.ts): pending, ready and blocked follow from
 * the dependencies and the features, whatever order the plan lists its tasks in.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Task } from "../../src/plan/task.ts";
import { refreshReadiness } from "../../src/plan/task-store.ts";
import type { FeaturesFile } from "../../src/registry/feature.ts";
import { taskWith } from "./task-fixture.ts";

const T = { timeout: 5_000 };

function registry(blocked: string[] = []): FeaturesFile {
  return { features: blocked.map((id) => ({ id, status: "blocked" })) } as unknown as FeaturesFile;
}

function statuses(tasks: Task[]): Record<string, string> {
  return Object.fromEntries(tasks.map((t) => [t.id, t.status]));
}

const task = (id: string, status: Task["status"], dependsOn: string[] = [], featureId = "f") =>
  taskWith({ id, status, dependsOn, featureId });

describe("refreshReadiness", () => {
  it("makes a task ready once every dependency is done or skipped, and pending before", T, () => {
    const tasks = [task("c", "ready", ["b"]), task("b", "pending", ["a", "s"]), task("a", "done"), task("s", "skipped")];
    refreshReadiness(tasks, registry());
    assert.deepEqual(statuses(tasks), { c: "pending", b: "ready", a: "done", s: "skipped" });
  });
  it("blocks the whole chain below a failed task, even when the plan lists the chain backwards", T, () => {
    const tasks = [task("d", "pending", ["c"]), task("c", "pending", ["b"]), task("b", "ready", ["a"]), task("a", "failed")];
    refreshReadiness(tasks, registry());
    assert.deepEqual(statuses(tasks), { d: "blocked", c: "blocked", b: "blocked", a: "failed" });
  });
  it("blocks the tasks of a blocked feature and what waits for them, and frees them once it is unblocked", T, () => {
    const tasks = [task("later", "pending", ["x"], "g"), task("x", "ready", [], "f"), task("other", "pending", [], "g")];
    refreshReadiness(tasks, registry(["f"]));
    assert.deepEqual(statuses(tasks), { later: "blocked", x: "blocked", other: "ready" });
    refreshReadiness(tasks, registry());
    assert.deepEqual(statuses(tasks), { later: "pending", x: "ready", other: "ready" });
  });
  it("never changes running, done, failed or skipped, and keeps a task on a missing dependency pending", T, () => {
    const tasks = [task("r", "running", ["gone"]), task("p", "ready", ["gone"]), task("f1", "failed"), task("d", "done", ["f1"])];
    refreshReadiness(tasks, registry());
    assert.deepEqual(statuses(tasks), { r: "running", p: "pending", f1: "failed", d: "done" });
  });
});
