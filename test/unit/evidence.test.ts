/**
 * The rules of evidence (src/run/evidence), checked in-process on small inputs: what counts as a
 * protected path, whose a test or file is, how a test file is weakened, how a runner's counts get
 * worse, and how br's own files and the git state are put back. Fast beside the end-to-end
 * catalogue of cheating agents (test/evidence-catalogue.test.ts), and what mutation testing runs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import type { Task } from "../../src/plan/task.ts";
import { withoutNewAllowComments } from "../../src/run/evidence/allow-comments.ts";
import { countsAt, recordCounts } from "../../src/run/evidence/counts-store.ts";
import { captureGitState, restoreGitState } from "../../src/run/evidence/git-state.ts";
import { attemptViolations, testPaths } from "../../src/run/evidence/index.ts";
import { guardOwnFiles } from "../../src/run/evidence/own-files.ts";
import { type OwnershipContext, otherFeatureViolations, otherOwner, ownsTest, testViolations } from "../../src/run/evidence/ownership.ts";
import { namedByTask, protectedChanges, protectedGlobs, type ReadVersions } from "../../src/run/evidence/protected.ts";
import { countRegressions, readTestCounts, type TestCounts } from "../../src/run/evidence/test-counts.ts";
import { isPythonPath, testSignals, weakenings } from "../../src/run/evidence/test-signals.ts";
import { describeViolations, type Violation } from "../../src/run/evidence/violation.ts";
import { inTaskScope, isOwnFile } from "../../src/run/scope.ts";
import { taskWith } from "./task-fixture.ts";

const FAST = { timeout: 10_000 };
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function task(overrides: Partial<Task> = {}): Task {
  return taskWith({
    id: "cards.api",
    featureId: "cards",
    title: "Cards API",
    files: ["src/cards.js", "test/cards.test.js"],
    kind: "api",
    ...overrides,
  });
}

/** Versions from two maps of path → text (absent: undefined). */
function versions(before: Record<string, string>, after: Record<string, string>): ReadVersions {
  return (path) => ({ before: before[path], after: after[path] });
}

function context(overrides: Partial<OwnershipContext> = {}): OwnershipContext {
  const boards = task({ id: "boards.api", featureId: "boards", files: ["src/boards.js", "test/boards.test.js"] });
  return {
    task: task(),
    plan: [boards, task()],
    featureNames: new Map([
      ["boards", "Boards"],
      ["cards", "Cards"],
    ]),
    owners: new Map(),
    changed: [],
    tests: new Set(),
    versions: versions({}, {}),
    ...overrides,
  };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "br-unit-evidence-"));
  dirs.push(dir);
  return dir;
}

function gitIn(cwd: string, ...args: string[]): string {
  const identity = ["-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"];
  return execFileSync("git", [...identity, ...args], { cwd, encoding: "utf8", timeout: 10_000 }).trim();
}

describe("task scope", () => {
  it("takes listed files, folders (with or without a slash) and globs, and nothing beside them", FAST, () => {
    const t = task({ files: ["src/cards.js", "docs/", "lib", "test/**/*.test.js"] });
    for (const path of ["src/cards.js", "docs/a.md", "lib/x/y.js", "test/deep/cards.test.js"])
      assert.equal(inTaskScope(t, path), true, path);
    for (const path of ["src/cards.jsx", "src/boards.js", "docsx/a.md", "library.js", "test/cards.js"])
      assert.equal(inTaskScope(t, path), false, path);
  });

  it("an empty scope holds nothing", FAST, () => {
    assert.equal(inTaskScope(task({ files: [] }), "src/cards.js"), false);
  });

  it("br's own files are .buildrunner/ and the agent instruction files br writes", FAST, () => {
    for (const path of [".buildrunner/tasks.json", "AGENTS.md", "CLAUDE.md"]) assert.equal(isOwnFile(path), true, path);
    for (const path of ["buildrunner/x", "docs/AGENTS.md", "README.md"]) assert.equal(isOwnFile(path), false, path);
  });
});

