/**
 * What the dashboard reads and decides, on a real project and state database: the streams and the
 * board a run produces, the refusals of its actions, the hub's events, and the server in-process.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync } from "node:fs";
import { describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { openStateDb } from "../../src/infra/state-db.ts";
import { loadTasks } from "../../src/plan/task-store.ts";
import { attemptLogPath, prepareLogs } from "../../src/run/agent-log.ts";
import { pauseFile, stopReason } from "../../src/run/control.ts";
import { brOk, initializedRepo } from "../helpers.ts";

await import("./text-loader.ts");
const { loadConfig } = await import("../../src/infra/config.ts");
const { pauseStream, retryTask, stopRun } = await import("../../src/dashboard/actions.ts");
const { Hub } = await import("../../src/dashboard/hub.ts");
const { readState, StateReader, taskAttempts } = await import("../../src/dashboard/snapshot.ts");
const { startDashboard } = await import("../../src/dashboard/server.ts");
const { recordLatestCheck } = await import("../../src/security/latest.ts");

const KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");

/** A project with a two-task plan and a state database where a sequential run works on the first task. */
async function projectWithRun(options: { heartbeatAgoMs?: number; agentDone?: boolean } = {}) {
  const cwd = initializedRepo("board");
  brOk(["features", "add", "Login"], { cwd });
  brOk(["tasks", "generate"], { cwd });
  const paths = projectPaths(cwd);
  const [first, second] = (await loadTasks(paths)).tasks;
  brOk(["tasks", "start", first?.id as string], { cwd });
  const db = openStateDb(paths);
  const now = new Date().toISOString();
  const run = db
    .prepare("INSERT INTO runs (started_at, pid, host, executor, options) VALUES (?, ?, 'here', 'command', ?)")
    .run(now, process.pid, JSON.stringify({ maxCost: 2 }));
  db.prepare(
    `INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, started_at, finished_at, outcome, reason, cost_usd)
     VALUES (?, ?, 'login', 1, 'command', 'claude-haiku-4-5', 'haiku', ?, ?, 'failed', 'the tests failed', 0.25)`,
  ).run(run.lastInsertRowid, first?.id as string, now, now);
  const attempt = db
    .prepare(
      `INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, started_at, heartbeat_ms, changed_files)
       VALUES (?, ?, 'login', 2, 'command', 'claude-sonnet-4-5', 'sonnet', ?, ?, ?)`,
    )
    .run(run.lastInsertRowid, first?.id as string, now, Date.now() - (options.heartbeatAgoMs ?? 0), options.agentDone ? "[]" : null);
  db.close();
  const config = (await loadConfig(paths)).config;
  return {
    cwd,
    paths,
    config,
    first: first?.id as string,
    second: second?.id as string,
    runId: Number(run.lastInsertRowid),
    attemptId: Number(attempt.lastInsertRowid),
  };
}

describe("the dashboard's state", () => {
  it("shows a sequential run as the stream main, its task as running, then verifying, and the spend against the budget", async () => {
    const p = await projectWithRun();
    const reader = new StateReader(p.paths);
    const state = await readState(p.paths, p.config, reader);
    assert.deepEqual(
      state.streams.map((s) => [s.name, s.status, s.attempt?.attempt, s.attempt?.model, s.attempt?.stale]),
      [["main", "working", 2, "claude-sonnet-4-5", false]],
    );
    assert.deepEqual(
      state.board.running.map((t) => [t.id, t.attempts, t.lastOutcome]),
      [[p.first, 2, "running"]],
    );
    assert.ok(state.board.pending.some((t) => t.id === p.second) || state.board.ready.some((t) => t.id === p.second));
    assert.equal(state.run?.live, true);
    assert.equal(state.run?.maxCost, 2);
    assert.equal(state.run?.spentUsd, 0.25);
    assert.equal(state.cost.totalUsd, 0.25);
    assert.deepEqual(
      state.cost.overTime.map((p) => p.total),
      [0.25],
    );
    assert.deepEqual(
      taskAttempts(reader, p.first).map((a) => [a.attempt, a.outcome, a.reason]),
      [
        [2, "running", null],
        [1, "failed", "the tests failed"],
      ],
    );
    reader.close();

    const verifying = await projectWithRun({ agentDone: true, heartbeatAgoMs: 60_000 });
    const later = await readState(verifying.paths, verifying.config, new StateReader(verifying.paths));
    assert.deepEqual(
      later.board.verifying.map((t) => t.id),
      [verifying.first],
      "the agent has finished: br checks its work",
    );
    assert.equal(later.streams[0]?.attempt?.stale, true, "no heartbeat for a minute: the br that ran it is gone");
  });

  it("keeps the last security check with its findings masked", async () => {
    const p = await projectWithRun();
    recordLatestCheck(p.paths, [{ rule: "aws-access-key", file: "src/a.ts", line: 3, severity: "critical", match: KEY }]);
    const state = await readState(p.paths, p.config, new StateReader(p.paths));
    assert.equal(state.security?.total, 1);
    assert.deepEqual(state.security?.bySeverity, { critical: 1 });
    assert.equal(state.security?.findings[0]?.match, "AKIA****************");
  });
});

