/**
 * Taskmaster round trip at the module level (src/migrate/taskmaster.ts, write.ts,
 * taskmaster-export.ts): parse → write as a br project → export → parse again gives the same plan,
 * statuses br has no word for (deferred, cancelled) included.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { joinDetails, parseTaskmaster, splitDetails } from "../../src/migrate/taskmaster.ts";
import { exportTaskmaster } from "../../src/migrate/taskmaster-export.ts";
import { writePlan } from "../../src/migrate/write.ts";

const root = mkdtempSync(join(tmpdir(), "br-tm-export-"));
after(() => rmSync(root, { recursive: true, force: true }));

const SOURCE = JSON.stringify({
  master: {
    tasks: [
      {
        id: 1,
        title: "Setup",
        description: "Repo",
        details: "npm",
        testStrategy: "CI green",
        status: "done",
        priority: "high",
        dependencies: [],
      },
      {
        id: 2,
        title: "Auth",
        description: "Login",
        details: "cookies",
        status: "in-progress",
        priority: "critical",
        dependencies: [1],
        subtasks: [
          { id: 1, title: "Form", description: "f", details: "src/form.ts", status: "done", dependencies: [] },
          { id: 2, title: "Reset", description: "r", status: "deferred", dependencies: [1, "3.1"] },
        ],
      },
      {
        id: 3,
        title: "Later",
        description: "l",
        status: "deferred",
        priority: "low",
        dependencies: [],
        subtasks: [{ id: 1, title: "Sub", description: "s", status: "cancelled" }],
      },
    ],
  },
  "ui-work": { tasks: [{ id: 1, title: "Theme", description: "t", status: "review", priority: "medium", dependencies: [] }] },
});

const strip = (plan: ReturnType<typeof parseTaskmaster>) => ({
  features: plan.features.map(({ origin: _o, ...f }) => f),
  tasks: plan.tasks.map(({ origin: _o, ...t }) => t),
});

describe("Taskmaster export", () => {
  it("import → export → import gives the same plan", async () => {
    const first = parseTaskmaster(SOURCE, "tasks.json");
    await writePlan(root, first, { dryRun: false, replacing: false, command: "import taskmaster" });
    const { file, tags } = await exportTaskmaster(projectPaths(root));
    assert.deepEqual(tags.sort(), ["master", "ui-work"]);
    const again = parseTaskmaster(readFileSync(join(root, file), "utf8"), "tasks.json");
    assert.deepEqual(strip(again).features, strip(first).features);
    assert.deepEqual(
      strip(again).tasks.map((t) => [t.id, t.dependsOn, t.description]),
      strip(first).tasks.map((t) => [t.id, t.dependsOn, t.description]),
    );
  });

  it("keeps a description and its details apart through the round trip", () => {
    assert.deepEqual(splitDetails(joinDetails("What", "How")), { description: "What", details: "How" });
    assert.deepEqual(splitDetails(joinDetails("What", "")), { description: "What", details: "" });
  });
});