describe("protected paths", () => {
  const none = versions({}, {});

  it("test configuration, CI, hooks, allowlists and lock files are protected by default", FAST, () => {
    const changed = [
      "jest.config.js",
      "conftest.py",
      "tests/conftest.py",
      ".github/workflows/ci.yml",
      ".gitleaks.toml",
      "package-lock.json",
      ".husky/pre-commit",
    ];
    const found = protectedChanges(task(), changed, [], none);
    assert.deepEqual(
      found.map((v) => v.path),
      changed,
    );
    assert.ok(found.every((v) => v.kind === "protected-path" && v.message.includes("which the task's files do not name")));
    assert.match(found[3]?.message ?? "", /^changed \.github\/workflows\/ci\.yml \(CI configuration\)/);
  });

  it("ordinary source, docs and the task's own files are not protected", FAST, () => {
    assert.deepEqual(protectedChanges(task(), ["src/cards.js", "README.md", "src/util.js"], [], none), []);
  });

  it("a path the task names exactly is allowed; a broad glob or folder holding it is not", FAST, () => {
    assert.deepEqual(protectedChanges(task({ files: ["jest.config.js"] }), ["jest.config.js"], [], none), []);
    assert.equal(namedByTask(task({ files: ["jest.config.*"] }), "jest.config.js"), true);
    assert.equal(namedByTask(task({ files: ["**/*.js"] }), "jest.config.js"), false);
    assert.equal(namedByTask(task({ files: ["."] }), "jest.config.js"), false);
    assert.equal(protectedChanges(task({ files: ["**/*"] }), ["jest.config.js"], [], none).length, 1);
  });

  it("run.protect adds globs and `!glob` removes a default", FAST, () => {
    const globs = protectedGlobs(["schema/**", "!**/tox.ini"]).map((g) => g.glob);
    assert.ok(globs.includes("schema/**"));
    assert.ok(!globs.includes("**/tox.ini"));
    assert.ok(globs.includes("**/pytest.ini"));
    assert.equal(protectedChanges(task(), ["schema/db.sql"], ["schema/**"], none)[0]?.message.includes("run.protect"), true);
    assert.deepEqual(protectedChanges(task(), ["tox.ini"], ["!**/tox.ini"], none), []);
  });

  it("package.json: scripts and test settings are protected, a new dependency is not", FAST, () => {
    const before = JSON.stringify({ scripts: { test: "node --test test/" }, dependencies: {} });
    const neutered = JSON.stringify({ scripts: { test: "node --test test/ || true" }, dependencies: {} });
    const withDep = JSON.stringify({ scripts: { test: "node --test test/" }, dependencies: { zod: "^4" } });
    const [violation] = protectedChanges(task(), ["package.json"], [], versions({ "package.json": before }, { "package.json": neutered }));
    assert.match(violation?.message ?? "", /changed "scripts" in package\.json/);
    assert.deepEqual(protectedChanges(task(), ["package.json"], [], versions({ "package.json": before }, { "package.json": withDep })), []);
  });

  it("a manifest made unparseable counts as changed as a whole", FAST, () => {
    const before = JSON.stringify({ scripts: { test: "x" } });
    const found = protectedChanges(task(), ["package.json"], [], versions({ "package.json": before }, { "package.json": "{oops" }));
    assert.match(found[0]?.message ?? "", /"\(the whole file\)"/);
  });

  it("pyproject.toml: pytest and coverage tables are protected, project dependencies are not", FAST, () => {
    const before = '[project]\nname = "app"\ndependencies = []\n\n[tool.pytest.ini_options]\naddopts = "-q"\n';
    const deselect = before.replace('addopts = "-q"', 'addopts = "-q -k not_slow"');
    const dep = before.replace("dependencies = []", 'dependencies = ["requests"]');
    const file = "pyproject.toml";
    assert.match(
      protectedChanges(task(), [file], [], versions({ [file]: before }, { [file]: deselect }))[0]?.message ?? "",
      /"tool\.pytest/,
    );
    assert.deepEqual(protectedChanges(task(), [file], [], versions({ [file]: before }, { [file]: dep })), []);
  });
});

describe("whose a file is", () => {
  it("the journal's record wins; the task's own feature owns nothing against it", FAST, () => {
    const ctx = context({ owners: new Map([["src/shared.js", "boards"]]) });
    assert.equal(otherOwner(ctx, "src/shared.js"), "boards");
    assert.equal(otherOwner(context({ owners: new Map([["src/boards.js", "cards"]]) }), "src/boards.js"), undefined);
  });

  it("without a record, another feature's task listing the path exactly owns it", FAST, () => {
    const ctx = context();
    assert.equal(otherOwner(ctx, "test/boards.test.js"), "boards");
    assert.equal(otherOwner(ctx, "test/cards.test.js"), undefined);
    assert.equal(otherOwner(ctx, "README.md"), undefined);
  });

  it("a test is owned when in scope and nobody else's, or when the task names it", FAST, () => {
    assert.equal(ownsTest(context(), "test/cards.test.js"), true);
    assert.equal(ownsTest(context(), "test/other.test.js"), false);
    const wide = context({ task: task({ files: ["test/"] }) });
    assert.equal(ownsTest(wide, "test/boards.test.js"), false);
    assert.equal(ownsTest(context({ task: task({ files: ["test/boards.test.js"] }) }), "test/boards.test.js"), true);
  });
});

