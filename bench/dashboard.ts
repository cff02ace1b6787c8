/**
 * The dashboard under load: 10 streams whose agents print 1,000 log lines a second each, for a
 * minute, against a baseline of the same streams at 10 lines a second. Measured: the server's
 * memory (RSS, sampled each second: bounded means it stops growing), how fast it answers
 * /api/state, how long a printed line takes to show in the page (Debian's Chromium), and whether
 * the page's main thread stays free (a round trip into it).
 * Run alone: `node scripts/node-runtime.mjs 24 --import tsx bench/dashboard.ts [seconds of load, default 60]`.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectPaths } from "../src/infra/project.ts";
import { openStateDb } from "../src/infra/state-db.ts";
import { openBrowser, percentile, WATCH_LOG_LATENCY } from "../test/browser.ts";
import { request } from "../test/dashboard-server.ts";
import { BR, brOk, tempRepo } from "../test/helpers.ts";

const STREAMS = 10;
const LOAD_RATE = 1000;
const BASELINE_RATE = 10;
const BASELINE_SECONDS = 15;

interface Phase {
  name: string;
  rssMiB: number[];
  /** The live heap after each full collection (V8's --trace-gc): what the server really holds. */
  liveMiB: number[];
  stateMs: number[];
  pageMs: number[];
  logMs: number[];
  lines: number;
}

/** A project whose state says 10 streams are each running an attempt (the writer supplies their logs). */
function loadedProject(): { cwd: string; state: string; attempts: number[] } {
  const cwd = tempRepo();
  brOk(["init", "load"], { cwd });
  const paths = projectPaths(cwd);
  const db = openStateDb(paths);
  const now = new Date().toISOString();
  const run = db
    .prepare("INSERT INTO runs (started_at, pid, host, executor, options) VALUES (?, ?, 'bench', 'command', '{\"parallel\":10}')")
    .run(now, process.pid);
  const attempts: number[] = [];
  for (let i = 1; i <= STREAMS; i++) {
    db.prepare(
      "INSERT INTO streams (name, path, branch, target, port, status, task_id, run_id, updated_at) VALUES (?, ?, ?, 'main', ?, 'working', ?, ?, ?)",
    ).run(`stream-${i}`, join(cwd, `s${i}`), `br/stream-${i}`, 41000 + 10 * i, `load.t${i}`, run.lastInsertRowid, now);
    const attempt = db
      .prepare(
        "INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, started_at, stream, heartbeat_ms) VALUES (?, ?, 'load', 1, 'command', 'claude-sonnet-4-5', 'sonnet', ?, ?, ?)",
      )
      .run(run.lastInsertRowid, `load.t${i}`, now, `stream-${i}`, Date.now());
    attempts.push(Number(attempt.lastInsertRowid));
  }
  db.close();
  return { cwd, state: paths.state, attempts };
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

function startWriter(state: string, rate: number, seconds: number, attempts: number[]): Promise<number> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "dashboard-writer.ts"), state, String(rate), String(seconds), ...attempts.map(String)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  return new Promise((resolve) => child.on("close", () => resolve((JSON.parse(out || "{}") as { lines?: number }).lines ?? 0)));
}

async function runPhase(
  name: string,
  rate: number,
  seconds: number,
  ctx: { state: string; attempts: number[]; pid: number; port: number; page: import("playwright-core").Page; server: Server },
): Promise<Phase> {
  const phase: Phase = { name, rssMiB: [], liveMiB: [], stateMs: [], pageMs: [], logMs: [], lines: 0 };
  ctx.server.live.length = 0;
  await ctx.page.evaluate("window.brLatencies.length = 0");
  const writer = startWriter(ctx.state, rate, seconds, ctx.attempts);
  let writing = true;
  void writer.then((lines) => {
    phase.lines = lines;
    writing = false;
  });
  while (writing) {
    await new Promise((r) => setTimeout(r, 1000));
    phase.rssMiB.push(rssMiB(ctx.pid));
    let started = performance.now();
    await request(ctx.port, "/api/state");
    phase.stateMs.push(performance.now() - started);
    started = performance.now();
    await ctx.page.evaluate("1");
    phase.pageMs.push(performance.now() - started);
  }
  await writer;
  phase.liveMiB = [...ctx.server.live];
  phase.logMs = (await ctx.page.evaluate("window.brLatencies")) as number[];
  return phase;
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : "–");

