/**
 * `br import taskmaster|speckit` and `br export taskmaster` (SPEC §11) on projects written in the
 * peers' current formats: Taskmaster's tagged tasks.json (and the older untagged one), spec-kit's
 * specs/<NNN-name>/tasks.md. Every feature and status is accounted for; importing twice gives the
 * same files; import → export → import gives the same plan; bad input exits 2 and changes nothing.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, git, readJson, snapshot, tempRepo } from "./helpers.ts";

/** Taskmaster's tagged format, field by field as its docs and generated files have them. */
const TASKMASTER = {
  master: {
    tasks: [
      {
        id: 1,
        title: "Set up the project",
        description: "Create the repository and tooling.",
        details: "Use npm workspaces.",
        testStrategy: "npm test runs green on an empty suite.",
        status: "done",
        priority: "high",
        dependencies: [],
        subtasks: [],
      },
      {
        id: 2,
        title: "User authentication",
        description: "Sign-up and sign-in.",
        details: "Sessions in signed cookies.",
        testStrategy: "A user signs up, signs out and signs in again.",
        status: "in-progress",
        priority: "high",
        dependencies: [1],
        subtasks: [
          {
            id: 1,
            title: "Sign-up form",
            description: "The form and its validation.",
            details: "src/auth/signup.ts",
            status: "done",
            dependencies: [],
            testStrategy: "Invalid emails are refused.",
          },
          { id: 2, title: "Sessions", description: "Signed session cookies.", details: "", status: "pending", dependencies: [1] },
          { id: 3, title: "Password reset", description: "Reset by email.", details: "", status: "deferred", dependencies: ["2.2"] },
        ],
      },
      {
        id: 3,
        title: "Reports",
        description: "Monthly charts.",
        details: "",
        testStrategy: "",
        status: "pending",
        priority: "medium",
        dependencies: [2],
        subtasks: [],
      },
      {
        id: 4,
        title: "Legacy importer",
        description: "Dropped.",
        details: "",
        testStrategy: "",
        status: "cancelled",
        priority: "low",
        dependencies: [],
        subtasks: [],
      },
      {
        id: 5,
        title: "API docs",
        description: "Reference pages.",
        details: "",
        testStrategy: "Every endpoint has a page.",
        status: "review",
        priority: "low",
        dependencies: [1],
        subtasks: [],
      },
      {
        id: 6,
        title: "Dark mode",
        description: "Later.",
        details: "",
        testStrategy: "",
        status: "deferred",
        priority: "medium",
        dependencies: [],
        subtasks: [],
      },
    ],
    metadata: { created: "2025-06-01T10:00:00.000Z", updated: "2025-06-02T10:00:00.000Z", description: "Tasks for master context" },
  },
  "feature-billing": {
    tasks: [
      {
        id: 1,
        title: "Invoices",
        description: "PDF invoices.",
        details: "",
        testStrategy: "",
        status: "pending",
        priority: "medium",
        dependencies: [],
        subtasks: [],
      },
    ],
    metadata: { created: "2025-06-01T10:00:00.000Z", updated: "2025-06-01T10:00:00.000Z", description: "Billing branch" },
  },
};

/** What `task-master analyze-complexity` writes: a score of 1–10 per task. */
const COMPLEXITY_REPORT = {
  meta: { generatedAt: "2025-06-02T10:00:00.000Z", tasksAnalyzed: 2, thresholdScore: 5, projectName: "Taskmaster", usedResearch: false },
  complexityAnalysis: [
    {
      taskId: 2,
      taskTitle: "User authentication",
      complexityScore: 8,
      recommendedSubtasks: 4,
      expansionPrompt: "Break down auth.",
      reasoning: "Sessions and email.",
    },
    { taskId: 3, taskTitle: "Reports", complexityScore: 2, recommendedSubtasks: 1, expansionPrompt: "", reasoning: "Small." },
  ],
};

function taskmasterProject(content: unknown = TASKMASTER): string {
  const cwd = tempRepo();
  mkdirSync(join(cwd, ".taskmaster", "tasks"), { recursive: true });
  mkdirSync(join(cwd, ".taskmaster", "docs"), { recursive: true });
  writeFileSync(join(cwd, ".taskmaster", "tasks", "tasks.json"), `${JSON.stringify(content, null, 2)}\n`);
  writeFileSync(join(cwd, ".taskmaster", "docs", "prd.txt"), "A product.\n");
  mkdirSync(join(cwd, ".taskmaster", "reports"), { recursive: true });
  writeFileSync(join(cwd, ".taskmaster", "reports", "task-complexity-report.json"), JSON.stringify(COMPLEXITY_REPORT, null, 2));
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "taskmaster project");
  return cwd;
}