describe("test violations", () => {
  const boardsTest = "test('lists', () => { assert.equal(list().length, 2); assert.ok(ready()); });\n";

  it("deleting another feature's test names the file and its feature", FAST, () => {
    const ctx = context({
      changed: ["test/boards.test.js"],
      tests: new Set(["test/boards.test.js"]),
      versions: versions({ "test/boards.test.js": boardsTest }, {}),
    });
    assert.deepEqual(testViolations(ctx), [
      { kind: "test-not-owned", path: "test/boards.test.js", message: "deleted test/boards.test.js, which belongs to the Boards feature" },
    ]);
  });

  it("changing an existing test nobody owns, outside the scope, is rejected too", FAST, () => {
    const ctx = context({
      changed: ["test/misc.test.js"],
      tests: new Set(["test/misc.test.js"]),
      versions: versions({ "test/misc.test.js": boardsTest }, { "test/misc.test.js": `${boardsTest}\n` }),
    });
    assert.match(testViolations(ctx)[0]?.message ?? "", /^changed test\/misc\.test\.js, which the task's files do not name$/);
  });

  it("a new test file anywhere, and an owned test deleted, are not violations", FAST, () => {
    const ctx = context({
      changed: ["test/new.test.js", "test/cards.test.js"],
      tests: new Set(["test/new.test.js", "test/cards.test.js"]),
      versions: versions({ "test/cards.test.js": boardsTest }, { "test/new.test.js": boardsTest }),
    });
    assert.deepEqual(testViolations(ctx), []);
  });

  it("an owned test weakened (a skip, a trivially true assertion) is named with the file", FAST, () => {
    const weakened = "test.skip('lists', () => { assert.ok(true); assert.ok(ready()); });\n";
    const ctx = context({
      changed: ["test/cards.test.js"],
      tests: new Set(["test/cards.test.js"]),
      versions: versions({ "test/cards.test.js": boardsTest }, { "test/cards.test.js": weakened }),
    });
    const [violation] = testViolations(ctx);
    assert.equal(violation?.kind, "test-weakened");
    assert.equal(violation?.message, "added 1 skip marker(s) and added 1 assertion(s) that cannot fail in test/cards.test.js");
  });

  it("only paths that are tests are judged as tests", FAST, () => {
    const ctx = context({ changed: ["test/boards.test.js"], versions: versions({ "test/boards.test.js": boardsTest }, {}) });
    assert.deepEqual(testViolations(ctx), []);
  });
});

describe("another feature's files", () => {
  it("a file another feature owns, outside the scope, is rejected with both named", FAST, () => {
    const ctx = context({ changed: ["src/boards.js"], versions: versions({ "src/boards.js": "a" }, { "src/boards.js": "b" }) });
    assert.deepEqual(otherFeatureViolations(ctx), [
      {
        kind: "other-feature",
        path: "src/boards.js",
        message: "changed src/boards.js, which belongs to the Boards feature and is outside the task's files",
      },
    ]);
  });

  it("unowned files outside scope, files in scope and tests are left to other rules", FAST, () => {
    const ctx = context({
      task: task({ files: ["src/cards.js", "src/boards.js"] }),
      changed: ["README.md", "src/boards.js", "test/boards.test.js"],
      tests: new Set(["test/boards.test.js"]),
    });
    assert.deepEqual(otherFeatureViolations(ctx), []);
  });
});

describe("test signals", () => {
  it("counts JS skip, only and todo markers in every common spelling", FAST, () => {
    const text = [
      "test.skip('a', () => {});",
      "xit('b', () => {});",
      "it('c', { skip: true }, () => {});",
      "describe.only('d', () => {});",
      "fit('e', () => {});",
      "test.todo('f');",
      "it('g', { skip: false }, () => {});",
    ].join("\n");
    const signals = testSignals("test/a.test.js", text);
    assert.equal(signals.skips, 3);
    assert.equal(signals.onlys, 2);
    assert.equal(signals.todos, 1);
  });

  it("tells trivially true assertions from real ones", FAST, () => {
    const js = testSignals(
      "a.test.ts",
      "assert.ok(true);\nassert.equal(1, 1);\nexpect(2).toBe(2);\nexpect(true).toBeTruthy();\nassert.equal(f(), 1);\nexpect(g()).toBe(2);\n",
    );
    assert.equal(js.trivial, 4);
    assert.equal(js.assertions, 6);
    const py = testSignals(
      "tests/test_a.py",
      "def test_a():\n    assert True\n    assert 1 == 1\n    assert f() == 1\n    self.assertTrue(True)\n",
    );
    assert.equal(py.trivial, 3);
    assert.equal(py.assertions, 4);
  });

  it("reads Python skip markers of pytest and unittest", FAST, () => {
    const text = "@pytest.mark.skip\ndef test_a(): pass\n@unittest.skip('x')\ndef test_b(): pass\ndef test_c():\n    pytest.skip('no')\n";
    assert.equal(testSignals("tests/test_a.py", text).skips, 3);
    assert.equal(isPythonPath("tests/test_a.py"), true);
    assert.equal(isPythonPath("test/a.test.js"), false);
  });

  it("weakenings: new markers and trivial assertions always, fewer assertions unless the task asked", FAST, () => {
    const before = { skips: 0, onlys: 0, todos: 0, assertions: 4, trivial: 0 };
    assert.deepEqual(weakenings(before, { ...before }, false), []);
    assert.deepEqual(weakenings(before, { ...before, assertions: 2 }, false), ["removed 2 of its 4 assertions"]);
    assert.deepEqual(weakenings(before, { ...before, assertions: 2 }, true), []);
    assert.deepEqual(weakenings(before, { ...before, todos: 1 }, true), ["marked 1 test(s) as todo"]);
    assert.deepEqual(weakenings(undefined, { ...before, onlys: 1, skips: 2 }, false), ["added .only, which runs only the focused tests"]);
    assert.deepEqual(weakenings(undefined, { ...before, trivial: 1 }, false), ["added 1 assertion(s) that cannot fail"]);
  });
});

describe("test runner counts", () => {
  it("reads node:test spec and TAP summaries, summing several runs", FAST, () => {
    const spec = "ℹ tests 5\nℹ pass 4\nℹ fail 1\nℹ cancelled 0\nℹ skipped 0\nℹ todo 0\n";
    const tap = "# tests 3\n# pass 2\n# fail 0\n# cancelled 0\n# skipped 1\n# todo 0\n";
    assert.deepEqual(readTestCounts(spec + tap), { total: 8, passed: 6, failed: 1, skipped: 1, todo: 0 });
  });

  it("reads jest, vitest, mocha, pytest and unittest", FAST, () => {
    const cases: [string, TestCounts][] = [
      ["Tests:       1 failed, 1 skipped, 2 todo, 5 passed, 9 total\n", { total: 9, passed: 5, failed: 1, skipped: 1, todo: 2 }],
      [" Tests  1 failed | 4 passed | 1 skipped | 2 todo (8)\n", { total: 8, passed: 4, failed: 1, skipped: 1, todo: 2 }],
      ["  5 passing (10ms)\n  1 pending\n  2 failing\n", { total: 8, passed: 5, failed: 2, skipped: 1, todo: 0 }],
      ["==== 5 passed, 1 skipped, 2 deselected, 1 xfailed in 0.12s ====\n", { total: 9, passed: 5, failed: 0, skipped: 4, todo: 0 }],
      ["Ran 6 tests in 0.001s\n\nFAILED (failures=1, errors=1, skipped=2)\n", { total: 6, passed: 2, failed: 2, skipped: 2, todo: 0 }],
    ];
    for (const [output, counts] of cases) assert.deepEqual(readTestCounts(output), counts, output);
  });

  it("sees through colour codes, and says nothing for output without a summary", FAST, () => {
    assert.deepEqual(readTestCounts("\u001b[34mℹ tests 2\u001b[39m\n\u001b[34mℹ pass 2\u001b[39m\n")?.passed, 2);
    assert.equal(readTestCounts("all good\n"), undefined);
  });

  it("regressions: fewer run or passing, more skipped or todo; more tests is no regression", FAST, () => {
    const before = { total: 10, passed: 10, failed: 0, skipped: 0, todo: 0 };
    assert.deepEqual(countRegressions(before, { ...before, total: 12, passed: 12 }), []);
    assert.deepEqual(countRegressions(before, { ...before }), []);
    assert.deepEqual(countRegressions(before, { total: 8, passed: 7, failed: 1, skipped: 1, todo: 1 }), [
      "2 fewer tests ran (10 before, 8 now)",
      "3 fewer tests passed (10 before, 7 now)",
      "1 more tests skipped or deselected",
      "1 more tests marked todo",
    ]);
  });

  it("the counts store keeps counts per commit and survives a damaged file", FAST, () => {
    const dir = tempDir();
    const counts = { total: 3, passed: 3, failed: 0, skipped: 0, todo: 0 };
    assert.equal(countsAt(dir, "abc"), undefined);
    recordCounts(dir, "abc", counts);
    recordCounts(dir, undefined, counts);
    assert.deepEqual(countsAt(dir, "abc"), counts);
    assert.equal(countsAt(dir, undefined), undefined);
    writeFileSync(join(dir, "test-counts.json"), "{broken");
    assert.equal(countsAt(dir, "abc"), undefined);
  });
});

describe("allow comments an attempt adds", () => {
  it("are neutralised on the lines it added, and reported; earlier ones keep working", FAST, () => {
    const before = 'const a = "x"; // br:allow\n';
    const after = `${before}const key = "AKIA"; // br:allow\n`;
    const { text, lines } = withoutNewAllowComments(before, after);
    assert.deepEqual([...lines], [2]);
    const [first, second] = text.split("\n");
    assert.match(first ?? "", /br:allow/);
    assert.doesNotMatch(second ?? "", /br:allow/);
  });
});

describe("the whole attempt", () => {
  it("collects protected paths, tests, other features and a tests task without tests", FAST, () => {
    const dir = tempDir();
    gitIn(dir, "init", "-q");
    mkdirSync(join(dir, "test"));
    writeFileSync(join(dir, "test", "boards.test.js"), "test('a', () => { assert.ok(f()); });\n");
    writeFileSync(join(dir, "jest.config.js"), "module.exports = {};\n");
    gitIn(dir, "add", "-A");
    gitIn(dir, "commit", "-qm", "start");
    rmSync(join(dir, "test", "boards.test.js"));
    writeFileSync(join(dir, "jest.config.js"), "module.exports = { testPathIgnorePatterns: ['boards'] };\n");
    writeFileSync(join(dir, "stub-output.txt"), "done\n");
    const config = configSchema.parse({});
    const tests = task({ id: "cards.tests", kind: "tests", files: ["test/cards.test.js"] });
    const boards = task({ id: "boards.tests", featureId: "boards", kind: "tests", files: ["test/boards.test.js"] });
    const changed = ["test/boards.test.js", "jest.config.js", "stub-output.txt"];
    assert.deepEqual([...testPaths(changed, config)], ["test/boards.test.js"]);
    const found = attemptViolations(tests, changed, config, dir, {
      plan: [boards, tests],
      featureNames: new Map([["boards", "Boards"]]),
      owners: new Map(),
      restored: [],
    });
    assert.deepEqual(
      found.map((v) => v.kind),
      ["protected-path", "test-not-owned"],
    );
    const sourceOnly = attemptViolations(tests, ["stub-output.txt"], config, dir, {
      plan: [tests],
      featureNames: new Map(),
      owners: new Map(),
      restored: [],
    });
    assert.deepEqual(
      sourceOnly.map((v) => v.message),
      ["a tests task changed no test file (it changed stub-output.txt)"],
    );
  });

  it("describes at most four violations and counts the rest", FAST, () => {
    const many: Violation[] = ["a", "b", "c", "d", "e", "f"].map((message) => ({ kind: "protected-path", message }));
    assert.equal(describeViolations(many), "a; b; c; d; and 2 more");
    assert.equal(describeViolations(many.slice(0, 2)), "a; b");
  });
});

describe("br's own files", () => {
  it("are put back as they were, and each change is named; the state folder and STATUS.md are free", FAST, () => {
    const root = tempDir();
    const own = join(root, ".buildrunner");
    const state = join(own, "state");
    mkdirSync(state, { recursive: true });
    writeFileSync(join(own, "tasks.json"), "original\n");
    writeFileSync(join(own, "config.yaml"), "version: 1\n");
    const restore = guardOwnFiles(root, own, state);
    writeFileSync(join(own, "tasks.json"), "all done\n");
    rmSync(join(own, "config.yaml"));
    writeFileSync(join(own, "security-baseline.json"), "{}\n");
    writeFileSync(join(own, "STATUS.md"), "status\n");
    writeFileSync(join(state, "journal.json"), "[]\n");
    const found = restore();
    assert.deepEqual(found.map((v) => v.message).sort(), [
      "changed .buildrunner/tasks.json (br's own record; only br changes it)",
      "created .buildrunner/security-baseline.json (br's own record; only br changes it)",
      "deleted .buildrunner/config.yaml (br's own record; only br changes it)",
    ]);
    assert.equal(readFileSync(join(own, "tasks.json"), "utf8"), "original\n");
    assert.equal(readFileSync(join(own, "config.yaml"), "utf8"), "version: 1\n");
    assert.equal(existsSync(join(own, "security-baseline.json")), false);
    assert.equal(existsSync(join(state, "journal.json")), true);
    assert.deepEqual(guardOwnFiles(root, own, state)(), []);
  });
});

describe("the git state", () => {
  function repo(): string {
    const dir = tempDir();
    gitIn(dir, "init", "-q", "-b", "main");
    writeFileSync(join(dir, "a.txt"), "1\n");
    gitIn(dir, "add", "-A");
    gitIn(dir, "commit", "-qm", "one");
    writeFileSync(join(dir, "a.txt"), "2\n");
    gitIn(dir, "commit", "-qam", "two");
    return dir;
  }

  it("an untouched repository needs nothing put back", FAST, () => {
    const dir = repo();
    assert.deepEqual(restoreGitState(dir, captureGitState(dir)), []);
  });

  it("commits on top of the branch are the agent's work, not a violation", FAST, () => {
    const dir = repo();
    const before = captureGitState(dir);
    writeFileSync(join(dir, "a.txt"), "3\n");
    gitIn(dir, "commit", "-qam", "three");
    assert.deepEqual(restoreGitState(dir, before), []);
  });

  it("a branch switch, a new branch, a reset and a hook are undone and named", FAST, () => {
    const dir = repo();
    const before = captureGitState(dir);
    gitIn(dir, "reset", "-q", "--hard", "HEAD~1");
    gitIn(dir, "checkout", "-q", "-b", "agent-work");
    writeFileSync(join(dir, ".git", "hooks", "pre-commit"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    gitIn(dir, "config", "core.hooksPath", "/dev/null");
    const agentTip = gitIn(dir, "rev-parse", "agent-work").trim();
    const messages = restoreGitState(dir, before).map((v) =>
      v.message.replace(/refs\/br\/saved\/([\w-]+)\/\d+/, "refs/br/saved/$1/<time>"),
    );
    assert.deepEqual(messages, [
      "switched from branch main to agent-work",
      "moved branch main off its commit (reset, rebase or amend) (its commit is kept as refs/br/saved/main/<time>)",
      "created branch agent-work (its commit is kept as refs/br/saved/agent-work/<time>)",
      "added the git hook pre-commit",
      "changed core.hooksPath, which decides which git hooks run",
    ]);
    // Nothing is lost: the tips br moved or deleted are kept, out of the way of branches.
    const saved = gitIn(dir, "for-each-ref", "--format=%(objectname)", "refs/br/saved/agent-work").trim();
    assert.equal(saved, agentTip);
    const now = captureGitState(dir);
    assert.equal(now.branch, "main");
    assert.equal(now.head, before.head);
    assert.deepEqual(Object.keys(now.branches), ["main"]);
    assert.equal(existsSync(join(dir, ".git", "hooks", "pre-commit")), false);
    assert.equal(now.hooksPath, undefined);
  });

  it("names every branch whole, also the first listed when another is checked out; ignored ones stay unguarded", FAST, () => {
    const dir = repo();
    gitIn(dir, "branch", "br/stream-1");
    gitIn(dir, "checkout", "-q", "-b", "br/stream-2");
    const state = captureGitState(dir, ["br/stream-1"]);
    assert.equal(state.branch, "br/stream-2");
    assert.deepEqual(Object.keys(state.branches).sort(), ["br/stream-2", "main"]);
    // Another stream committing meanwhile is its own work, not this attempt's violation.
    gitIn(dir, "update-ref", "refs/heads/br/stream-1", "HEAD~1");
    assert.deepEqual(restoreGitState(dir, state), []);
  });

  it("staging by the agent is undone without a violation", FAST, () => {
    const dir = repo();
    const before = captureGitState(dir);
    writeFileSync(join(dir, "b.txt"), "new\n");
    gitIn(dir, "add", "b.txt");
    assert.deepEqual(restoreGitState(dir, before), []);
    assert.equal(gitIn(dir, "diff", "--cached", "--name-only"), "");
    assert.equal(existsSync(join(dir, "b.txt")), true);
  });
});
