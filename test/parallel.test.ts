/**
 * Parallel builds end to end: the built `br` runs several streams (worktrees and branches) with
 * the fake agent behind the command executor, integrates each verified task into the target, and
 * comes back from kills of a worker and of the whole run.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { journal } from "./agent-project.ts";
import { BR, br, brAsync, brOk, git, tempDir, waitFor } from "./helpers.ts";
import { callsOf, type ParallelProject as Project, parallelProject } from "./parallel-project.ts";

interface ParallelJson {
  done: string[];
  waiting: { task: string; reason: string }[];
  failed: { id: string; reason: string }[];
  failedInPlan: string[];
  completedFeatures: string[];
  conflicts: { task: string; files: string[]; tasks: string[]; kept: string }[];
  restarts: { stream: string; exit: string }[];
  cleaned: string[];
  streams: { name: string; status: string }[];
  streamRecovery: { retried: string[]; finished: string[] };
  recovered: { retried: string[]; done: string[] };
}

/** The task ids of br's commits on the target, oldest first. */
function integratedOrder(cwd: string): string[] {
  return git(cwd, "log", "--reverse", "--format=%s", "main")
    .split("\n")
    .map((s) => /^br: ([a-z0-9.-]+):/.exec(s)?.[1])
    .filter((id): id is string => id !== undefined);
}

function plan(cwd: string): { id: string; dependsOn: string[]; status: string }[] {
  return (
    JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as {
      tasks: { id: string; dependsOn: string[]; status: string }[];
    }
  ).tasks;
}

function passedAttempts(cwd: string): Map<string, number> {
  const passed = new Map<string, number>();
  for (const row of journal(cwd).filter((r) => r.outcome === "passed")) passed.set(row.task_id, (passed.get(row.task_id) ?? 0) + 1);
  return passed;
}

function assertPlanDone(p: Project): void {
  const all = plan(p.cwd);
  assert.deepEqual(
    all.filter((t) => t.status !== "done").map((t) => `${t.id} ${t.status}`),
    [],
    "every task done",
  );
  const order = integratedOrder(p.cwd);
  assert.equal(new Set(order).size, order.length, `each task integrated once: ${order.join(", ")}`);
  assert.deepEqual([...order].sort(), all.map((t) => t.id).sort(), "every task's commit is on the target");
  for (const task of all)
    for (const dep of task.dependsOn) assert.ok(order.indexOf(dep) < order.indexOf(task.id), `${dep} integrated before ${task.id}`);
  for (const [task, count] of passedAttempts(p.cwd)) assert.equal(count, 1, `${task} was verified once`);
}

function workerPid(cwd: string, status = "working"): number | undefined {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
  db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
  try {
    const row = db.prepare("SELECT worker_pid FROM streams WHERE status = ? AND worker_pid IS NOT NULL LIMIT 1").get(status) as
      | { worker_pid: number }
      | undefined;
    return row?.worker_pid;
  } finally {
    db.close();
  }
}

