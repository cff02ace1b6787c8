/**
 * Verification (src/run/verify.ts, src/run/scope.ts): an attempt is done only when the executor
 * reported success, something within the task's files changed, the checks pass and the acceptance
 * criteria written as commands pass. Run in a small git repository, without br's CLI.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import type { ExecutorReport } from "../../src/run/executors/types.ts";
import { inTaskScope, isOwnFile } from "../../src/run/scope.ts";

await import("./text-loader.ts");
const { acceptanceCommand, runCheck, verify } = await import("../../src/run/verify.ts");

import { taskWith } from "./task-fixture.ts";

const T = { timeout: 20_000 };
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const task = taskWith;

const ok: ExecutorReport = { success: true, summary: "done", durationMs: 1, exitCode: 0, timedOut: false };

/** A committed project; `files` are then written as the attempt's changes. */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "br-unit-verify-"));
  dirs.push(root);
  mkdirSync(join(root, ".buildrunner", "state"), { recursive: true });
  writeFileSync(join(root, ".buildrunner", "features.json"), '{"schemaVersion":1,"project":"p","features":[]}\n');
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
  git("init", "-q");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const config = (extra: Record<string, unknown> = {}) => configSchema.parse(extra);
const CODE = "export const a = 1;\n";

describe("acceptanceCommand", () => {
  it("reads a code span on its own line or a `$ ` line as a command", T, () => {
    assert.equal(acceptanceCommand("`npm test -- auth`"), "npm test -- auth");
    assert.equal(acceptanceCommand("  `npm test`  "), "npm test");
    assert.equal(acceptanceCommand("$ npm run e2e"), "npm run e2e");
    assert.equal(acceptanceCommand("  $   make check "), "make check");
  });
  it("reads any other criterion as words, not a command", T, () => {
    for (const words of ["Passwords are hashed", "Run `npm test` first", "`a` and `b`", "$npm test", "``", "x $ y"]) {
      assert.equal(acceptanceCommand(words), undefined, words);
    }
  });
});

describe("scope", () => {
  it("isOwnFile: br's folder and the agent instruction files", T, () => {
    assert.equal(isOwnFile(".buildrunner/tasks.json"), true);
    assert.equal(isOwnFile("AGENTS.md"), true);
    assert.equal(isOwnFile("CLAUDE.md"), true);
    assert.equal(isOwnFile("docs/AGENTS.md"), false);
    assert.equal(isOwnFile(".buildrunnerx/a"), false);
    assert.equal(isOwnFile("src/a.ts"), false);
  });
  it("inTaskScope: listed paths, files under listed folders, glob matches, dot files", T, () => {
    const t = task({ files: ["src/a.ts", "lib/", "docs", "test/**/*.test.ts"] });
    assert.equal(inTaskScope(t, "src/a.ts"), true);
    assert.equal(inTaskScope(t, "src/b.ts"), false);
    assert.equal(inTaskScope(t, "lib/x/y.ts"), true);
    assert.equal(inTaskScope(t, "lib"), true);
    assert.equal(inTaskScope(t, "docs/guide.md"), true);
    assert.equal(inTaskScope(t, "docsx/guide.md"), false);
    assert.equal(inTaskScope(t, "test/unit/a.test.ts"), true);
    assert.equal(inTaskScope(t, "test/.hidden/a.test.ts"), true);
    assert.equal(inTaskScope(t, "test/a.ts"), false);
    assert.equal(inTaskScope(task({ files: [] }), "src/a.ts"), false);
  });
});

describe("runCheck", () => {
  it("passes on exit 0 and keeps the output's tail, masked, with the runner's counts", T, async () => {
    const root = repo({});
    const result = await runCheck("test", "printf 'key AKIAIOSFODNN7EXAMPLE\\n# tests 3\\n# pass 3\\n'", root, 10_000);
    assert.equal(result.passed, true);
    assert.equal(result.exitCode, 0);
    assert.equal(result.name, "test");
    assert.match(result.output, /key AKIA\*{16}/);
    assert.deepEqual(result.counts, { total: 3, passed: 3, failed: 0, skipped: 0, todo: 0 });
  });
  it("fails on a non-zero exit, joining stdout and stderr", T, async () => {
    const root = repo({});
    const result = await runCheck("lint", "echo out; echo err >&2; exit 3", root, 10_000);
    assert.equal(result.passed, false);
    assert.equal(result.exitCode, 3);
    assert.equal(result.output, "out\n\nerr");
    assert.equal("counts" in result, false);
  });
  it("fails when stopped at its deadline, and says so", T, async () => {
    const root = repo({});
    const result = await runCheck("test", "sleep 5", root, 300);
    assert.equal(result.passed, false);
    assert.match(result.output, /\(stopped after 0 s\)$/);
  });
});

