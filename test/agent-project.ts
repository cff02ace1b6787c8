/** A project driven by fake agents: the shared setup of the build-loop and routing tests. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { brOk, git, tempDir, tempRepo } from "./helpers.ts";

export const FAKE_AGENT = resolve(import.meta.dirname, "fixtures", "fake-agent.mjs");

/** A folder with `claude` and `codex` programs on it that are the fake agent speaking each format. */
export function fakeAgentsOnPath(): string {
  const bin = tempDir("br-agents-");
  for (const agent of ["claude", "codex", "gemini", "aider"]) {
    const file = join(bin, agent);
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_AGENT}" ${agent} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return bin;
}

const FEATURES = ["Greeting", "Farewell", "Weather report", "Joke teller", "Summary"];
export const SPEC = `# Five features\n\n## Features\n${FEATURES.map(
  (name, i) =>
    `\n### ${name}\n${i > 0 ? `Depends on: ${FEATURES[i - 1]}\n` : ""}Say something about ${name.toLowerCase()}.\nAcceptance criteria:\n- It returns its own id\nFiles: src/**, test/**\n`,
).join("")}`;

export interface Project {
  cwd: string;
  env: Record<string, string>;
  log: string;
}

/** A git repository with a Node project, a 5-feature spec, a generated plan, all committed. */
export function project(mode = "good", extraEnv: Record<string, string> = {}): Project {
  const cwd = tempRepo();
  writeFileSync(
    join(cwd, "package.json"),
    `${JSON.stringify({ name: "five", private: true, scripts: { test: "node --test" } }, null, 2)}\n`,
  );
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), SPEC);
  const log = join(tempDir("br-agent-log-"), "calls.jsonl");
  const env = { PATH: `${fakeAgentsOnPath()}:${process.env.PATH}`, FAKE_AGENT_MODE: mode, FAKE_AGENT_LOG: log, ...extraEnv };
  brOk(["init", "five"], { cwd });
  brOk(["config", "set", "commands.test", "node --test"], { cwd });
  brOk(["spec", "sync"], { cwd });
  brOk(["tasks", "generate"], { cwd });
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "plan");
  return { cwd, env, log };
}

export const calls = (p: Project) =>
  existsSync(p.log)
    ? readFileSync(p.log, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { task: string; model: string; agent: string })
    : [];
export const tasks = (cwd: string) =>
  (
    JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as {
      tasks: { id: string; status: string; failureReason?: string }[];
    }
  ).tasks;

export function journal(cwd: string) {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
  db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
  try {
    return (
      db
        .prepare(
          "SELECT task_id, feature_id, attempt, outcome, reason, model, tier, route_score, route_reason, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd, cost_source FROM attempts ORDER BY id",
        )
        .all() as {
        task_id: string;
        feature_id: string;
        attempt: number;
        outcome: string;
        reason: string | null;
        model: string;
        tier: string;
        route_score: number;
        route_reason: string;
        input_tokens: number;
        output_tokens: number;
        cache_write_tokens: number;
        cache_read_tokens: number;
        cost_usd: number;
        cost_source: string;
      }[]
    ).map((row) => ({ ...row })); // plain objects (node:sqlite rows have no prototype), for deepEqual
  } finally {
    db.close();
  }
}

/** What `br run --json` prints, as far as the resilience tests read it. */
export interface RunSummaryJson {
  done: string[];
  failed: { id: string; reason: string }[];
  skipped: string[];
  stoppedBecause?: string;
  setupFailure?: { taskId: string; message: string; fix?: string };
  outage?: string;
  failedInPlan: string[];
  retriedFailed: string[];
  recovered: { retried: string[]; done: string[]; keptCopies?: string };
}

/** A project whose agent is the fake one behind the command executor, with fast outage retries. */
export function commandProject(mode: string, env: Record<string, string> = {}): Project {
  const p = project(mode, env);
  brOk(["config", "set", "run.executor", "command"], { cwd: p.cwd });
  brOk(["config", "set", "executors.command.command", `"${process.execPath}" "${FAKE_AGENT}" command --model {model}`], { cwd: p.cwd });
  brOk(["config", "set", "run.retryDelaySeconds", "0"], { cwd: p.cwd });
  git(p.cwd, "commit", "-qam", "command agent");
  return p;
}

export const summaryOf = (stdout: string) => JSON.parse(stdout) as RunSummaryJson;
export const statusOf = (cwd: string, id: string) => tasks(cwd).find((t) => t.id === id)?.status;
