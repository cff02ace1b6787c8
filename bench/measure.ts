/** Shared by the benchmarks: run a fresh br process repeatedly and report median, p90 and peak RSS. */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

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