describe("br run --parallel", { timeout: 600_000 }, () => {
  it("completes a 12-feature plan with 4 streams: integrated in dependency order, features complete, worktrees removed", () => {
    const p = parallelProject(12);
    const run = br(["run", "--parallel", "4", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 300_000 });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as ParallelJson;
    assertPlanDone(p);
    assert.equal(summary.done.length, 24);
    const features = JSON.parse(readFileSync(join(p.cwd, ".buildrunner", "features.json"), "utf8")) as { features: { status: string }[] };
    assert.ok(
      features.features.every((f) => f.status === "complete"),
      "every feature complete",
    );
    // The agents worked in the streams' worktrees, with their stream and port block in the environment.
    const calls = callsOf(p);
    const streams = new Set(calls.map((c) => c.stream));
    assert.ok(streams.size >= 2, `work spread over streams: ${[...streams].join(", ")}`);
    for (const c of calls) {
      assert.ok(c.cwd?.startsWith(p.streamsDir), `${c.task} ran in a stream worktree (${c.cwd})`);
      assert.equal(Number(c.port), 41000 + 10 * (Number(c.stream?.split("-")[1]) - 1));
    }
    assert.deepEqual(summary.cleaned.sort(), ["stream-1", "stream-2", "stream-3", "stream-4"]);
    assert.equal(git(p.cwd, "worktree", "list").trim().split("\n").length, 1, "only the main checkout is left");
    assert.deepEqual(readdirSync(p.streamsDir), []);
    assert.equal(git(p.cwd, "status", "--porcelain"), "", "the main checkout is clean");
    assert.equal(git(p.cwd, "branch", "--list", "br/*"), "", "stream branches removed");
  });

  it("predicts a conflict before merging, keeps both commits, names the files and tasks; resolved by hand, the run completes", () => {
    const p = parallelProject(4, { FAKE_AGENT_SHARED_TASKS: "feature-1.core,feature-2.core" });
    const run = br(["run", "--parallel", "2", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 300_000 });
    assert.equal(run.code, 1, run.stderr);
    const summary = JSON.parse(run.stdout) as ParallelJson;
    assert.equal(summary.conflicts.length, 1, `one conflict, not: ${JSON.stringify({ waiting: summary.waiting, failed: summary.failed })}`);
    const [conflict] = summary.conflicts as [ParallelJson["conflicts"][number]];
    assert.deepEqual(conflict.files, ["src/shared.js"]);
    const [first, second] = conflict.tasks;
    assert.deepEqual([first, second].sort(), ["feature-1.core", "feature-2.core"]);
    // Nothing was merged wrongly: the target holds the first task's side only, with no conflict markers.
    const shared = git(p.cwd, "show", "main:src/shared.js");
    assert.equal(shared, `module.exports = ${JSON.stringify(second)};\n`);
    assert.equal(git(p.cwd, "show", `${conflict.kept}:src/shared.js`), `module.exports = ${JSON.stringify(first)};\n`);
    assert.equal(plan(p.cwd).find((t) => t.id === first)?.status, "failed");
    assert.match(summary.failed[0]?.reason ?? "", /conflicts with .* in src\/shared\.js: .*kept on branch br\/conflict\//);
    // By hand: merge the kept commit, resolving the file, then br merge --streams accepts it.
    const merge = spawnGit(p.cwd, ["merge", "--no-edit", conflict.kept]);
    assert.notEqual(merge, 0, "the merge conflicts for the user too");
    writeFileSync(join(p.cwd, "src", "shared.js"), 'module.exports = ["feature-1.core", "feature-2.core"];\n');
    git(p.cwd, "add", "src/shared.js");
    git(p.cwd, "commit", "-qm", "resolve shared.js");
    const merged = JSON.parse(brOk(["merge", "--streams", "--json"], { cwd: p.cwd, env: p.env }).stdout) as { resolvedByHand: string[] };
    assert.deepEqual(merged.resolvedByHand, [first]);
    git(p.cwd, "commit", "-qam", "plan status");
    const rest = br(["run", "--parallel", "2", "--json"], {
      cwd: p.cwd,
      env: { ...p.env, FAKE_AGENT_SHARED_TASKS: "" },
      timeoutMs: 300_000,
    });
    assert.equal(rest.code, 0, rest.stderr);
    assert.ok(plan(p.cwd).every((t) => t.status === "done"));
  });

  it("kill -9 of a worker mid-task: its stream is recovered and restarted, the plan finishes, no verified task runs twice", async () => {
    const p = parallelProject(4, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "1" });
    const child = spawn(process.execPath, [BR, "run", "--parallel", "2", "--json"], {
      cwd: p.cwd,
      env: { ...process.env, ...p.env, NO_COLOR: "1", NODE_TEST_CONTEXT: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await waitFor(() => callsOf(p).length >= 2, "two agents working", 120_000);
    const pid = workerPid(p.cwd);
    assert.ok(pid, "a worker is working");
    process.kill(pid, "SIGKILL");
    assert.equal(await withDeadline(closed, 300_000), 0, stdout);
    const summary = JSON.parse(stdout) as ParallelJson;
    assert.equal(summary.restarts.length, 1);
    assert.match(summary.restarts[0]?.exit ?? "", /SIGKILL/);
    assertPlanDone(p);
  });

  it("kill -9 of the whole run mid-merge: the next run integrates the verified task without running it again", async () => {
    const p = parallelProject(4);
    // A one-shot post-merge hook: the fast-forward of the target has happened, br has not recorded it yet.
    const mark = join(tempDir("br-mark-"), "merging");
    const hook = join(p.cwd, ".git", "hooks", "post-merge");
    writeFileSync(hook, `#!/bin/sh\nrm -f "$0"\ntouch "${mark}"\nsleep 60\n`, { mode: 0o755 });
    const child = spawn(process.execPath, [BR, "run", "--parallel", "2"], {
      cwd: p.cwd,
      env: { ...process.env, ...p.env, NO_COLOR: "1" },
      stdio: "ignore",
      detached: true,
    });
    const closed = new Promise((resolve) => child.on("close", resolve));
    await waitFor(() => existsSync(mark), "an integration in progress", 120_000);
    process.kill(-(child.pid as number), "SIGKILL");
    await withDeadline(closed, 30_000);
    const before = callsOf(p).length;
    const rerun = br(["run", "--parallel", "2", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 300_000 });
    assert.equal(rerun.code, 0, rerun.stderr);
    const summary = JSON.parse(rerun.stdout) as ParallelJson;
    assert.ok(summary.streamRecovery.finished.length + summary.streamRecovery.retried.length >= 1, JSON.stringify(summary.streamRecovery));
    assertPlanDone(p);
    const calls = callsOf(p);
    const verifiedBeforeKill = new Set(
      journal(p.cwd)
        .filter((r) => r.outcome === "passed")
        .map((r) => r.task_id),
    );
    for (const task of verifiedBeforeKill) {
      const runs = calls.filter((c) => c.task === task).length;
      assert.ok(runs <= 2, `${task}: ${runs} agent runs`);
    }
    assert.ok(calls.length - before <= 8, "the rerun ran only what was left");
  });
});

describe("the building blocks: br orchestrate, br worker, br merge --streams, br streams", { timeout: 300_000 }, () => {
  it("two workers started by hand complete the plan; streams list, show and clean them", async () => {
    const p = parallelProject(4);
    const made = JSON.parse(brOk(["orchestrate", "--parallel", "--streams", "2", "--json"], { cwd: p.cwd }).stdout) as {
      streams: { name: string; status: string }[];
      firstWave: { stream: string; task: string }[];
    };
    assert.deepEqual(
      made.streams.map((s) => s.name),
      ["stream-1", "stream-2"],
    );
    assert.deepEqual(
      made.firstWave.map((w) => w.task),
      ["feature-1.core", "feature-2.core"],
    );
    const workers = await Promise.all(
      ["stream-1", "stream-2"].map((stream) =>
        brAsync(["worker", "--stream", stream, "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 240_000 }),
      ),
    );
    for (const w of workers) assert.equal(w.code, 0, w.stderr);
    const integrated = workers.flatMap((w) => (JSON.parse(w.stdout) as { integrated: string[] }).integrated);
    assert.equal(integrated.length, 8);
    assert.ok(plan(p.cwd).every((t) => t.status === "done"));
    const merged = JSON.parse(brOk(["merge", "--streams", "--json"], { cwd: p.cwd }).stdout) as { integrations: unknown[] };
    assert.deepEqual(merged.integrations, [], "nothing left to integrate");
    const shown = JSON.parse(brOk(["streams", "show", "stream-1", "--json"], { cwd: p.cwd }).stdout) as {
      status: string;
      lastResult: string;
    };
    assert.equal(shown.status, "idle");
    assert.match(shown.lastResult, /integrated into main/);
    const cleaned = JSON.parse(brOk(["streams", "clean", "--json"], { cwd: p.cwd }).stdout) as { cleaned: string[] };
    assert.deepEqual(cleaned.cleaned, ["stream-1", "stream-2"]);
    assert.deepEqual(JSON.parse(brOk(["streams", "list", "--json"], { cwd: p.cwd }).stdout), []);
  });

  it("refuses bad input with exit 2 and changes nothing: an unknown stream, a bad stream count", () => {
    const p = parallelProject(2);
    const before = git(p.cwd, "status", "--porcelain");
    const unknown = br(["worker", "--stream", "nope"], { cwd: p.cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No stream named "nope"/);
    for (const args of [
      ["run", "--parallel", "0"],
      ["run", "--parallel", "many"],
      ["orchestrate", "--parallel", "--streams", "99"],
    ]) {
      const bad = br(args, { cwd: p.cwd });
      assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
      assert.match(bad.stderr, /whole number from 1 to 32/);
    }
    assert.equal(git(p.cwd, "status", "--porcelain"), before);
    assert.equal(git(p.cwd, "worktree", "list").trim().split("\n").length, 1);
  });
});

function spawnGit(cwd: string, args: string[]): number | null {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  return result.status;
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe("br run --parallel stops the whole run for what is not a task's fault", { timeout: 300_000 }, () => {
  it("the agent cannot run (401): every stream stops, exit 2, no task failed or left running", () => {
    const p = parallelProject(4, { FAKE_AGENT_MODE: "api-error", FAKE_AGENT_API_STATUS: "401" });
    const run = br(["run", "--parallel", "2", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 120_000 });
    assert.equal(run.code, 2, run.stderr);
    const summary = JSON.parse(run.stdout) as ParallelJson & { setupFailure?: { message: string } };
    assert.match(summary.setupFailure?.message ?? "", /401|API key/i);
    assert.deepEqual(summary.failed, []);
    assert.ok(callsOf(p).length <= 2, `at most one attempt per stream: ${callsOf(p).length}`);
    assert.deepEqual(
      plan(p.cwd).filter((t) => t.status === "running" || t.status === "failed"),
      [],
    );
  });

  it("the main checkout is in the way of an integration: the run stops (exit 1) with the verified commit kept; br merge --streams finishes it later", () => {
    const p = parallelProject(2, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "0" });
    // An untracked file of the user's where the task's verified work goes: a fast-forward would overwrite it.
    mkdirSync(join(p.cwd, "src", "feature-1"), { recursive: true });
    writeFileSync(join(p.cwd, "src", "feature-1", "feature_1_core.js"), "// the user's draft\n");
    const run = br(["run", "--parallel", "2", "--allow-dirty", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 180_000 });
    assert.equal(run.code, 1, run.stderr);
    const summary = JSON.parse(run.stdout) as ParallelJson & { waiting: { task: string; reason: string }[] };
    assert.deepEqual(
      summary.waiting.map((w) => w.task),
      ["feature-1.core"],
    );
    assert.match(summary.waiting[0]?.reason ?? "", /would be overwritten|main checkout/);
    assert.equal(readFileSync(join(p.cwd, "src", "feature-1", "feature_1_core.js"), "utf8"), "// the user's draft\n");
    assert.equal(plan(p.cwd).find((t) => t.id === "feature-1.core")?.status, "running", "verified, not yet integrated");
    rmSync(join(p.cwd, "src", "feature-1"), { recursive: true });
    const merged = JSON.parse(brOk(["merge", "--streams", "--json"], { cwd: p.cwd }).stdout) as {
      integrations: { task: string; result: { kind: string } }[];
    };
    assert.deepEqual(
      merged.integrations.map((i) => [i.task, i.result.kind]),
      [["feature-1.core", "integrated"]],
    );
    assert.equal(plan(p.cwd).find((t) => t.id === "feature-1.core")?.status, "done");
    assert.match(git(p.cwd, "log", "--format=%s", "-1"), /^br: feature-1\.core:/);
  });
});
