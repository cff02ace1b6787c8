/** `br doctor`, and the same checks stopping `br run` before any task. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { journal, project, statusOf } from "./agent-project.ts";
import { br, brJson, brOk, git } from "./helpers.ts";

describe("br doctor", () => {
  it("a missing agent program stops br run before any task (exit 2); br doctor names it with the fix", () => {
    const p = project("good");
    brOk(["config", "set", "executors.claude.command", "/nonexistent/claude"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "missing agent");
    const started = Date.now();
    const result = br(["run", "--auto"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 2, result.stderr);
    assert.ok(Date.now() - started < 20_000);
    assert.match(result.stderr, /\/nonexistent\/claude.*not installed/);
    assert.match(result.stderr, /fix: +Install Claude Code/);
    assert.deepEqual(journal(p.cwd), []);
    assert.equal(statusOf(p.cwd, "greeting.core"), "ready");
    const doctor = br(["doctor", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(doctor.code, 1);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; status: string; fix?: string }[] };
    assert.equal(report.ok, false);
    assert.equal(report.checks.find((c) => c.name === "executor claude")?.status, "fail");
    assert.equal(report.checks.find((c) => c.name === "commands.test")?.status, "ok");
  });

  it("br doctor: a check command whose tool is missing, and a detached HEAD, each with a fix; br run refuses the detached HEAD", () => {
    const p = project("good");
    const ok = brJson<{ ok: boolean; checks: { name: string; status: string; detail: string }[] }>(["doctor"], { cwd: p.cwd, env: p.env });
    assert.equal(ok.ok, true, JSON.stringify(ok.checks));
    assert.match(ok.checks.find((c) => c.name === "executor claude")?.detail ?? "", /0\.0\.0-fake/);
    brOk(["config", "set", "commands.lint", "no-such-linter ."], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "lint");
    git(p.cwd, "checkout", "-q", "--detach");
    const doctor = br(["doctor"], { cwd: p.cwd, env: p.env });
    assert.equal(doctor.code, 1);
    assert.match(doctor.stderr + doctor.stdout, /no-such-linter/);
    assert.match(doctor.stderr + doctor.stdout, /HEAD is detached[\s\S]*git switch/);
    const run = br(["run", "--auto"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /detached/);
  });
  it("an unknown executor is bad input: exit 2 naming the executors, nothing written", () => {
    const p = project("good");
    const before = git(p.cwd, "status", "--porcelain");
    const result = br(["doctor", "--executor", "bogus"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown executor "bogus"[\s\S]*claude, codex, gemini/);
    assert.equal(git(p.cwd, "status", "--porcelain"), before);
  });
});
