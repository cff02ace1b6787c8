/** Claims under concurrency: streams claiming at once never share a task or run overlapping ones. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { claimTask } from "../../src/parallel/claims.ts";
import { StreamStore } from "../../src/parallel/store.ts";
import { loadTasks } from "../../src/plan/task-store.ts";
import { brOk, initializedRepo } from "../helpers.ts";

function planWith(features: { name: string; files: string }[]): string {
  const root = initializedRepo();
  for (const f of features) brOk(["features", "add", f.name, "--files", f.files], { cwd: root });
  brOk(["tasks", "generate"], { cwd: root });
  return root;
}

describe("claimTask", () => {
  it("gives each of four streams claiming at once a different task, and says wait or none when nothing is free", async () => {
    const root = planWith([
      { name: "Alpha", files: "src/alpha/**" },
      { name: "Beta", files: "src/beta/**" },
      { name: "Gamma", files: "src/gamma/**" },
      { name: "Shared", files: "src/alpha/**" },
    ]);
    const paths = projectPaths(root);
    const store = StreamStore.open(paths);
    try {
      for (let i = 1; i <= 4; i++) store.create({ name: `s${i}`, path: `/w/s${i}`, branch: `br/s${i}`, target: "main", port: 41000 });
      const claims = await Promise.all([1, 2, 3, 4].map((i) => claimTask(paths, store, `s${i}`, () => "tip")));
      const taken = claims.filter((c) => typeof c === "object").map((c) => (c as { task: { id: string } }).task.id);
      assert.equal(new Set(taken).size, taken.length, `no task twice: ${taken.join(", ")}`);
      assert.equal(taken.length, 3, "Shared overlaps Alpha's files: it waits");
      assert.ok(claims.includes("wait"));
      const running = (await loadTasks(paths)).tasks.filter((t) => t.status === "running").map((t) => t.id);
      assert.deepEqual(running.sort(), [...taken].sort());
      for (const row of store.list().filter((r) => r.task_id)) assert.equal(row.status, "working");
      assert.equal(await claimTask(paths, store, "s4", () => "tip"), "wait");
    } finally {
      store.close();
    }
  });

  it("says none when no task is ready or running", async () => {
    const root = initializedRepo();
    brOk(["tasks", "generate"], { cwd: root });
    const store = StreamStore.open(projectPaths(root));
    try {
      store.create({ name: "s1", path: "/w/s1", branch: "br/s1", target: "main", port: 41000 });
      assert.equal(await claimTask(projectPaths(root), store, "s1", () => "tip"), "none");
    } finally {
      store.close();
    }
  });
});
