/**
 * A stale index.lock (a git killed mid-write, br killed during a commit or a merge) no longer stops
 * `br run`: the built br removes a lock that no git can own and commits, and leaves alone one that a
 * live git working in the repository may own.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { br, brOk, git, tempDir, tempRepo } from "./helpers.ts";

const T = { timeout: 120_000 };
const running: ChildProcess[] = [];
after(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** A one-feature project whose agent is a shell line writing its two files, with a test command that passes. */
function project(): string {
  const cwd = tempRepo();
  const agent = join(tempDir("br-lock-agent-"), "agent.sh");
  writeFileSync(agent, 't="$BR_TASK_ID"; mkdir -p src test; echo "module.exports = 1;" > "src/$t.js"; echo "ok" > "test/$t.test.js"\n');
  writeFileSync(join(cwd, "package.json"), `${JSON.stringify({ name: "locks", private: true })}\n`);
  writeFileSync(
    join(cwd, "PROJECT_SPEC.md"),
    "# Locks\n\n## Features\n\n### Greeting\nSay hello.\nAcceptance criteria:\n- It returns its own id\nFiles: src/**, test/**\n",
  );
  brOk(["init", "locks"], { cwd });
  brOk(["config", "set", "commands.test", "true"], { cwd });
  brOk(["config", "set", "run.executor", "command"], { cwd });
  brOk(["config", "set", "executors.command.command", `/bin/sh ${agent}`], { cwd });
  brOk(["spec", "sync"], { cwd });
  brOk(["tasks", "generate"], { cwd });
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "plan");
  return cwd;
}

/** An index.lock as a git killed an hour ago left it. */
function staleLock(cwd: string): string {
  const lock = join(cwd, ".git", "index.lock");
  writeFileSync(lock, "");
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(lock, hourAgo, hourAgo);
  return lock;
}

describe("a stale git index.lock", () => {
  it("is removed when no git can own it, and the run commits its tasks", T, () => {
    const cwd = project();
    const lock = staleLock(cwd);
    const run = br(["run", "--auto", "--json"], { cwd });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { done: string[]; failed: unknown[] };
    assert.equal(summary.failed.length, 0, run.stdout);
    assert.ok(summary.done.length >= 2, run.stdout);
    assert.equal(existsSync(lock), false, "the stale lock is gone");
    assert.match(git(cwd, "log", "--format=%s"), /^br: .*Greeting/m);
    assert.equal(git(cwd, "status", "--porcelain"), "", "everything committed");
  });

  it("is left alone while a live git works in the repository, and br says what blocks it", T, async () => {
    const cwd = project();
    const lock = staleLock(cwd);
    // A git waiting on its input, working in the repository: it could be the lock's owner.
    const holder = spawn("git", ["hash-object", "--stdin"], { cwd, stdio: ["pipe", "ignore", "ignore"] });
    running.push(holder);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const run = br(["run", "--auto", "--json"], { cwd });
    assert.notEqual(run.code, 0);
    assert.match(`${run.stdout}${run.stderr}`, /index\.lock/);
    assert.equal(existsSync(lock), true, "a lock a live git may hold is kept");
    holder.kill("SIGKILL");
  });
});