const SPEC = `# Feature Specification: Photo Albums

**Feature Branch**: \`001-photo-albums\`
**Status**: Draft

## User Scenarios & Testing *(mandatory)*

### Acceptance Scenarios
1. **Given** a user with photos, **When** they create an album, **Then** the album lists the photos
2. **Given** an album, **When** it is deleted, **Then** the photos remain
`;

const TASKS_MD = `# Tasks: Photo Albums

**Input**: Design documents from \`/specs/001-photo-albums/\`

## Format: \`[ID] [P?] [Story] Description\`

## Phase 1: Setup (Shared Infrastructure)

- [x] T001 Create project structure per implementation plan
- [X] T002 [P] Configure linting in biome.json

## Phase 2: Foundational (Blocking Prerequisites)

- [ ] T003 Album model in src/models/album.ts
- [ ] T004 [P] Photo model in src/models/photo.ts

## Phase 3: User Story 1 - Create albums (Priority: P1) 🎯 MVP

- [ ] T005 [P] [US1] Contract test for POST /api/albums in tests/contract/albums.test.ts
- [ ] T006 [US1] Implement AlbumService in src/services/album-service.ts (depends on T003)
`;

/**
 * tasks.md as spec-kit's current /speckit.tasks writes it (templates/tasks-template.md): user-story
 * phases with "### Tests for …" / "### Implementation for …" parts, a Polish phase, and the
 * "Dependencies & Execution Order" section saying stories wait for Foundational only.
 */
const TASKS_MD_STORIES = `---
description: "Task list for Comments"
---

# Tasks: Comments

**Input**: Design documents from \`/specs/003-comments/\`
**Prerequisites**: plan.md (required), spec.md (required for user stories)

## Format: \`[ID] [P?] [Story] Description\`

- **[P]**: Can run in parallel (different files, no dependencies)
- **[Story]**: Which user story this task belongs to (e.g., US1, US2)

## Phase 1: Setup (Shared Infrastructure)

**Purpose**: Project initialization

- [ ] T001 Create the comments module layout in src/comments/index.ts

---

## Phase 2: Foundational (Blocking Prerequisites)

**⚠️ CRITICAL**: No user story work can begin until this phase is complete

- [ ] T002 Comment model in src/comments/model.ts
- [ ] T003 [P] Comment store in src/comments/store.ts

**Checkpoint**: Foundation ready - user story implementation can now begin in parallel

---

## Phase 3: User Story 1 - Post a comment (Priority: P1) 🎯 MVP

**Goal**: A reader posts a comment under a photo

### Tests for User Story 1 ⚠️

- [ ] T004 [P] [US1] Contract test for POST /api/comments in tests/contract/comments.test.ts

### Implementation for User Story 1

- [ ] T005 [US1] Post endpoint in src/comments/post.ts
- [ ] T006 [US1] Length and spam checks in src/comments/validate.ts

---

## Phase 4: User Story 2 - Moderate comments (Priority: P2)

### Implementation for User Story 2

- [ ] T007 [P] [US2] Moderation queue in src/comments/queue.ts

---

## Phase 5: Polish & Cross-Cutting Concerns

- [ ] T008 [P] Comments guide in docs/comments.md

---

## Dependencies & Execution Order

### Phase Dependencies

- **Setup (Phase 1)**: No dependencies - can start immediately
- **Foundational (Phase 2)**: Depends on Setup completion - BLOCKS all user stories
- **User Stories (Phase 3+)**: All depend on Foundational phase completion
- **Polish (Final Phase)**: Depends on all desired user stories being complete
`;

/** The earlier template's form: "Phase 3.x" headings and a "## Dependencies" list of "T003 blocks T004". */
const TASKS_MD_BLOCKS = `# Tasks: Export

## Phase 3.1: Setup
- [ ] T001 Create the export layout in src/export/index.ts

## Phase 3.2: Tests First (TDD) ⚠️ MUST COMPLETE BEFORE 3.3
- [ ] T002 [P] Contract test GET /api/export in tests/contract/export.test.ts

## Phase 3.3: Core Implementation (ONLY after tests are failing)
- [ ] T003 [P] Export model in src/export/model.ts
- [ ] T004 [P] ExportService in src/export/service.ts

## Dependencies
- Tests (T002) before implementation (T003-T004)
- T003 blocks T004
`;

