/**
 * Multi-machine runs (issue 21): the same plan built by 8 workers through the PostgreSQL queue
 * (`br worker --queue --concurrency 8`, each with its own clone of a bare remote, and an
 * orchestrator `br run --parallel 8` with BR_QUEUE_URL) and by 8 local streams (`br run --parallel
 * 8`), in the same run. Printed: the makespan and integration throughput of each, their ratio, and
 * the queue's claim-to-start latency (a job's creation to a worker taking it, from pg-boss's own
 * timestamps). The plan: 16 independent features, each an implementation and a tests task (32
 * tasks), a fake agent taking 1 s per task, tests `true`.
 *
 * Needs PostgreSQL at BENCH_QUEUE_URL (default postgres://postgres@127.0.0.1:5432/test); skipped
 * when it is not reachable.
 * Run alone: `node scripts/node-runtime.mjs 24 --import tsx bench/queue.ts`
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parallelProject } from "../test/parallel-project.ts";
import { BR } from "./measure.ts";

const URL_ = process.env.BENCH_QUEUE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const FEATURES = 16;
const TASKS = FEATURES * 2;
const WORKERS = 8;

function psql(sql: string): string | undefined {
  const result = spawnSync("psql", [URL_, "-At", "-c", sql], { encoding: "utf8", timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function project() {
  return parallelProject(FEATURES, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "1" }, { dependsOn: () => [], testCommand: "true" });
}

function timedRun(cwd: string, env: NodeJS.ProcessEnv): { seconds: number; summary: { done: string[]; runKey?: string } } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BR, "run", "--parallel", String(WORKERS), "--auto", "--json"], {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 20 * 60_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`br run --parallel exited ${result.status}: ${result.stderr.slice(-2000)}`);
  return { seconds, summary: JSON.parse(result.stdout) as { done: string[]; runKey?: string } };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function queueRun(): Promise<{ seconds: number; done: number; latency: number[] }> {
  const p = project();
  const remote = join(mkdtempSync(join(tmpdir(), "br-bench-remote-")), "shared.git");
  spawnSync("git", ["init", "-q", "--bare", remote]);
  spawnSync("git", ["remote", "add", "origin", remote], { cwd: p.cwd });
  spawnSync("git", ["push", "-q", "origin", "main"], { cwd: p.cwd });
  spawnSync("git", ["symbolic-ref", "HEAD", "refs/heads/main"], { cwd: remote });
  const home = mkdtempSync(join(tmpdir(), "br-bench-workers-"));
  const workers = spawn(
    process.execPath,
    [BR, "worker", "--queue", URL_, "--repo", remote, "--dir", home, "--concurrency", String(WORKERS), "--until-idle", "5", "--json"],
    { cwd: home, env: { ...process.env, ...p.env, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "ignore"] },
  );
  const ended = new Promise((done) => workers.on("close", done));
  // The clones are made before the run starts: the figures are the queue's, not git clone's.
  const deadline = Date.now() + 5 * 60_000;
  while (
    Number(psql("SELECT count(*) FROM br_shared.workers WHERE state = 'idle' AND seen_at > now() - interval '5 minutes'") ?? 0) < WORKERS
  ) {
    if (Date.now() > deadline) throw new Error("the workers did not start");
    await new Promise((r) => setTimeout(r, 250));
  }
  const run = timedRun(p.cwd, { ...p.env, BR_QUEUE_URL: URL_ });
  await ended;
  const rows = psql(
    `SELECT extract(epoch FROM started_on - created_on) FROM br_boss.job WHERE data->>'runKey' = '${run.summary.runKey}' AND started_on IS NOT NULL`,
  );
  const latency = (rows ?? "")
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  return { seconds: run.seconds, done: run.summary.done.length, latency };
}

export async function queueBenchmark(): Promise<boolean> {
  console.log(`\n## Multi-machine runs: ${TASKS} tasks, ${WORKERS} workers through PostgreSQL against ${WORKERS} local streams\n`);
  if (psql("SELECT 1") !== "1") {
    console.log(`skipped: PostgreSQL is not reachable at ${URL_.replace(/:[^:@/]*@/, ":***@")} (set BENCH_QUEUE_URL)`);
    return true;
  }
  const plain = project();
  const local = timedRun(plain.cwd, plain.env);
  const queued = await queueRun();
  const perMinute = (done: number, seconds: number) => (done / seconds) * 60;
  console.log("| scheduler | makespan | tasks integrated | throughput | ratio |");
  console.log("| --- | --- | --- | --- | --- |");
  const localRate = perMinute(local.summary.done.length, local.seconds);
  const queueRate = perMinute(queued.done, queued.seconds);
  console.log(`| local streams | ${local.seconds.toFixed(1)} s | ${local.summary.done.length} | ${localRate.toFixed(1)}/min | 1.00× |`);
  console.log(
    `| PostgreSQL queue | ${queued.seconds.toFixed(1)} s | ${queued.done} | ${queueRate.toFixed(1)}/min | ${(queueRate / localRate).toFixed(2)}× |`,
  );
  const l = queued.latency;
  console.log(
    `\nclaim-to-start latency on the queue (job created → a worker took it), ${l.length} jobs: median ${(percentile(l, 0.5) * 1000).toFixed(0)} ms, p90 ${(percentile(l, 0.9) * 1000).toFixed(0)} ms, max ${((l.at(-1) ?? Number.NaN) * 1000).toFixed(0)} ms`,
  );
  return local.summary.done.length === TASKS && queued.done === TASKS;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = (await queueBenchmark()) ? 0 : 1;
}
