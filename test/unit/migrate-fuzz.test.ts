/**
 * Every migration and import reader (src/migrate/v2.ts, br3-python.ts, taskmaster.ts, speckit.ts)
 * fed thousands of mutated inputs from a seeded generator: each either gives a plan that br's own
 * schemas accept, or refuses with the clean usage error (exit 2, the file named). Anything else, a
 * TypeError, a stack overflow, a plan the registry would reject, is a failure with its seed.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { seededRandom } from "../../src/infra/random.ts";
import { readBr3Python } from "../../src/migrate/br3-python.ts";
import type { MigrationPlan } from "../../src/migrate/plan.ts";
import { parseSpeckitTasks } from "../../src/migrate/speckit.ts";
import { parseTaskmaster } from "../../src/migrate/taskmaster.ts";
import { readV2 } from "../../src/migrate/v2.ts";
import { taskSchema } from "../../src/plan/task.ts";
import { featureSchema } from "../../src/registry/feature.ts";

const ROUNDS = 2500;
/** Each reader stops at this deadline whatever the round, so a slow machine cannot hang the suite. */
const DEADLINE_MS = 25_000;
/** The test runner's own deadline for each reader: the fuzz loop's, plus room to set up and judge. */
const T = { timeout: 60_000 };

const dir = mkdtempSync(join(tmpdir(), "br-migrate-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOKENS = [
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "null",
  "true",
  "-1",
  "1e400",
  '"__proto__"',
  '"status"',
  '"done"',
  '"unknown"',
  "\u0000",
  "\n",
  "T001",
  "[P]",
  "- [ ] ",
  "- [x] T9 ",
  "## Phase 9",
  "(depends on T001)",
  "🎯",
  "\\u0000",
  "9".repeat(30),
];

/** One random edit: cut, delete, insert a token, duplicate a slice, or swap two bytes. */
function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  switch (Math.floor(random() * 5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20));
    case 2:
      return text.slice(0, at) + pick(TOKENS) + text.slice(at);
    case 3: {
      const end = Math.min(text.length, at + Math.floor(random() * 200));
      return text.slice(0, end) + text.slice(at, end) + text.slice(end);
    }
    default: {
      const other = Math.floor(random() * text.length);
      const chars = [...text];
      [chars[at], chars[other]] = [chars[other] as string, chars[at] as string];
      return chars.join("");
    }
  }
}

const STAMP = "2026-01-01T00:00:00.000Z";

/** A plan a reader gave must be one br's schemas accept: valid ids, one-line names, known statuses. */
function checkPlan(plan: MigrationPlan, seed: number): void {
  for (const { origin: _o, ...feature } of plan.features) {
    const result = featureSchema.safeParse({ ...feature, createdAt: STAMP, updatedAt: STAMP });
    assert.ok(result.success, `seed ${seed}: feature ${JSON.stringify(feature)}: ${result.error?.message}`);
  }
  for (const { origin: _o, ...task } of plan.tasks) {
    const result = taskSchema.safeParse({ ...task, complexity: "moderate", estimateMinutes: 60 });
    assert.ok(result.success, `seed ${seed}: task ${JSON.stringify(task)}: ${result.error?.message}`);
  }
}

function fuzz(name: string, seedText: string, read: (text: string) => MigrationPlan): { plans: number; refused: number } {
  const started = Date.now();
  let plans = 0;
  let refused = 0;
  for (let seed = 1; seed <= ROUNDS && Date.now() - started < DEADLINE_MS; seed++) {
    const random = seededRandom(seed);
    let text = seedText;
    const edits = 1 + Math.floor(random() * 4);
    for (let i = 0; i < edits; i++) text = mutate(text, random);
    try {
      checkPlan(read(text), seed);
      plans++;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      assert.ok(error instanceof BrError, `${name}, seed ${seed}: ${(error as Error)?.stack ?? String(error)}`);
      assert.equal(error.exitCode, 2, `${name}, seed ${seed}`);
      assert.ok(error.file, `${name}, seed ${seed}: the message names no file: ${error.message}`);
      refused++;
    }
  }
  return { plans, refused };
}

const TASKMASTER = JSON.stringify(
  {
    master: {
      tasks: [
        {
          id: 1,
          title: "Setup",
          description: "d",
          details: "x",
          testStrategy: "t",
          status: "done",
          priority: "high",
          dependencies: [],
          subtasks: [],
        },
        {
          id: 2,
          title: "Auth",
          status: "in-progress",
          priority: "medium",
          dependencies: [1],
          subtasks: [
            { id: 1, title: "Form", status: "done", dependencies: [] },
            { id: 2, title: "Session", status: "pending", dependencies: [1, "2.1"] },
          ],
        },
        { id: 3, title: "Later", status: "deferred", priority: "low", dependencies: [2] },
      ],
    },
  },
  null,
  1,
);

const TASKS_MD = `# Tasks: Albums
## Phase 1: Setup
- [x] T001 Create structure
- [ ] T002 [P] Lint config in biome.json
## Phase 2: User Story 1 (Priority: P1)
- [ ] T003 [US1] Album model in src/models/album.ts (depends on T001)
- [ ] T004 [P] [US1] Test in tests/album.test.ts
`;

const HRPO = JSON.stringify({
  executive_summary: "Shop",
  features: ["Accounts", { name: "Checkout", status: "in_progress", priority: "high" }],
  build_plan: {
    phases: [
      { name: "Base", steps: [{ id: "1.1", name: "Repo", done: true }] },
      { name: "Pay", steps: [{ id: 2, name: "Stripe" }] },
    ],
  },
  next_version_features: ["Wishlists"],
});

const PYTHON = JSON.stringify({
  project: { name: "Legacy" },
  features: [
    { id: "auth", name: "Auth", status: "completed", priority: "P1" },
    { id: "billing", name: "Billing", status: "not_started", dependencies: ["auth"] },
    { id: "x", name: "X", status: "unknown" },
  ],
});

describe("migration readers under mutated input", () => {
  it("Taskmaster's tasks.json", T, () => {
    const { plans, refused } = fuzz("taskmaster", TASKMASTER, (text) => parseTaskmaster(text, "tasks.json"));
    assert.ok(plans > 0 && refused > 0, `plans ${plans}, refused ${refused}: the mutations should reach both outcomes`);
  });

  it("spec-kit's tasks.md", T, () => {
    const { plans, refused } = fuzz("speckit", TASKS_MD, (text) => parseSpeckitTasks(text, "001-albums", "tasks.md"));
    assert.ok(plans > 0 && refused > 0, `plans ${plans}, refused ${refused}`);
  });

  it("BuildRunner 2.0's hrpo.json", T, () => {
    const root = join(dir, "v2");
    mkdirSync(join(root, ".runner"), { recursive: true });
    const { plans, refused } = fuzz("v2", HRPO, (text) => {
      writeFileSync(join(root, ".runner", "hrpo.json"), text);
      return readV2(root);
    });
    assert.ok(plans > 0 && refused > 0, `plans ${plans}, refused ${refused}`);
  });

  it("the Python BuildRunner 3.0's features.json", T, () => {
    const root = join(dir, "py");
    mkdirSync(join(root, ".buildrunner"), { recursive: true });
    const { plans, refused } = fuzz("br3-python", PYTHON, (text) => {
      const file = join(root, ".buildrunner", "features.json");
      writeFileSync(file, text);
      return readBr3Python(root, file);
    });
    assert.ok(plans > 0 && refused > 0, `plans ${plans}, refused ${refused}`);
  });
});