function speckitProject(): string {
  const cwd = tempRepo();
  mkdirSync(join(cwd, "specs", "001-photo-albums"), { recursive: true });
  mkdirSync(join(cwd, "specs", "002-sharing"), { recursive: true });
  writeFileSync(join(cwd, "specs", "001-photo-albums", "spec.md"), SPEC);
  writeFileSync(join(cwd, "specs", "001-photo-albums", "plan.md"), "# Implementation Plan: Photo Albums\n");
  writeFileSync(join(cwd, "specs", "001-photo-albums", "tasks.md"), TASKS_MD);
  writeFileSync(
    join(cwd, "specs", "002-sharing", "tasks.md"),
    "# Tasks: Sharing\n\n## Phase 1: Setup\n\n- [ ] T001 Share links in src/share.ts\n",
  );
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "spec-kit project");
  return cwd;
}

interface Feature {
  id: string;
  status: string;
  priority: string;
  dependsOn: string[];
  acceptance: string[];
  blockedReason?: string;
}
interface Task {
  id: string;
  status: string;
  priority: string;
  complexity: string;
  estimateMinutes: number;
  dependsOn: string[];
  files: string[];
  acceptance: string[];
}

const features = (cwd: string) => brJson<{ features: Feature[] }>(["features", "list"], { cwd }).features;
const tasks = (cwd: string) => brJson<{ tasks: Task[] }>(["tasks", "list"], { cwd }).tasks;
const plan = (cwd: string) => [
  readFileSync(join(cwd, ".buildrunner", "features.json"), "utf8"),
  readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8"),
];

