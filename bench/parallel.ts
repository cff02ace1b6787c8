/**
 * Parallel builds: the makespan of `br run --parallel n` (n = 1, 2, 4) with an agent that takes
 * t seconds per task, against the lower bound max(critical path, total work / n), and br's own
 * overhead per task and per merge. The plan: 8 features in 4 chains of 2 (feature N needs N−4),
 * each feature an implementation and a tests task, so 16 tasks and a critical path of 4.
 * Run alone: `node scripts/node-runtime.mjs 24 --import tsx bench/parallel.ts [seconds per task, default 5]`.
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parallelProject } from "../test/parallel-project.ts";
import { BR } from "./measure.ts";

const FEATURES = 8;
const TASKS = FEATURES * 2;
const CRITICAL_PATH_TASKS = 4;

interface Run {
  streams: number;
  makespanS: number;
  boundS: number;
  integrations: { count: number; totalMs: number };
  done: number;
  /** How long the agents ran, all attempts together (the journal's durations), in seconds. */
  agentS: number;
}

function agentSeconds(cwd: string): number {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
  try {
    return (db.prepare("SELECT COALESCE(SUM(duration_ms), 0) AS ms FROM attempts").get() as { ms: number }).ms / 1000;
  } finally {
    db.close();
  }
}

function runOnce(streams: number, secondsPerTask: number): Run {
  const p = parallelProject(
    FEATURES,
    { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: String(secondsPerTask) },
    {
      dependsOn: (n) => (n > 4 ? [n - 4] : []),
      testCommand: "true",
    },
  );
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BR, "run", "--parallel", String(streams), "--json"], {
    cwd: p.cwd,
    env: { ...process.env, ...p.env, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 15 * 60_000,
  });
  const makespanS = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`br run --parallel ${streams} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const summary = JSON.parse(result.stdout) as { done: string[]; integrations: Run["integrations"] };
  const work = TASKS * secondsPerTask;
  const boundS = Math.max(CRITICAL_PATH_TASKS * secondsPerTask, work / streams);
  return { streams, makespanS, boundS, integrations: summary.integrations, done: summary.done.length, agentS: agentSeconds(p.cwd) };
}

export function parallelBenchmark(secondsPerTask = 5): boolean {
  console.log(
    `\n## Parallel builds: ${TASKS} tasks, critical path ${CRITICAL_PATH_TASKS}, agent ${secondsPerTask} s per task (${cpus().length} cores)\n`,
  );
  console.log("| streams | makespan | lower bound | ratio | bound + br's overhead | ratio to it | per merge |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  let ok = true;
  let overheadPerTask = 0;
  for (const streams of [1, 2, 4]) {
    const run = runOnce(streams, secondsPerTask);
    // br's own time per task, measured where nothing runs alongside (one stream, every task in
    // series): the makespan less the agents' own run time (their start-up included), per task.
    if (streams === 1) overheadPerTask = (run.makespanS - run.agentS) / TASKS;
    const tasksInSeries = Math.max(CRITICAL_PATH_TASKS, TASKS / streams);
    const allowed = run.boundS + overheadPerTask * tasksInSeries;
    const perMerge = run.integrations.count ? run.integrations.totalMs / run.integrations.count : 0;
    ok &&= run.done === TASKS && run.makespanS <= 1.15 * allowed;
    console.log(
      `| ${streams} | ${run.makespanS.toFixed(1)} s | ${run.boundS.toFixed(1)} s | ${(run.makespanS / run.boundS).toFixed(2)}× | ${allowed.toFixed(1)} s | ${(run.makespanS / allowed).toFixed(2)}× | ${perMerge.toFixed(0)} ms |`,
    );
  }
  ok &&= overheadPerTask < 1;
  console.log(
    `\nbr's overhead per task (one stream): ${overheadPerTask.toFixed(2)} s. Aim: under 1 s per task, and each makespan within 1.15× (bound + overhead × tasks in series): ${ok ? "met" : "NOT met"}`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 5);
  process.exitCode = parallelBenchmark(seconds) ? 0 : 1;
}