function report(baseline: Phase, load: Phase): void {
  const row = (p: Phase) =>
    `| ${p.name} | ${p.lines} | ${fmt(percentile(p.rssMiB, 0.5))} / ${fmt(Math.max(...p.rssMiB))} | ${fmt(percentile(p.stateMs, 0.5))} / ${fmt(percentile(p.stateMs, 0.95))} | ${fmt(percentile(p.logMs, 0.5))} / ${fmt(percentile(p.logMs, 0.95))} | ${fmt(percentile(p.pageMs, 0.95))} |`;
  console.log(`\n## Dashboard under load: ${STREAMS} streams, ${LOAD_RATE} log lines/s each (baseline ${BASELINE_RATE}/s)`);
  console.log(
    "| phase | lines written | server RSS MiB (median / max) | /api/state ms (p50 / p95) | line → page ms (p50 / p95) | page round trip p95 ms |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  console.log(row(baseline));
  console.log(row(load));
  const live = [...baseline.liveMiB, ...load.liveMiB];
  const half = Math.floor(load.liveMiB.length / 2);
  const growth = Math.max(...load.liveMiB.slice(half)) - Math.max(...baseline.liveMiB, ...load.liveMiB.slice(0, half));
  const ratio = (a: number, b: number) => fmt(a / b);
  console.log(
    `ratios load / baseline: RSS max ${ratio(Math.max(...load.rssMiB), Math.max(...baseline.rssMiB))}, /api/state p95 ${ratio(percentile(load.stateMs, 0.95), percentile(baseline.stateMs, 0.95))}, line → page p95 ${ratio(percentile(load.logMs, 0.95), percentile(baseline.logMs, 0.95))}`,
  );
  console.log(`live heap after full collections (MiB): ${live.map(fmt).join(", ")}`);
  console.log(
    `memory bounded (live heap of the load's second half ≤ its first half + 4 MiB): ${growth <= 4 ? "yes" : "no"} (${fmt(growth)} MiB)`,
  );
  console.log(
    `page responsive (line → page p95 < 1000 ms, round trip p95 < 250 ms): ${percentile(load.logMs, 0.95) < 1000 && percentile(load.pageMs, 0.95) < 250 ? "yes" : "no"}`,
  );
}

interface Server {
  url: string;
  port: number;
  pid: number;
  live: number[];
  stop(): void;
}

/** `br dashboard` with V8's GC trace on its stdout: each full collection says how much stays live. */
function startServer(cwd: string): Promise<Server> {
  const child = spawn(process.execPath, ["--trace-gc", BR, "dashboard", "--port", "0", "--json"], {
    cwd,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const live: number[] = [];
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const after = /Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line)?.[1];
        if (after) live.push((Number(after) * (1000 * 1000)) / (1024 * 1024));
        if (line.startsWith("{")) {
          const started = JSON.parse(line) as { url: string; port: number };
          resolve({ ...started, pid: child.pid as number, live, stop: () => child.kill() });
        }
      }
    });
    child.on("close", (code) => reject(new Error(`br dashboard exited ${code}`)));
  });
}

export async function dashboardBenchmark(loadSeconds = Number(process.env.BENCH_DASHBOARD_SECONDS ?? 60)): Promise<void> {
  const project = loadedProject();
  const dashboard = await startServer(project.cwd);
  const browser = await openBrowser();
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(dashboard.url);
    await page.locator(".stream").first().waitFor({ timeout: 30_000 });
    await page.evaluate(WATCH_LOG_LATENCY);
    const ctx = { ...project, pid: dashboard.pid, port: dashboard.port, page, server: dashboard };
    const baseline = await runPhase("baseline", BASELINE_RATE, BASELINE_SECONDS, ctx);
    const load = await runPhase("load", LOAD_RATE, loadSeconds, ctx);
    report(baseline, load);
  } finally {
    await browser.close();
    dashboard.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await dashboardBenchmark(Number(process.argv[2] ?? 60));
