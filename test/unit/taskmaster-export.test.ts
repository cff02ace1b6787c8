/**
 * Taskmaster round trip at the module level (src/migrate/taskmaster.ts, write.ts,
 * taskmaster-export.ts): parse → write as a br project → export → parse again gives the same plan,
 * statuses br has no word for (deferred, cancelled) included.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { joinDetails, parseTaskmaster, readTaskmaster, splitDetails } from "../../src/migrate/taskmaster.ts";
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

describe("Taskmaster export", { timeout: 60_000 }, () => {
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

  it("reads what tm-core writes: string ids and dependencies, subtasks' parentId, null text fields, status completed", () => {
    // tm-core's FileStorage.normalizeTaskIds: task ids and dependencies as strings, subtask ids as numbers
    // with parentId; expand-task's schema lets testStrategy be null; tm-core's TaskStatus has "completed".
    const plan = parseTaskmaster(
      JSON.stringify({
        master: {
          tasks: [
            {
              id: "1",
              title: "Base",
              description: null,
              details: null,
              testStrategy: null,
              status: "completed",
              priority: "medium",
              dependencies: [],
              subtasks: [],
            },
            {
              id: "2",
              title: "Next",
              description: "n",
              details: "",
              testStrategy: "",
              status: "pending",
              priority: null,
              dependencies: ["1"],
              subtasks: [
                { id: 1, parentId: "2", title: "A", description: "a", details: null, testStrategy: null, status: "done", dependencies: [] },
                { id: 2, parentId: "2", title: "B", description: "b", details: "", status: "pending", dependencies: [1] },
              ],
            },
          ],
          metadata: { version: "1.0.0", lastModified: "2025-06-01T10:00:00.000Z", taskCount: 2, completedCount: 1, tags: ["master"] },
        },
      }),
      "tasks.json",
    );
    assert.deepEqual(
      plan.features.map((f) => [f.id, f.status, f.dependsOn, f.acceptance]),
      [
        ["tm-1", "complete", [], []],
        ["tm-2", "planned", ["tm-1"], []],
      ],
    );
    assert.deepEqual(
      plan.tasks.map((t) => [t.id, t.status, t.description]),
      [
        ["tm-1.task", "done", "Base"],
        ["tm-2.1", "done", "a"],
        ["tm-2.2", "pending", "b"],
      ],
    );
  });

  it('a task may depend on another task\'s subtask ("2.1"): its first tasks wait for that subtask, and export keeps it', async () => {
    const source = JSON.stringify({
      master: {
        tasks: [
          { id: 1, title: "Schema", description: "s", status: "pending", priority: "high", dependencies: [], subtasks: [] },
          {
            id: 2,
            title: "API",
            description: "a",
            status: "pending",
            priority: "high",
            dependencies: [1],
            subtasks: [
              { id: 1, title: "Routes", description: "r", status: "pending", dependencies: [] },
              { id: 2, title: "Auth", description: "u", status: "pending", dependencies: [1] },
            ],
          },
          { id: 3, title: "Docs", description: "d", status: "pending", priority: "low", dependencies: ["2.1"], subtasks: [] },
          {
            id: 4,
            title: "Client",
            description: "c",
            status: "pending",
            priority: "low",
            dependencies: ["2.2"],
            subtasks: [
              { id: 1, title: "Fetch", description: "f", status: "pending", dependencies: [] },
              { id: 2, title: "Cache", description: "k", status: "pending", dependencies: [1] },
            ],
          },
        ],
      },
    });
    const first = parseTaskmaster(source, "tasks.json");
    const deps = Object.fromEntries(first.tasks.map((t) => [t.id, t.dependsOn]));
    assert.deepEqual(first.features.find((f) => f.id === "tm-3")?.dependsOn, [], "a subtask is not a feature");
    assert.deepEqual(deps["tm-3.task"], ["tm-2.1"]);
    assert.deepEqual(deps["tm-4.1"], ["tm-2.2"]);
    assert.deepEqual(deps["tm-4.2"], ["tm-4.1"]);

    const dir = mkdtempSync(join(tmpdir(), "br-tm-subdep-"));
    try {
      await writePlan(dir, first, { dryRun: false, replacing: false, command: "import taskmaster" });
      const { file } = await exportTaskmaster(projectPaths(dir));
      const written = JSON.parse(readFileSync(join(dir, file), "utf8")) as { master: { tasks: { id: number; dependencies: unknown[] }[] } };
      assert.deepEqual(written.master.tasks.find((t) => t.id === 3)?.dependencies, ["2.1"], "written as Taskmaster writes it");
      const again = parseTaskmaster(readFileSync(join(dir, file), "utf8"), "tasks.json");
      assert.deepEqual(strip(again), strip(first));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rates each tag's tasks from that tag's report (task-complexity-report_<tag>.json)", () => {
    const dir = mkdtempSync(join(tmpdir(), "br-tm-reports-"));
    try {
      mkdirSync(join(dir, ".taskmaster", "tasks"), { recursive: true });
      mkdirSync(join(dir, ".taskmaster", "reports"), { recursive: true });
      const task = { id: 1, title: "T", description: "t", status: "pending", priority: "medium", dependencies: [], subtasks: [] };
      writeFileSync(
        join(dir, ".taskmaster", "tasks", "tasks.json"),
        JSON.stringify({ master: { tasks: [task] }, "ui-work": { tasks: [task] } }),
      );
      const report = (score: number) =>
        JSON.stringify({
          meta: { generatedAt: "2025-06-02T10:00:00.000Z", tasksAnalyzed: 1, thresholdScore: 5, projectName: "P", usedResearch: false },
          complexityAnalysis: [
            { taskId: 1, taskTitle: "T", complexityScore: score, recommendedSubtasks: 3, expansionPrompt: "", reasoning: "" },
          ],
        });
      writeFileSync(join(dir, ".taskmaster", "reports", "task-complexity-report.json"), report(2));
      writeFileSync(join(dir, ".taskmaster", "reports", "task-complexity-report_ui-work.json"), report(9));
      const plan = readTaskmaster(dir, undefined);
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.complexity, t.estimateMinutes]),
        [
          ["tm-1.task", "simple", 30],
          ["tm-ui-work-1.task", "complex", 120],
        ],
      );
      assert.ok(plan.read.includes(join(".taskmaster", "reports", "task-complexity-report_ui-work.json")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes what tm-core's TaskEntity accepts: a description on every task, its statuses and priorities", async () => {
    // TaskEntity.validate (tm-core): id, non-empty title and description, status among seven, priority among four.
    const dir = mkdtempSync(join(tmpdir(), "br-tm-entity-"));
    try {
      const plan = parseTaskmaster(
        JSON.stringify({
          tasks: [
            { id: 1, title: "No words", description: "", status: "pending", dependencies: [] },
            {
              id: 2,
              title: "Parent",
              status: "done",
              subtasks: [{ id: 1, title: "Child", description: "", status: "done", dependencies: [] }],
            },
          ],
        }),
        "tasks.json",
      );
      await writePlan(dir, plan, { dryRun: false, replacing: false, command: "import taskmaster" });
      const { file } = await exportTaskmaster(projectPaths(dir));
      type Written = { id: number; title: string; description: string; status: string; priority: string; subtasks: Written[] };
      const written = JSON.parse(readFileSync(join(dir, file), "utf8")) as { master: { tasks: Written[] } };
      const all = written.master.tasks.flatMap((t) => [t, ...t.subtasks]);
      for (const t of all) {
        assert.ok(t.description.trim(), `task ${t.id} has a description`);
        assert.ok(["pending", "in-progress", "done", "deferred", "cancelled", "blocked", "review"].includes(t.status), t.status);
      }
      for (const t of written.master.tasks) assert.ok(["low", "medium", "high", "critical"].includes(t.priority), t.priority);
      assert.equal(written.master.tasks[0]?.description, "No words");
      assert.equal(written.master.tasks[1]?.subtasks[0]?.description, "Child");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