describe("br import taskmaster", { timeout: 600_000 }, () => {
  it("brings every task in with its status, priority, dependencies and test strategy", () => {
    const cwd = taskmasterProject();
    brOk(["import", "taskmaster"], { cwd });
    const byId = Object.fromEntries(features(cwd).map((f) => [f.id, f]));
    assert.deepEqual(Object.fromEntries(Object.entries(byId).map(([id, f]) => [id, [f.status, f.priority]])), {
      "tm-1": ["complete", "high"],
      "tm-2": ["in_progress", "high"],
      "tm-3": ["planned", "medium"],
      "tm-4": ["blocked", "low"],
      "tm-5": ["testing", "low"],
      "tm-6": ["blocked", "medium"],
      "tm-feature-billing-1": ["planned", "medium"],
    });
    assert.equal(byId["tm-4"]?.blockedReason, "cancelled in Taskmaster");
    assert.equal(byId["tm-6"]?.blockedReason, "deferred in Taskmaster");
    assert.deepEqual(byId["tm-3"]?.dependsOn, ["tm-2"]);
    assert.deepEqual(byId["tm-2"]?.acceptance, ["A user signs up, signs out and signs in again."]);

    const byTask = Object.fromEntries(tasks(cwd).map((t) => [t.id, t]));
    assert.deepEqual(Object.fromEntries(Object.entries(byTask).map(([id, t]) => [id, t.status])), {
      "tm-1.task": "done",
      "tm-2.1": "done",
      "tm-2.2": "ready",
      "tm-2.3": "pending",
      "tm-3.task": "pending",
      "tm-4.task": "skipped",
      "tm-5.task": "done",
      "tm-6.task": "blocked",
      "tm-feature-billing-1.task": "ready",
    });
    assert.deepEqual(byTask["tm-2.3"]?.dependsOn, ["tm-2.2"]);
    assert.deepEqual([byTask["tm-2.1"]?.complexity, byTask["tm-2.1"]?.estimateMinutes], ["complex", 120], "rated by the complexity report");
    assert.deepEqual([byTask["tm-3.task"]?.complexity, byTask["tm-3.task"]?.estimateMinutes], ["simple", 30]);
    assert.equal(byTask["tm-1.task"]?.complexity, "moderate", "unrated: br's default");
    assert.deepEqual(byTask["tm-2.1"]?.dependsOn, ["tm-1.task"], "a feature's first task waits for its dependencies' last");
    assert.deepEqual(byTask["tm-2.1"]?.acceptance, ["Invalid emails are refused."]);
    assert.equal(brJson<{ task: { id: string } }>(["tasks", "next"], { cwd }).task.id, "tm-2.2");
    brJson(["status"], { cwd });
    brOk(["run", "--dry-run"], { cwd });
  });

  it("importing twice changes nothing; import → export → import gives the same plan", () => {
    const cwd = taskmasterProject();
    brOk(["import", "taskmaster"], { cwd });
    const first = snapshot(cwd);
    const firstPlan = plan(cwd);
    assert.equal(brJson<{ changed: boolean }>(["import", "taskmaster"], { cwd }).changed, false);
    assert.deepEqual(snapshot(cwd), first);

    const exported = brJson<{ file: string; tags: string[] }>(["export", "taskmaster"], { cwd });
    assert.equal(exported.file, ".taskmaster/tasks/tasks.json");
    assert.deepEqual(exported.tags.sort(), ["feature-billing", "master"]);
    const written = readJson<typeof TASKMASTER>(join(cwd, ".taskmaster", "tasks", "tasks.json"));
    const auth = written.master.tasks.find((t) => t.id === 2);
    assert.deepEqual(
      auth?.subtasks.map((s) => [s.id, s.status]),
      [
        [1, "done"],
        [2, "pending"],
        [3, "pending"],
      ],
    );
    assert.equal(auth?.details, "Sessions in signed cookies.");
    assert.equal(written.master.tasks.find((t) => t.id === 4)?.status, "cancelled");

    assert.equal(brJson<{ changed: boolean }>(["import", "taskmaster"], { cwd }).changed, false);
    assert.deepEqual(plan(cwd), firstPlan);
  });

  it("reads the older untagged { tasks: [...] } file at a given path", () => {
    const cwd = tempRepo();
    mkdirSync(join(cwd, "tasks"));
    writeFileSync(join(cwd, "tasks", "tasks.json"), JSON.stringify({ tasks: TASKMASTER.master.tasks.slice(0, 3) }));
    brOk(["import", "taskmaster", "tasks/tasks.json"], { cwd });
    assert.deepEqual(
      features(cwd).map((f) => f.id),
      ["tm-1", "tm-2", "tm-3"],
    );
  });

  const bad: [string, unknown, RegExp, RegExp][] = [
    [
      "an unknown status",
      { tasks: [{ id: 1, title: "A", status: "someday", dependencies: [] }] },
      /unknown status "someday"/,
      /tasks\[0\]\.status/,
    ],
    [
      "a dangling dependency",
      { tasks: [{ id: 1, title: "A", status: "pending", dependencies: [9] }] },
      /"tm-9", which is not in the plan/,
      /tasks\[0\]/,
    ],
    [
      "a cycle",
      {
        tasks: [
          { id: 1, title: "A", status: "pending", dependencies: [2] },
          { id: 2, title: "B", status: "pending", dependencies: [1] },
        ],
      },
      /cycle: tm-1 → tm-2 → tm-1/,
      /tasks\[0\]/,
    ],
    [
      "a repeated id",
      {
        tasks: [
          { id: 1, title: "A" },
          { id: 1, title: "B" },
        ],
      },
      /repeats an id/,
      /tasks\[1\]\.id/,
    ],
  ];
  for (const [what, content, message, place] of bad) {
    it(`${what}: exit 2 naming the file and the place, nothing written`, () => {
      const cwd = taskmasterProject(content);
      const before = snapshot(cwd);
      const result = br(["import", "taskmaster"], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /file: \.taskmaster\/tasks\/tasks\.json/);
      assert.match(result.stderr, place);
      assert.deepEqual(snapshot(cwd), before);
    });
  }

  it("a truncated tasks.json: exit 2 with the place, nothing written", () => {
    const cwd = taskmasterProject();
    writeFileSync(join(cwd, ".taskmaster", "tasks", "tasks.json"), JSON.stringify(TASKMASTER).slice(0, 300));
    const before = snapshot(cwd);
    const result = br(["import", "taskmaster"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /at: {3}line 1, column \d+/);
    assert.deepEqual(snapshot(cwd), before);
  });
});

describe("br import speckit", { timeout: 600_000 }, () => {
  it("brings each spec in as a feature, its checklist as tasks ordered by phase, [P] and paths as scope", () => {
    const cwd = speckitProject();
    const before = snapshot(cwd);
    brJson(["import", "speckit", "--dry-run"], { cwd });
    assert.deepEqual(snapshot(cwd), before);
    brOk(["import", "speckit"], { cwd });
    const byId = Object.fromEntries(features(cwd).map((f) => [f.id, f]));
    assert.deepEqual(Object.keys(byId).sort(), ["001-photo-albums", "002-sharing"]);
    assert.equal(byId["001-photo-albums"]?.status, "in_progress");
    assert.equal(byId["002-sharing"]?.status, "planned");
    assert.equal(byId["001-photo-albums"]?.acceptance.length, 2);
    const byTask = Object.fromEntries(tasks(cwd).map((t) => [t.id, t]));
    const id = (n: string) => `001-photo-albums.${n}`;
    assert.equal(byTask[id("t001")]?.status, "done");
    assert.equal(byTask[id("t002")]?.status, "done");
    assert.deepEqual(byTask[id("t003")]?.dependsOn, [id("t001"), id("t002")], "phase 2 waits for phase 1");
    assert.deepEqual(byTask[id("t004")]?.dependsOn, [id("t001"), id("t002")], "[P]: no order inside the phase");
    assert.deepEqual(byTask[id("t004")]?.files, ["src/models/photo.ts"]);
    assert.deepEqual(byTask[id("t006")]?.dependsOn.sort(), [id("t003"), id("t005")]);
    assert.deepEqual(byTask[id("t006")]?.files, ["src/services/album-service.ts"]);
    assert.equal(byTask[id("t003")]?.status, "ready");
    brJson(["tasks", "next"], { cwd });
    brJson(["status"], { cwd });
    brOk(["run", "--dry-run"], { cwd });

    const after = snapshot(cwd);
    assert.equal(brJson<{ changed: boolean }>(["import", "speckit"], { cwd }).changed, false);
    assert.deepEqual(snapshot(cwd), after);
  });

  it('reads the current template: story phases wait for Foundational only, sub-headings keep the phase, Polish waits for every story, "blocks" lines', () => {
    const cwd = tempRepo();
    mkdirSync(join(cwd, "specs", "003-comments"), { recursive: true });
    mkdirSync(join(cwd, "specs", "004-export"), { recursive: true });
    writeFileSync(join(cwd, "specs", "003-comments", "tasks.md"), TASKS_MD_STORIES);
    writeFileSync(join(cwd, "specs", "004-export", "tasks.md"), TASKS_MD_BLOCKS);
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "spec-kit project");
    brOk(["import", "speckit"], { cwd });
    const byTask = Object.fromEntries(tasks(cwd).map((t) => [t.id, t]));
    const c = (n: string) => `003-comments.${n}`;
    const deps = (id: string) => [...(byTask[id]?.dependsOn ?? [])].sort();
    assert.deepEqual(deps(c("t004")), [c("t002"), c("t003")], "the story starts after Foundational");
    assert.deepEqual(deps(c("t005")), [c("t004")], "### Implementation is part of the same phase");
    assert.deepEqual(
      [c("t004"), c("t005"), c("t006")].map((id) => byTask[id]?.priority),
      ["high", "high", "high"],
      "(Priority: P1) holds under the phase's ### parts",
    );
    assert.deepEqual(deps(c("t007")), [c("t002"), c("t003")], "User Story 2 does not wait for User Story 1");
    assert.equal(byTask[c("t007")]?.priority, "medium");
    assert.deepEqual(deps(c("t008")), [c("t006"), c("t007")], "Polish waits for every story");
    assert.deepEqual(byTask[c("t008")]?.files, ["docs/comments.md"]);

    const e = (n: string) => `004-export.${n}`;
    assert.deepEqual(deps(e("t004")), [e("t002"), e("t003")], "T003 blocks T004");
    assert.deepEqual(deps(e("t003")), [e("t002")]);
    brJson(["tasks", "next"], { cwd });
    brOk(["run", "--dry-run"], { cwd });
  });

  it("a dependency on a task that does not exist: exit 2 naming the line, nothing written", () => {
    const cwd = speckitProject();
    writeFileSync(join(cwd, "specs", "002-sharing", "tasks.md"), "## Phase 1\n\n- [ ] T001 Share links (depends on T099)\n");
    const before = snapshot(cwd);
    const result = br(["import", "speckit", "specs"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /line 3/);
    assert.deepEqual(snapshot(cwd), before);
  });
});