describe("verify", () => {
  it("rejects an attempt whose executor reported failure, masking its summary", T, async () => {
    const root = repo({ "src/a.ts": CODE });
    const v = await verify(task(), { ...ok, success: false, summary: "gave up AKIAIOSFODNN7EXAMPLE" }, ["src/a.ts"], config(), root);
    assert.equal(v.passed, false);
    assert.equal(v.reason, `the executor reported failure: gave up AKIA${"*".repeat(16)}`);
    assert.equal(v.executor.success, false);
  });
  it("rejects success with no change, except for verify and review tasks", T, async () => {
    const root = repo({});
    const v = await verify(task(), ok, [], config(), root);
    assert.deepEqual([v.passed, v.reason], [false, "the executor reported success but changed no files"]);
    const own = await verify(task(), ok, [".buildrunner/tasks.json", "AGENTS.md"], config(), root);
    assert.deepEqual([own.passed, own.reason, own.changedFiles], [false, "the executor reported success but changed no files", []]);
    assert.equal((await verify(task({ kind: "verify", files: [] }), ok, [], config(), root)).passed, true);
    assert.equal((await verify(task({ kind: "review" }), ok, [], config(), root)).passed, true);
  });
  it("rejects an attempt whose changes are all outside the task's files", T, async () => {
    const root = repo({ "src/other.ts": CODE, "README.md": "# x\n" });
    const v = await verify(task(), ok, ["src/other.ts", "README.md"], config(), root);
    assert.equal(v.passed, false);
    assert.equal(v.reason, "no change is within the task's files (src/a.ts); changed: src/other.ts, README.md");
    assert.deepEqual(v.outOfScope, ["src/other.ts", "README.md"]);
  });
  it("accepts an attempt with a change inside the task's files, listing the ones outside", T, async () => {
    const root = repo({ "src/a.ts": CODE, "README.md": "# x\n" });
    const v = await verify(task(), ok, ["src/a.ts", "README.md"], config(), root);
    assert.equal(v.passed, true, v.reason);
    assert.deepEqual(v.outOfScope, ["README.md"]);
    assert.deepEqual(v.changedFiles, ["src/a.ts", "README.md"]);
  });
  it("a task without files accepts any change", T, async () => {
    const root = repo({ "src/z.ts": CODE });
    const v = await verify(task({ files: [] }), ok, ["src/z.ts"], config(), root);
    assert.equal(v.passed, true, v.reason);
    assert.deepEqual(v.outOfScope, []);
  });
  it("runs acceptance criteria written as commands, and fails when one fails", T, async () => {
    const root = repo({ "src/a.ts": CODE });
    const acceptance = ["Passwords are hashed", "$ test -f src/a.ts", "`test -f src/missing.ts`"];
    const v = await verify(task({ acceptance }), ok, ["src/a.ts"], config(), root);
    assert.equal(v.passed, false);
    assert.equal(v.reason, "acceptance 3 failed (`test -f src/missing.ts`, exit 1)");
    assert.deepEqual(
      v.checks.filter((c) => c.name.startsWith("acceptance")).map((c) => [c.name, c.passed]),
      [
        ["acceptance 2", true],
        ["acceptance 3", false],
      ],
    );
  });
  it("passes when the acceptance commands pass", T, async () => {
    const root = repo({ "src/a.ts": CODE });
    const v = await verify(task({ acceptance: ["`true`", "$ test -f src/a.ts"] }), ok, ["src/a.ts"], config(), root);
    assert.equal(v.passed, true, v.reason);
    assert.equal(v.checks.filter((c) => c.name.startsWith("acceptance")).length, 2);
  });
  it("runs the project's checks in order and stops at the first that fails", T, async () => {
    const root = repo({ "src/a.ts": CODE });
    const commands = { build: "true", typecheck: "true", lint: "exit 4", test: "true" };
    const v = await verify(task({ acceptance: ["`true`"] }), ok, ["src/a.ts"], config({ commands }), root);
    assert.equal(v.passed, false);
    assert.equal(v.reason, "lint failed (`exit 4`, exit 4)");
    assert.deepEqual(
      v.checks.map((c) => c.name),
      ["security", "build", "typecheck", "lint"],
    );
  });
  it("records the test runner's counts of a passing test check", T, async () => {
    const root = repo({ "src/a.ts": CODE });
    const v = await verify(task(), ok, ["src/a.ts"], config({ commands: { test: "printf '# tests 2\\n# pass 2\\n'" } }), root);
    assert.equal(v.passed, true, v.reason);
    assert.deepEqual(v.testCounts, { total: 2, passed: 2, failed: 0, skipped: 0, todo: 0 });
  });
  it("fails an attempt that adds a secret, with the finding masked", T, async () => {
    const key = ["AKIA", "J7Q2WXYZ3QBRTVMN"].join("");
    const root = repo({ "src/a.ts": `export const key = "${key}";\n` });
    const v = await verify(task(), ok, ["src/a.ts"], config({ commands: { test: "true" } }), root);
    assert.equal(v.passed, false);
    assert.match(v.reason ?? "", /^security: src\/a\.ts:1: /);
    assert.equal(JSON.stringify(v).includes(key), false);
    assert.deepEqual(
      v.checks.map((c) => [c.name, c.passed]),
      [["security", false]],
    );
  });
  it("fails a quality gate the change made worse", T, async () => {
    const long = `${Array.from({ length: 30 }, (_, i) => `export const v${i} = ${i};`).join("\n")}\n`;
    const root = repo({ "src/a.ts": long });
    const v = await verify(task(), ok, ["src/a.ts"], config({ gates: { fileLines: 10 } }), root);
    assert.equal(v.passed, false);
    assert.match(v.reason ?? "", /^the file-length gate failed: /);
  });
});