describe("the dashboard's actions", () => {
  it("pause and resume a stream that exists, once each", async () => {
    const p = await projectWithRun();
    const state = async () => readState(p.paths, p.config, new StateReader(p.paths));
    assert.equal(pauseStream(p.paths, await state(), "stream-9", true).status, 404);
    assert.equal(pauseStream(p.paths, await state(), "main", true).status, 200);
    assert.ok(existsSync(pauseFile(p.paths.state, "main")));
    assert.equal((await state()).streams[0]?.paused, true);
    assert.equal(pauseStream(p.paths, await state(), "main", true).status, 409, "already paused");
    assert.equal(pauseStream(p.paths, await state(), "main", false).status, 200);
    assert.equal(existsSync(pauseFile(p.paths.state, "main")), false);
    assert.equal(pauseStream(p.paths, await state(), "main", false).status, 409, "already running");
  });

  it("stop only a live run, once", async () => {
    const p = await projectWithRun();
    const state = async () => readState(p.paths, p.config, new StateReader(p.paths));
    const first = stopRun(p.paths, await state());
    assert.equal(first.status, 200, first.body.message);
    assert.equal(stopReason(p.paths.state, p.runId), "stopped from the dashboard");
    assert.equal((await state()).run?.stopRequested, "stopped from the dashboard");
    assert.equal(stopRun(p.paths, await state()).status, 409, "already stopping");
    const db = openStateDb(p.paths);
    db.prepare("UPDATE runs SET outcome = 'stopped'").run();
    db.close();
    assert.equal(stopRun(p.paths, await state()).status, 409, "nothing to stop");
  });

  it("retry only a failed task", async () => {
    const p = await projectWithRun();
    assert.equal((await retryTask(p.paths, "no-such.task")).status, 404);
    assert.equal((await retryTask(p.paths, p.first)).status, 409, "a running task is not retried");
    brOk(["tasks", "fail", p.first, "--reason", "broke"], { cwd: p.cwd });
    const retried = await retryTask(p.paths, p.first);
    assert.equal(retried.status, 200, retried.body.message);
    assert.equal((await loadTasks(p.paths)).tasks.find((t) => t.id === p.first)?.status, "ready");
  });
});

describe("the dashboard's hub and server", () => {
  it("turns new state and new log lines into masked events", async () => {
    const p = await projectWithRun();
    prepareLogs(p.paths.state);
    const hub = new Hub(p.paths, p.config);
    await hub.tick();
    const state = hub.ring.after(0)?.find((e) => e.type === "state");
    assert.ok(state && JSON.parse(state.data).streams[0].name === "main");
    const cursor = hub.ring.lastId;
    appendFileSync(attemptLogPath(p.paths.state, p.attemptId), `running the tests\nkey ${KEY}\n`);
    await hub.tick();
    const logs = (hub.ring.after(cursor) ?? []).filter((e) => e.type === "log").map((e) => JSON.parse(e.data));
    assert.deepEqual(
      logs.map((l) => [l.attemptId, l.stream, l.taskId]),
      [[p.attemptId, "main", p.first]],
    );
    assert.deepEqual(logs[0].lines, ["running the tests", "key AKIA****************"]);
    assert.equal(hub.backlog()[0]?.lines.length, 2, "a page that connects now gets the recent lines");
    await hub.stop();
  });

  it("serves the page and the state on the port it picked, and 404 for anything else", async () => {
    const p = await projectWithRun();
    const dashboard = await startDashboard(p.paths, p.config, { host: "127.0.0.1", port: 0, token: "t".repeat(32), pollMs: 50 });
    try {
      assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(dashboard.url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>br dashboard<\/title>/);
      const state = (await (await fetch(`${dashboard.url}api/state`)).json()) as { streams: { name: string }[] };
      assert.equal(state.streams[0]?.name, "main");
      const missing = await fetch(`${dashboard.url}api/nothing`);
      assert.equal(missing.status, 404);
    } finally {
      await dashboard.close();
    }
  });
});
