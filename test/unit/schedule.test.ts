/** Which ready task a free stream takes: plan order, never one whose likely files overlap running work. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { entriesOverlap, filesOverlap, pickTask } from "../../src/parallel/schedule.ts";
import type { TasksFile } from "../../src/plan/task.ts";
import { taskWith } from "./task-fixture.ts";

describe("entriesOverlap", () => {
  const cases: [string, string, boolean][] = [
    ["src/a.ts", "src/a.ts", true],
    ["src/a.ts", "./src/a.ts", true],
    ["src/a.ts", "src/b.ts", false],
    ["src/", "src/a.ts", true],
    ["src/feature-1", "src/feature-10/x.ts", false],
    ["src/feature-1/**", "src/feature-1/x.ts", true],
    ["src/feature-1/**", "src/feature-2/**", false],
    ["src/feature-1/**", "src/**", true],
    ["src/**/*.ts", "test/a.test.ts", false],
    ["**/*.ts", "test/a.test.ts", true],
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/a.js", false],
    ["src/feature-1/**", "src", true],
  ];
  for (const [a, b, expected] of cases)
    it(`${a} × ${b}: ${expected ? "overlap" : "apart"}`, () => {
      assert.equal(entriesOverlap(a, b), expected);
      assert.equal(entriesOverlap(b, a), expected, "symmetric");
    });

  it("lists overlap when any pair does; an empty list overlaps nothing", () => {
    assert.equal(filesOverlap(["a/x", "b/**"], ["c", "b/y.ts"]), true);
    assert.equal(filesOverlap([], ["src/**"]), false);
  });
});

describe("pickTask", () => {
  const plan = (...tasks: ReturnType<typeof taskWith>[]): TasksFile => ({ schemaVersion: 1, tasks });

  it("takes the ready task on the longest critical path first", () => {
    const short = taskWith({ id: "a.one", status: "ready", files: ["src/a/**"], estimateMinutes: 10 });
    const long = taskWith({ id: "b.one", status: "ready", files: ["src/b/**"], estimateMinutes: 10 });
    const after = taskWith({ id: "b.two", status: "pending", dependsOn: ["b.one"], files: ["src/b2/**"], estimateMinutes: 60 });
    assert.equal(pickTask(plan(short, long, after), [])?.id, "b.one");
  });

  it("skips a task whose files overlap a running one, and waits when every ready task does", () => {
    const running = taskWith({ id: "a.one", status: "running", files: ["src/shared/**"] });
    const clash = taskWith({ id: "b.one", status: "ready", files: ["src/shared/x.ts"], priority: "critical" });
    const apart = taskWith({ id: "c.one", status: "ready", files: ["src/c/**"], priority: "low" });
    assert.equal(pickTask(plan(running, clash, apart), [running])?.id, "c.one");
    assert.equal(pickTask(plan(running, clash), [running]), undefined);
  });

  it("never hands out a task that is not ready", () => {
    assert.equal(pickTask(plan(taskWith({ id: "a.one", status: "pending" }), taskWith({ id: "b.one", status: "done" })), []), undefined);
  });
});
