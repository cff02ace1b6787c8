/** Projects for the multi-machine tests: a parallel project whose main checkout pushes to a bare remote. */
import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type BrResult, brOk, brSpawn, git, outputOf, tempDir } from "./helpers.ts";
import { type ParallelProject, parallelProject } from "./parallel-project.ts";

export const QUEUE_URL = process.env.BR_TEST_QUEUE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export function psql(sql: string): string {
  const result = spawnSync("psql", [QUEUE_URL, "-At", "-c", sql], { encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

export interface QueuedProject extends ParallelProject {
  remote: string;
}

/** A parallel project whose main checkout pushes to a bare remote, as a team's shared repository. */
export function queuedProject(features: number, env: Record<string, string> = {}): QueuedProject {
  const p = parallelProject(features, env);
  // The shortest heartbeat pg-boss allows: a killed worker's task goes to another within seconds.
  brOk(["config", "set", "queue.heartbeatSeconds", "10"], { cwd: p.cwd });
  git(p.cwd, "commit", "-qam", "queue settings");
  const remote = join(tempDir("br-remote-"), "shared.git");
  git(p.cwd, "init", "-q", "--bare", remote);
  git(p.cwd, "remote", "add", "origin", remote);
  git(p.cwd, "push", "-q", "origin", "main");
  git(remote, "symbolic-ref", "HEAD", "refs/heads/main");
  return { ...p, remote };
}

/** The tasks of the plan that are not done, with their status. */
export function planStatuses(cwd: string): string[] {
  const plan = JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as { tasks: { id: string; status: string }[] };
  return plan.tasks.filter((t) => t.status !== "done").map((t) => `${t.id} ${t.status}`);
}

const children: ChildProcess[] = [];

/** A process killed with the others when the file's tests end. */
export function trackChild<T extends ChildProcess>(child: T): T {
  children.push(child);
  return child;
}

/** Every br process the queue tests started, killed (an `after` hook of each file). */
export function killQueueChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}

export function startWorker(p: QueuedProject, name: string, extra: string[] = [], url = QUEUE_URL, env: Record<string, string> = {}) {
  const home = tempDir(`br-worker-${name}-`);
  const child = brSpawn(["worker", "--queue", url, "--repo", p.remote, "--dir", join(home, "clone"), "--json", ...extra], {
    cwd: home,
    // Each worker stands for a machine of its own in the ledger.
    env: { ...p.env, BR_QUEUE_SUPERVISE_SECONDS: "2", BR_MACHINE: `vm-${name}`, ...env },
    timeoutMs: 8 * 60_000,
  });
  children.push(child);
  const ended = outputOf(child);
  return { child, ended, home };
}

export interface QueueRunJson {
  runKey: string;
  done: string[];
  failed: { id: string; reason: string }[];
  integrated: { task: string; worker: string }[];
  ledger: { attempts: number; costUsd: number; byMachine: { machine: string; attempts: number }[] };
}

export function orchestratorProcess(p: QueuedProject, parallel: number, url = QUEUE_URL) {
  const child = brSpawn(["run", "--parallel", String(parallel), "--auto", "--json"], {
    cwd: p.cwd,
    env: { ...p.env, BR_QUEUE_URL: url, BR_QUEUE_SUPERVISE_SECONDS: "2" },
    timeoutMs: 8 * 60_000,
  });
  children.push(child);
  return child;
}

/** The orchestrator: `br run --parallel n` with the queue, started now. */
export function orchestrator(p: QueuedProject, parallel: number, url = QUEUE_URL) {
  return outputOf(orchestratorProcess(p, parallel, url));
}

/** The run succeeded, every task of the plan is done, and each was integrated exactly once. */
export function assertIntegratedOnce(p: QueuedProject, run: BrResult, tasks: number): QueueRunJson {
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const summary = JSON.parse(run.stdout) as QueueRunJson;
  assert.deepEqual(planStatuses(p.cwd), [], "every task done");
  const integrated = summary.integrated.map((i) => i.task);
  assert.equal(new Set(integrated).size, integrated.length, `each task integrated once: ${integrated.join(", ")}`);
  assert.equal(integrated.length, tasks);
  return summary;
}
