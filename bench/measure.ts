/** Shared by the benchmarks: run a fresh br process repeatedly and report median, p90 and peak RSS. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";

export const BR = resolve(import.meta.dirname, "..", "bin", "br.js");
export const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TIME = "/usr/bin/time";

interface Sample {
  ms: number;
  maxRssKb?: number;
}

/** Runs `node <args>` once; `node` defaults to the Node running the benchmarks. */
export function once(args: string[], cwd: string, node = process.execPath): Sample {
  const useTime = existsSync(TIME);
  const command = useTime ? TIME : node;
  const argv = useTime ? ["-f", "%M", node, ...args] : args;
  const started = process.hrtime.bigint();
  const result = spawnSync(command, argv, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  const rss = useTime ? Number(result.stderr.trim().split("\n").at(-1)) : Number.NaN;
  return Number.isFinite(rss) ? { ms, maxRssKb: rss } : { ms };
}

export function measure(
  args: string[],
  cwd: string,
  prepare?: () => void,
  node = process.execPath,
): { median: number; p90: number; maxRssMb: number } {
  for (let i = 0; i < 2; i++) {
    prepare?.();
    once(args, cwd, node);
  }
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    prepare?.();
    samples.push(once(args, cwd, node));
  }
  const times = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { median: at(0.5), p90: at(0.9), maxRssMb: Math.max(...samples.map((s) => s.maxRssKb ?? 0)) / 1024 };
}

export interface Row {
  name: string;
  result: ReturnType<typeof measure>;
  /** The aim as a ratio to the baseline, or as an absolute time, when the issue sets one. */
  aim?: { ratio?: number; ms?: number };
}

export function printTable(title: string, rows: Row[], baselineMs?: number): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(
    `${"command".padEnd(width)}  ${"median".padStart(9)}  ${"p90".padStart(9)}  ${"peak RSS".padStart(9)}${baselineMs ? "  ratio" : ""}`,
  );
  for (const { name, result: r, aim } of rows) {
    const ratio = baselineMs ? r.median / baselineMs : undefined;
    let verdict = "";
    if (aim?.ratio !== undefined && ratio !== undefined) verdict = `  (aim ≤ ${aim.ratio}x: ${ratio <= aim.ratio ? "met" : "missed"})`;
    if (aim?.ms !== undefined) verdict = `  (aim < ${aim.ms} ms: ${r.median < aim.ms ? "met" : "missed"})`;
    console.log(
      `${name.padEnd(width)}  ${`${r.median.toFixed(1)} ms`.padStart(9)}  ${`${r.p90.toFixed(1)} ms`.padStart(9)}  ${`${r.maxRssMb.toFixed(0)} MB`.padStart(9)}${ratio !== undefined ? `  ${ratio.toFixed(2)}x` : ""}${verdict}`,
    );
  }
}

/** One run of any command: wall and CPU time (user + system, children included) and peak RSS. */
export interface TimedRun {
  ms: number;
  cpuMs: number;
  rssMb: number;
}

/** Runs `command args` once under /usr/bin/time; exit codes in `okCodes` count as a run. */
export function timedRun(command: string, args: string[], cwd: string, okCodes = [0], env: NodeJS.ProcessEnv = {}): TimedRun {
  const out = join(mkdtempSync(join(tmpdir(), "br-time-")), "time.txt");
  const started = process.hrtime.bigint();
  const result = spawnSync(TIME, ["-o", out, "-f", "%U %S %M", command, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 1024 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const code = result.status ?? -1;
  if (!okCodes.includes(code)) throw new Error(`${command} ${args.join(" ")} exited ${code}: ${result.stderr.slice(0, 500)}`);
  const [user, system, rssKb] = (readFileSync(out, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  rmSync(dirname(out), { recursive: true, force: true });
  return { ms, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000, rssMb: (rssKb ?? 0) / 1024 };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median wall, CPU and the largest peak RSS of several runs. */
export function summarise(runs: readonly TimedRun[]): TimedRun {
  return { ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)), rssMb: Math.max(...runs.map((r) => r.rssMb)) };
}

export const RESULTS_FILE = resolve(import.meta.dirname, "peer-results.json");

/**
 * With BENCH_RECORD=1, stores one benchmark's figures (versions included) under `section` in the
 * committed results file, beside the machine and date they were measured on.
 */
export function record(section: string, figures: Record<string, unknown>): void {
  if (process.env.BENCH_RECORD !== "1") return;
  const all = existsSync(RESULTS_FILE) ? (JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as Record<string, unknown>) : {};
  all[section] = {
    measuredAt: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    ...figures,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(all, null, 2)}\n`);
}
