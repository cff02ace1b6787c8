/**
 * Scope that exists, end to end: an 11-feature web-app spec with no `Files:` lines (but one
 * `Files: NOTES.md`) is planned with concrete files for every task, an honest agent driven by the
 * `command` executor completes every task writing only its task's files, and gap analysis then
 * finds code and tests behind every feature (no critical gap).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, git, tempDir, tempRepo } from "./helpers.ts";

const AGENT = resolve(import.meta.dirname, "fixtures", "scoped-agent.mjs");

const SPEC = `# Boards

## Overview
A small web app for teams: boards of cards, with users, comments and notifications.

## Features

### Boards
Priority: high
A board groups cards under a title; boards are stored in the database.
Acceptance criteria:
- A board is created with a title
- An archived board is hidden from the list

### Cards
Depends on: Boards
Cards sit on a board in a column and can move between columns.
Acceptance criteria:
- A card moves to another column
- \`npm test\`

### Users
Users have a name and an email address; an email address is unique.
Acceptance criteria:
- Two users cannot share an email address

### Auth
Depends on: Users
Users sign in with a password; passwords are hashed and sessions expire.
Acceptance criteria:
- A wrong password is refused

### Comments
Depends on: Cards, Users
Users comment on cards; the rest of the thread stays in order.
Acceptance criteria:
- A comment records its author

### Search
Depends on: Cards
Find cards by words in their title, through an API endpoint.
Acceptance criteria:
- Search is case-insensitive

### Notifications by email
Depends on: Cards, Users
Users get an email when a card assigned to them changes.
Acceptance criteria:
- A changed card sends one email to its assignee

### Labels
Depends on: Cards
Coloured labels on cards.
Acceptance criteria:
- A card can carry several labels
- \`node --test test/labels.test.js\`

### Attachments
Depends on: Cards
Files attached to a card, with a size limit.
Acceptance criteria:
- A file over the limit is refused

### Activity log
Depends on: Cards
Every change to a card is recorded with who made it and when.
Acceptance criteria:
- Moving a card adds an entry

### Settings
Users change their display name and notification preferences.
Acceptance criteria:
- Turning off email notifications stops them
Files: NOTES.md
`;

interface PlannedTask {
  id: string;
  featureId: string;
  kind?: string;
  status: string;
  files: string[];
  acceptance: string[];
}

interface Gap {
  kind: string;
  severity: string;
  featureId?: string;
  message: string;
}

/** A git repository with a Node web-app project, br initialised with the honest agent as its command executor. */
function webApp(): { cwd: string; log: string } {
  const cwd = tempRepo();
  // `node --test test/` stops at the folder on Node 24 (it is taken as a module to run); the glob runs the same files on 22 and 24.
  const scripts = { test: "node --test 'test/**/*.test.js'" };
  writeFileSync(join(cwd, "package.json"), `${JSON.stringify({ name: "boards-app", private: true, scripts }, null, 2)}\n`);
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), SPEC);
  brOk(["init", "boards-app"], { cwd });
  brOk(["config", "set", "commands.test", "npm test"], { cwd });
  brOk(["config", "set", "executors.command.command", `"${process.execPath}" "${AGENT}"`], { cwd });
  brOk(["spec", "sync"], { cwd });
  return { cwd, log: join(tempDir("br-scoped-log-"), "calls.jsonl") };
}

const IMPLEMENTATION_OR_TESTS = (t: PlannedTask) => t.kind !== "docs";

