/**
 * The build loop when things go wrong around the work: the agent cannot run, the provider is down,
 * the agent hangs, the user works in another terminal, git hooks object, checks leave files.
 * Driven through the built binary with the command executor and the fake agent, whose provider
 * errors use the command executor's documented report line. (br doctor: doctor.test.ts; resuming
 * after a kill: recover.test.ts and chaos.test.ts.)
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { calls, commandProject, journal, project, statusOf, summaryOf, tasks } from "./agent-project.ts";
import { BR, br, brAsync, brJson, brOk, git, tempDir, waitFor } from "./helpers.ts";

describe("failure classes", () => {
  it("a bad key (401) stops the run at the first task: exit 2 with the fix, the task left ready, no attempt spent", () => {
    const p = commandProject("api-error", { FAKE_AGENT_API_STATUS: "401" });
    const result = br(["run", "--auto", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 2, result.stderr);
    const summary = summaryOf(result.stdout);
    assert.equal(summary.setupFailure?.taskId, "greeting.core");
    assert.match(summary.setupFailure?.fix ?? "", /credentials|API key/i);
    assert.equal(statusOf(p.cwd, "greeting.core"), "ready");
    assert.equal(calls(p).length, 1, "no other task burned an attempt");
    assert.deepEqual(
      journal(p.cwd).map((r) => r.outcome),
      ["setup"],
    );
    assert.equal(git(p.cwd, "status", "--porcelain"), "");
  });

  it("an overload (529) is retried on the same tier after a pause, not counted as an attempt", () => {
    const p = commandProject("api-error", { FAKE_AGENT_API_STATUS: "529", FAKE_AGENT_API_TIMES: "2" });
    const result = br(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(summaryOf(result.stdout).done, ["greeting.core"]);
    const rows = journal(p.cwd);
    assert.deepEqual(
      rows.map((r) => r.outcome),
      ["transient", "transient", "passed"],
    );
    assert.ok(
      rows.every((r) => r.attempt === 1 && r.tier === rows[0]?.tier && r.model === rows[0]?.model),
      "same attempt, same tier",
    );
  });

  it("an outage that outlasts the retries stops the run with exit 1, the task ready and nothing escalated", () => {
    const p = commandProject("api-error", { FAKE_AGENT_API_STATUS: "503" });
    brOk(["config", "set", "run.transientRetries", "2"], { cwd: p.cwd });
    const result = br(["run", "--auto", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 1, result.stderr);
    const summary = summaryOf(result.stdout);
    assert.match(summary.outage ?? "", /503/);
    assert.deepEqual(summary.failed, []);
    assert.equal(statusOf(p.cwd, "greeting.core"), "ready");
    const rows = journal(p.cwd);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.outcome === "transient" && r.tier === rows[0]?.tier));
  });

  it("an agent that goes silent past run.idleTimeoutSeconds is stopped and handled as an outage", () => {
    const p = commandProject("slow", { FAKE_AGENT_SLEEP: "60" });
    brOk(["config", "set", "run.idleTimeoutSeconds", "2"], { cwd: p.cwd });
    brOk(["config", "set", "run.transientRetries", "0"], { cwd: p.cwd });
    const started = Date.now();
    const result = br(["run", "--auto", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 60_000 });
    assert.ok(Date.now() - started < 30_000, "stopped long before the agent would have finished");
    assert.equal(result.code, 1, result.stderr);
    assert.match(summaryOf(result.stdout).outage ?? "", /printed nothing/);
    assert.equal(statusOf(p.cwd, "greeting.core"), "ready");
  });

  it("escalates only to a tier that names a different model, and never with a pinned model", () => {
    const p = commandProject("lazy");
    for (const tier of ["haiku", "sonnet", "opus"]) brOk(["config", "set", `routing.tiers.${tier}`, "same-model"], { cwd: p.cwd });
    br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    const rows = journal(p.cwd);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.tier, rows[1]?.tier, "no escalation to the same model under another name");
    assert.doesNotMatch(rows[1]?.route_reason ?? "", /escalated/);

    const pinned = commandProject("lazy");
    brOk(["config", "set", "executors.command.model", "my-model"], { cwd: pinned.cwd });
    br(["run", "--auto", "--max-tasks", "1"], { cwd: pinned.cwd, env: pinned.env });
    const pinnedRows = journal(pinned.cwd);
    assert.deepEqual(
      pinnedRows.map((r) => [r.model, r.tier]),
      [
        ["my-model", pinnedRows[0]?.tier],
        ["my-model", pinnedRows[0]?.tier],
      ],
    );
  });

  it("failed tasks make br run exit 1 until retried with --retry-failed, and the summary says how", () => {
    const p = commandProject("lazy");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 1);
    const again = br(["run", "--auto", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(again.code, 1, "a failed task still blocks the plan");
    assert.deepEqual(summaryOf(again.stdout).failedInPlan, ["greeting.core"]);
    const text = br(["run", "--auto"], { cwd: p.cwd, env: p.env });
    assert.match(text.stdout + text.stderr, /br run --retry-failed/);
    const retried = br(["run", "--auto", "--retry-failed", "--json"], { cwd: p.cwd, env: { ...p.env, FAKE_AGENT_MODE: "good" } });
    assert.equal(retried.code, 0, retried.stderr);
    const summary = summaryOf(retried.stdout);
    assert.deepEqual(summary.retriedFailed, ["greeting.core"]);
    assert.ok(tasks(p.cwd).every((t) => t.status === "done"));
  });
});

describe("what a failed attempt says", () => {
  it("an agent that fails without a report: its exit code and last stderr lines, not 'no details'", () => {
    const p = commandProject("good");
    brOk(["config", "set", "executors.command.command", "echo 'working…'; echo 'fatal: context window exceeded' >&2; exit 3"], {
      cwd: p.cwd,
    });
    brOk(["config", "set", "run.maxAttempts", "1"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "failing agent");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 1);
    const reason = journal(p.cwd)[0]?.reason ?? "";
    assert.match(reason, /exited 3/);
    assert.match(reason, /fatal: context window exceeded/);
  });

  it("with the manual executor, one `br tasks done` counts for one attempt only", async () => {
    const p = project("good");
    brOk(["config", "set", "executors.manual.timeoutSeconds", "4"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "manual");
    const running = brAsync(["run", "--auto", "--executor", "manual", "--max-tasks", "1"], { cwd: p.cwd, env: p.env, timeoutMs: 60_000 });
    const prompt = join(p.cwd, ".buildrunner", "state", "prompts", "greeting.core.attempt-1.md");
    await waitFor(() => existsSync(prompt), "the first prompt");
    brOk(["tasks", "done", "greeting.core"], { cwd: p.cwd });
    const result = await running;
    assert.equal(result.code, 1, result.stderr);
    const rows = journal(p.cwd);
    assert.match(rows[0]?.reason ?? "", /changed no files/);
    assert.match(rows[1]?.reason ?? "", /no evidence of completion within 4 s/, "the second attempt waited for its own evidence");
  });
});

describe("other br commands during a run", () => {
  it("keeps features add, features block and tasks done --force run in another terminal", async () => {
    const go = join(tempDir("br-go-"), "go");
    const p = commandProject("good", { FAKE_AGENT_WAIT_FOR: go });
    const running = brAsync(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    await waitFor(() => calls(p).length >= 1, "the agent to start");
    brOk(["features", "add", "Extra feature"], { cwd: p.cwd });
    brOk(["features", "block", "summary", "--reason", "waiting on design"], { cwd: p.cwd });
    brOk(["tasks", "done", "joke-teller.core", "--force"], { cwd: p.cwd });
    writeFileSync(go, "");
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    const features = brJson<{ features: { id: string; status: string }[] }>(["features", "list"], { cwd: p.cwd }).features;
    assert.ok(features.some((f) => f.id === "extra-feature"));
    assert.equal(features.find((f) => f.id === "summary")?.status, "blocked");
    assert.equal(statusOf(p.cwd, "joke-teller.core"), "done");
    assert.equal(statusOf(p.cwd, "greeting.core"), "done");
    assert.equal(git(p.cwd, "status", "--porcelain"), "", "the changes are committed with the task");
  });

  it("undoes the same br commands when the agent runs them", () => {
    const p = commandProject("br-caller", { FAKE_AGENT_BR: BR });
    const result = br(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 1);
    const features = brJson<{ features: { id: string }[] }>(["features", "list"], { cwd: p.cwd }).features;
    assert.ok(!features.some((f) => f.id === "sneaky"));
    assert.match(journal(p.cwd)[0]?.reason ?? "", /features\.json/);
  });
});

describe("commits and the tree", () => {
  it("br's commits run the repository's hooks: a rejection fails the attempt with the hook's words; run.hooks false skips them", () => {
    const p = commandProject("good");
    const hook = join(p.cwd, ".git", "hooks", "pre-commit");
    writeFileSync(hook, "#!/bin/sh\necho 'policy: no commits on Fridays' >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    const rejected = br(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    const rows = journal(p.cwd);
    assert.match(rows[0]?.reason ?? "", /git hook rejected the commit: policy: no commits on Fridays/);
    assert.equal(git(p.cwd, "status", "--porcelain", "--", "src", "test"), "", "the rejected work is undone");
    // The same objection twice is no fault of the agent's: the run stops with the fix instead of paying on.
    assert.equal(rejected.code, 2, rejected.stderr);
    assert.equal(rows.length, 2);
    assert.match(summaryOf(rejected.stdout).setupFailure?.fix ?? "", /run\.hooks false/);
    assert.equal(statusOf(p.cwd, "greeting.core"), "ready");
    brOk(["config", "set", "run.hooks", "false"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "no hooks", "--no-verify");
    const passed = br(["run", "--auto", "--retry-failed", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(passed.code, 0, passed.stderr);
    assert.equal(statusOf(p.cwd, "greeting.core"), "done");
  });

  it("files the checks write (a coverage report) never make the tree dirty for the next run", () => {
    const p = commandProject("good");
    brOk(["config", "set", "commands.test", "node --test && echo '<coverage/>' > coverage.xml"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "coverage");
    const first = br(["run", "--auto", "--max-tasks", "2"], { cwd: p.cwd, env: p.env });
    assert.equal(first.code, 0, first.stderr);
    assert.ok(existsSync(join(p.cwd, "coverage.xml")));
    assert.doesNotMatch(git(p.cwd, "log", "--name-only", "--format="), /coverage\.xml/, "never committed as the agent's work");
    assert.equal(git(p.cwd, "status", "--porcelain"), "");
    assert.match(readFileSync(join(p.cwd, ".git", "info", "exclude"), "utf8"), /^\/coverage\.xml$/m);
    const second = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(second.code, 0, second.stderr);
  });
});
