/**
 * br against Taskmaster (task-master-ai), the most used peer for task lists: start-up
 * (`--version`) and listing 2,000 items as JSON, same Node, paired rounds, medians, peak RSS.
 * Taskmaster is not a dev dependency: its install runs install scripts (node-pty, protobufjs…)
 * and pulls about 900 packages (1.4 GB), which this project's rules refuse. Point
 * TASKMASTER_BIN at an installed `task-master` to include it (`npm i --prefix /tmp/tm task-master-ai`,
 * then TASKMASTER_BIN=/tmp/tm/node_modules/task-master-ai/dist/task-master.js); without it the
 * benchmark says it was skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { BR, record, summarise, type TimedRun, timedRun } from "./measure.ts";

const ITEMS = 2000;
const statuses = ["pending", "in-progress", "done", "deferred"];

function taskmasterTasks(): string {
  const tasks = Array.from({ length: ITEMS }, (_, i) => ({
    id: i + 1,
    title: `Feature ${i}: ${["billing", "search", "auth", "export", "reports"][i % 5]} improvements`,
    description: "Realistic description text of a task, one or two sentences long, as a plan would give it.",
    details: "Implementation notes.",
    testStrategy: "The happy path works end to end; errors are reported with a clear message.",
    status: statuses[i % statuses.length],
    priority: ["high", "medium", "low"][i % 3],
    dependencies: i > 0 ? [i] : [],
    subtasks: [],
  }));
  return JSON.stringify({ master: { tasks, metadata: { created: new Date().toISOString(), description: "bench" } } }, null, 2);
}

function brFeatures(): string {
  const now = new Date().toISOString();
  const features = Array.from({ length: ITEMS }, (_, i) => ({
    id: `feature-${i}`,
    name: `Feature ${i}: ${["billing", "search", "auth", "export", "reports"][i % 5]} improvements`,
    description: "Realistic description text of a feature, one or two sentences long, as a spec would give it.",
    status: ["planned", "in_progress", "complete", "blocked"][i % 4],
    priority: ["high", "medium", "low"][i % 3],
    dependsOn: i > 0 ? [`feature-${i - 1}`] : [],
    acceptance: ["The happy path works end to end", "Errors are reported with a clear message"],
    createdAt: now,
    updatedAt: now,
  }));
  return `${JSON.stringify({ schemaVersion: 1, project: "bench", features }, null, 2)}\n`;
}

function version(bin: string): string {
  const pkg = join(dirname(bin), "..", "package.json");
  return existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version : "unknown";
}

export function taskmasterBenchmark(): void {
  const bin = process.env.TASKMASTER_BIN;
  if (!bin || !existsSync(bin)) {
    console.log("\nbr vs Taskmaster: skipped (set TASKMASTER_BIN to an installed task-master; see bench/taskmaster.ts)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "br-taskmaster-bench-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: dir });
    spawnSync(process.execPath, [BR, "init", "bench"], { cwd: dir });
    writeFileSync(join(dir, ".buildrunner", "features.json"), brFeatures());
    mkdirSync(join(dir, ".taskmaster", "tasks"), { recursive: true });
    writeFileSync(join(dir, ".taskmaster", "tasks", "tasks.json"), taskmasterTasks());
    const rounds = Number(process.env.BENCH_RUNS ?? 15);
    const pairs: [string, string[], string[]][] = [
      ["--version", ["--version"], ["--version"]],
      [`list as JSON (${ITEMS} items)`, ["features", "list", "--json"], ["list", "--json", "--no-header"]],
    ];
    const figures: Record<string, unknown> = { taskmaster: version(resolve(bin)) };
    console.log(`\nbr vs Taskmaster ${figures.taskmaster} (same Node ${process.version}): medians of ${rounds} paired rounds`);
    for (const [label, brArgs, tmArgs] of pairs) {
      const brRuns: TimedRun[] = [];
      const tmRuns: TimedRun[] = [];
      for (let i = 0; i < rounds; i++) {
        brRuns.push(timedRun(process.execPath, [BR, ...brArgs], dir));
        tmRuns.push(timedRun(process.execPath, [bin, ...tmArgs], dir));
      }
      const [br, tm] = [summarise(brRuns), summarise(tmRuns)];
      console.log(
        `  ${label.padEnd(28)} br ${br.ms.toFixed(0).padStart(6)} ms ${br.rssMb.toFixed(0).padStart(4)} MB · task-master ${tm.ms.toFixed(0).padStart(6)} ms ${tm.rssMb.toFixed(0).padStart(4)} MB · br ${(tm.ms / br.ms).toFixed(1)}x faster`,
      );
      figures[label] = { br, taskmaster: tm, ratio: Number((tm.ms / br.ms).toFixed(1)) };
    }
    record("taskmaster", figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) taskmasterBenchmark();
