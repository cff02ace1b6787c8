/**
 * Tasks added by hand or by an agent (src/plan/add-task.ts): an id from the feature and the title,
 * numbered when taken; the feature's priority and files; unknown features and dependencies
 * refused; and kept when the plan is generated again (src/plan/generate.ts).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { addTask } from "../../src/plan/add-task.ts";
import { mergePlans } from "../../src/plan/generate.ts";
import { loadTasks } from "../../src/plan/task-store.ts";
import { brOk, tempRepo } from "../helpers.ts";

function planned(): string {
  const cwd = tempRepo();
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), "# P\n\n## Features\n\n### Greeting\nSay hello.\nFiles: src/greet/**\n");
  brOk(["init", "p"], { cwd });
  brOk(["spec", "sync"], { cwd });
  brOk(["tasks", "generate"], { cwd });
  return cwd;
}

describe("adding a task", () => {
  it("takes its id from the feature and the title, numbered when taken, with the feature's priority and files", async () => {
    const paths = projectPaths(planned());
    const first = await addTask(paths, { featureId: "greeting", title: '  Write the README\'s "Usage" section!  ' });
    assert.equal(first.id, "greeting.added.write-the-readme-s-usage-section");
    assert.equal(first.title, 'Write the README\'s "Usage" section!');
    assert.deepEqual(first.files, ["src/greet/**"]);
    assert.equal(first.added, true);
    const second = await addTask(paths, {
      featureId: "greeting",
      title: "Write the README's usage section",
      files: ["README.md"],
      dependsOn: [first.id],
    });
    assert.equal(second.id, "greeting.added.write-the-readme-s-usage-section-2");
    assert.deepEqual(second.files, ["README.md"]);
    const plan = await loadTasks(paths);
    assert.equal(plan.tasks.find((t) => t.id === second.id)?.status, "pending", "waits on the first");
    assert.equal(plan.tasks.find((t) => t.id === first.id)?.status, "ready");
    const symbols = await addTask(paths, { featureId: "greeting", title: "!!!" });
    assert.equal(symbols.id, "greeting.added.task");
  });

  it("refuses an unknown feature or dependency, changing nothing", async () => {
    const paths = projectPaths(planned());
    const before = (await loadTasks(paths)).tasks.length;
    await assert.rejects(
      addTask(paths, { featureId: "nope", title: "x" }),
      (e: unknown) => e instanceof BrError && /No feature with id "nope"/.test(e.message),
    );
    await assert.rejects(
      addTask(paths, { featureId: "greeting", title: "x", dependsOn: ["ghost"] }),
      (e: unknown) => e instanceof BrError && /ghost/.test(e.message),
    );
    assert.equal((await loadTasks(paths)).tasks.length, before);
  });

  it("an added task nobody started survives regeneration; an untouched generated one that is gone does not", async () => {
    const paths = projectPaths(planned());
    const added = await addTask(paths, { featureId: "greeting", title: "Extra" });
    const previous = (await loadTasks(paths)).tasks;
    const next = previous.filter((t) => !t.added && t.id !== "greeting.tests").map((t) => ({ ...t }));
    const merged = mergePlans(previous, next);
    assert.ok(merged.tasks.some((t) => t.id === added.id));
    assert.deepEqual(merged.removed, ["greeting.tests"]);
  });
});
