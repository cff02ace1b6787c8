/**
 * Start-up and registry benchmark: `br --version` and `br status --json` on a 2,000-feature
 * registry, as ratios to `node -e 0` of the same Node version started the same way (the aim:
 * within 3x), on each Node br is tested on (the pinned builds of scripts/node-runtime.mjs).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: a plain .mjs script shared with the test runner, without type declarations
import { NODE_VERSIONS, nodeBinary } from "../scripts/node-runtime.mjs";
import { BR, measure, once, printTable, type Row, RUNS } from "./measure.ts";

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

function startupOn(major: string): void {
  const node = nodeBinary(major) as string;
  const dir = mkdtempSync(join(tmpdir(), "br-bench-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: dir });
    once([BR, "init", "bench"], dir, node);
    const featuresFile = join(dir, ".buildrunner", "features.json");
    const big = registry(2000);
    writeFileSync(featuresFile, big);
    const run = (args: string[], prepare?: () => void) => measure(args, dir, prepare, node);
    const baseline = run(["-e", "0"]);
    // The aim applies to start-up and `br status`; the other rows are context.
    const rows: Row[] = [
      { name: "node -e 0 (baseline)", result: baseline },
      { name: "br --version", result: run([BR, "--version"]), aim: { ratio: 3 } },
      { name: "br status --json (2,000 features)", result: run([BR, "status", "--json"]), aim: { ratio: 3 } },
      { name: "br features list --json (2,000 features)", result: run([BR, "features", "list", "--json"]) },
      {
        name: "br features add (into 2,000 features)",
        result: run([BR, "features", "add", "Bench probe"], () => writeFileSync(featuresFile, big)),
      },
    ];
    const title = `Start-up on Node.js ${NODE_VERSIONS[major]}: median of ${RUNS} runs (p90), peak RSS; ratio = median / node -e 0 median (same Node)`;
    printTable(title, rows, baseline.median);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startupBenchmark(): void {
  for (const major of Object.keys(NODE_VERSIONS).sort().reverse()) startupOn(major);
}
