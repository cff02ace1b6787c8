/** Projects for the multi-machine tests: a parallel project whose main checkout pushes to a bare remote. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brOk, git, tempDir } from "./helpers.ts";
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