describe("scope that exists: the 11-feature web app", () => {
  it("plans concrete files for every task, an honest agent completes every task, and no critical gap remains", { timeout: 540_000 }, () => {
    const { cwd, log } = webApp();
    const planned = brJson<{ tasks: PlannedTask[] }>(["tasks", "generate"], { cwd }).tasks;
    const byId = new Map(planned.map((t) => [t.id, t]));
    assert.equal(new Set(planned.map((t) => t.featureId)).size, 11);
    for (const task of planned) {
      assert.ok(task.files.length > 0, `${task.id} has files`);
      if (IMPLEMENTATION_OR_TESTS(task))
        assert.ok(!task.files.some((f) => /[*?{}[\]]/.test(f)), `${task.id}: ${task.files.join(", ")} are paths`);
    }
    assert.deepEqual(byId.get("boards.core")?.files, ["src/boards/index.js"]);
    assert.deepEqual(byId.get("boards.data-model")?.files, ["src/boards/model.js"]);
    assert.deepEqual(byId.get("users.core")?.files, ["src/users.js"]);
    assert.deepEqual(byId.get("activity-log.tests")?.files, ["test/activity-log.test.js"]);
    assert.deepEqual(byId.get("settings.core")?.files, ["src/settings.js", "NOTES.md"], "the named file is kept");
    assert.ok(!byId.has("notifications-by-email.integration"), "an email is not an integration");
    // Commands that run tests belong to the task that writes the tests.
    assert.ok(!byId.get("cards.core")?.acceptance.includes("`npm test`") && byId.get("cards.tests")?.acceptance.includes("`npm test`"));
    assert.ok(!byId.get("labels.core")?.acceptance.some((a) => a.includes("--test")));
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "plan");

    const run = br(["run", "--auto", "--executor", "command", "--json"], { cwd, env: { SCOPED_AGENT_LOG: log } });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(run.stdout) as { done: string[]; failed: unknown[]; attempts: number; completedFeatures: string[] };
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.done.length, planned.length, "every task is done");
    assert.equal(summary.attempts, planned.length, "each on its first attempt");
    const calls = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { task: string; files: string[]; wrote: string[] });
    for (const call of calls) {
      assert.ok(call.wrote.length > 0, `${call.task} wrote something`);
      for (const file of call.wrote) assert.ok(call.files.includes(file), `${call.task} wrote only its files (${file})`);
    }
    const plan = JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as { tasks: PlannedTask[] };
    assert.deepEqual(
      plan.tasks.filter((t) => t.status !== "done").map((t) => t.id),
      [],
    );
    assert.equal(git(cwd, "status", "--porcelain", "--", "src", "test", "NOTES.md"), "", "every change is committed");

    // The run completed every feature (its acceptance held); gap analysis must find what stands behind each.
    assert.equal(summary.completedFeatures.length, 11);
    const features = brJson<{ features: { id: string; status: string }[] }>(["features", "list"], { cwd }).features;
    assert.deepEqual(
      features.filter((f) => f.status !== "complete").map((f) => f.id),
      [],
    );
    const gaps = brJson<{ gaps: Gap[] }>(["gaps", "analyze"], { cwd }).gaps;
    assert.deepEqual(
      gaps.filter((g) => g.severity === "critical"),
      [],
      JSON.stringify(gaps, null, 1),
    );
    assert.deepEqual(
      gaps.filter((g) => g.kind.startsWith("feature-")),
      [],
    );
    // The journal alone backs them: with a plan that names no files (as plans did before), the
    // files the verified attempts wrote still stand behind every feature.
    const tasksFile = join(cwd, ".buildrunner", "tasks.json");
    const kept = readFileSync(tasksFile, "utf8");
    writeFileSync(tasksFile, JSON.stringify({ ...plan, tasks: plan.tasks.map((t) => ({ ...t, files: [] })) }, null, 2));
    const unplanned = brJson<{ gaps: Gap[] }>(["gaps", "analyze"], { cwd }).gaps;
    assert.deepEqual(
      unplanned.filter((g) => g.severity === "critical" || g.kind.startsWith("feature-")),
      [],
      JSON.stringify(unplanned, null, 1),
    );
    writeFileSync(tasksFile, kept);
    const fixed = brJson<{ added: unknown[] }>(["gaps", "fix"], { cwd });
    assert.equal(fixed.added.length, gaps.length, "gaps fix plans only what analyze reported");
  });
});
