/**
 * Start-up and registry benchmarks. Every figure is a median over repeated runs of a fresh
 * process, printed with its ratio to `node -e 0` started the same way (the aim: within 3x).
 *
 *   npm run bench            (BENCH_RUNS=30 for more runs)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const BR = resolve(import.meta.dirname, "..", "bin", "br.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TIME = "/usr/bin/time";

interface Sample {
  ms: number;
  maxRssKb?: number;
}

function once(args: string[], cwd: string): Sample {
  const useTime = existsSync(TIME);
  const command = useTime ? TIME : process.execPath;
  const argv = useTime ? ["-f", "%M", process.execPath, ...args] : args;
  const started = process.hrtime.bigint();
  const result = spawnSync(command, argv, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  const rss = useTime ? Number(result.stderr.trim().split("\n").at(-1)) : Number.NaN;
  return Number.isFinite(rss) ? { ms, maxRssKb: rss } : { ms };
}

function measure(args: string[], cwd: string, prepare?: () => void): { median: number; p90: number; maxRssMb: number } {
  for (let i = 0; i < 2; i++) {
    prepare?.();
    once(args, cwd);
  }
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    prepare?.();
    samples.push(once(args, cwd));
  }
  const times = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { median: at(0.5), p90: at(0.9), maxRssMb: Math.max(...samples.map((s) => s.maxRssKb ?? 0)) / 1024 };
}

function registry(size: number): string {
  const now = new Date().toISOString();
  const priorities = ["critical", "high", "medium", "low"];
  const statuses = ["planned", "in_progress", "testing", "complete", "blocked"];
  const features = Array.from({ length: size }, (_, i) => ({
    id: `feature-${i}`,
    name: `Feature ${i}: ${["billing", "search", "auth", "export", "reports"][i % 5]} improvements`,
    description: "Realistic description text of a feature, one or two sentences long, as a spec would give it.",
    status: statuses[i % statuses.length],
    priority: priorities[i % priorities.length],
    dependsOn: i > 0 ? [`feature-${i - 1}`] : [],
    acceptance: ["The happy path works end to end", "Errors are reported with a clear message"],
    createdAt: now,
    updatedAt: now,
    ...(i % 5 === 3 ? { completedAt: now } : {}),
  }));
  return `${JSON.stringify({ schemaVersion: 1, project: "bench", features }, null, 2)}\n`;
}

const dir = mkdtempSync(join(tmpdir(), "br-bench-"));
try {
  spawnSync("git", ["init", "-q"], { cwd: dir });
  once([BR, "init", "bench"], dir);
  const featuresFile = join(dir, ".buildrunner", "features.json");
  const big = registry(2000);
  writeFileSync(featuresFile, big);

  const baseline = measure(["-e", "0"], dir);
  // The aim (within 3x of bare node) applies to the start-up path and to `br status`; the others
  // are printed for context.
  const rows: [string, ReturnType<typeof measure>, boolean][] = [
    ["node -e 0 (baseline)", baseline, false],
    ["br --version", measure([BR, "--version"], dir), true],
    ["br status --json (2,000 features)", measure([BR, "status", "--json"], dir), true],
    ["br features list --json (2,000 features)", measure([BR, "features", "list", "--json"], dir), false],
    [
      "br features add (into 2,000 features)",
      measure([BR, "features", "add", "Bench probe"], dir, () => writeFileSync(featuresFile, big)),
      false,
    ],
  ];
  console.log(`BuildRunner start-up benchmark: median of ${RUNS} runs (p90), peak RSS; ratio = median / node -e 0 median\n`);
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`${"command".padEnd(width)}  ${"median".padStart(9)}  ${"p90".padStart(9)}  ${"peak RSS".padStart(9)}  ratio`);
  for (const [name, r, aimed] of rows) {
    const ratio = r.median / baseline.median;
    console.log(
      `${name.padEnd(width)}  ${`${r.median.toFixed(1)} ms`.padStart(9)}  ${`${r.p90.toFixed(1)} ms`.padStart(9)}  ${`${r.maxRssMb.toFixed(0)} MB`.padStart(9)}  ${ratio.toFixed(2)}x${aimed ? (ratio <= 3 ? "  (aim ≤ 3x: met)" : "  (aim ≤ 3x: missed)") : ""}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
