/**
 * Multi-machine runs against the real PostgreSQL server (127.0.0.1:5432, database `test`): an
 * orchestrator (`br run --parallel` with BR_QUEUE_URL) and several `br worker --queue` processes,
 * each with its own clone of a bare "remote" repository, build a plan with the fake agent.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { br, brAsync, brSpawn, git, tempDir } from "./helpers.ts";
import { callsOf, type ParallelProject, parallelProject } from "./parallel-project.ts";

const QUEUE_URL = process.env.BR_TEST_QUEUE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function psql(sql: string): string {
  const result = spawnSync("psql", [QUEUE_URL, "-At", "-c", sql], { encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

interface QueuedProject extends ParallelProject {
  remote: string;
}

/** A parallel project whose main checkout pushes to a bare remote, as a team's shared repository. */
function queuedProject(features: number, dependsOn?: (n: number) => number[]): QueuedProject {
  const p = parallelProject(features, {}, dependsOn ? { dependsOn } : {});
  const remote = join(tempDir("br-remote-"), "shared.git");
  git(p.cwd, "init", "-q", "--bare", remote);
  git(p.cwd, "remote", "add", "origin", remote);
  git(p.cwd, "push", "-q", "origin", "main");
  git(remote, "symbolic-ref", "HEAD", "refs/heads/main");
  return { ...p, remote };
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

function startWorker(p: QueuedProject, name: string, extra: string[] = []) {
  const home = tempDir(`br-worker-${name}-`);
  const child = brSpawn(["worker", "--queue", QUEUE_URL, "--repo", p.remote, "--dir", join(home, "clone"), "--json", ...extra], {
    cwd: home,
    env: { ...p.env, BR_QUEUE_SUPERVISE_SECONDS: "2" },
    timeoutMs: 8 * 60_000,
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    child.on("close", (code) => done({ code, stdout, stderr })),
  );
  return { child, ended, output: () => stderr };
}

interface QueueRunJson {
  runKey: string;
  done: string[];
  failed: { id: string; reason: string }[];
  integrated: { task: string; worker: string }[];
  ledger: { attempts: number; costUsd: number; byMachine: { machine: string; attempts: number }[] };
}

function planStatuses(cwd: string): string[] {
  const plan = JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as { tasks: { id: string; status: string }[] };
  return plan.tasks.filter((t) => t.status !== "done").map((t) => `${t.id} ${t.status}`);
}

describe("br run --parallel on a PostgreSQL queue", { timeout: 900_000 }, () => {
  it("an orchestrator and 3 workers complete a 12-feature plan: each task integrated once, the shared ledger equal to the agent's calls", async () => {
    const p = queuedProject(12);
    const workers = ["a", "b", "c"].map((name) => startWorker(p, name, ["--until-idle", "20"]));
    const run = await brAsync(["run", "--parallel", "3", "--auto", "--json"], {
      cwd: p.cwd,
      env: { ...p.env, BR_QUEUE_URL: QUEUE_URL, BR_QUEUE_SUPERVISE_SECONDS: "2" },
      timeoutMs: 8 * 60_000,
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(run.stdout) as QueueRunJson;
    assert.deepEqual(planStatuses(p.cwd), [], "every task done");
    const tasks = summary.integrated.map((i) => i.task);
    assert.equal(new Set(tasks).size, tasks.length, `each task integrated once: ${tasks.join(", ")}`);
    assert.equal(tasks.length, 24);
    const reports = await Promise.all(workers.map((w) => w.ended));
    const reported = reports.map((r) => JSON.parse(r.stdout) as { tasks: unknown[]; attempts: number });
    assert.ok(reported.filter((r) => r.tasks.length > 0).length >= 2, "the work was shared between workers");
    // The ledger in PostgreSQL holds one row per agent call, whichever machine made it.
    const calls = callsOf(p).length;
    assert.equal(summary.ledger.attempts, calls);
    assert.equal(
      reported.reduce((n, r) => n + r.attempts, 0),
      calls,
    );
    const rows = psql(`SELECT count(*) FROM br_shared.attempts WHERE run_key = '${summary.runKey}'`);
    assert.equal(Number(rows), calls);
    // The target on the remote holds every integration, and the plan's final status.
    assert.equal(git(p.remote, "rev-parse", "main"), git(p.cwd, "rev-parse", "main"));
    const status = br(["queue", "status", "--json"], { cwd: p.cwd, env: { BR_QUEUE_URL: QUEUE_URL } });
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { jobs: Record<string, number>; workers: unknown[]; url: string };
    assert.equal(parsed.jobs.completed, 24);
    assert.equal(parsed.workers.length, 3);
  });

  it("a password in the URL is never printed: a refused connection names the server with ***", () => {
    const p = queuedProject(1);
    const url = "postgres://someone:Sup3rSecretPw@127.0.0.1:1/test";
    const result = br(["queue", "status"], { cwd: p.cwd, env: { BR_QUEUE_URL: url }, timeoutMs: 60_000 });
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stdout + result.stderr, /Sup3rSecretPw/);
    assert.match(result.stderr, /someone:\*\*\*@127\.0\.0\.1:1/);
  });

  it("queue.url in config.yaml may not hold a password: exit 2, the file unchanged", () => {
    const p = queuedProject(1);
    const before = readFileSync(join(p.cwd, ".buildrunner", "config.yaml"), "utf8");
    const result = br(["config", "set", "queue.url", "postgres://u:pw12345678@db.example.com/x"], { cwd: p.cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /PGPASSWORD|BR_QUEUE_URL/);
    assert.doesNotMatch(result.stdout + result.stderr, /pw12345678/);
    assert.equal(readFileSync(join(p.cwd, ".buildrunner", "config.yaml"), "utf8"), before);
  });
});
