/**
 * Planning benchmark: `br spec sync` and `br tasks generate` on a 1,000-feature spec, and
 * `br tasks next` on a 20,000-task plan (aim: under a second each), with peak memory.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BR, measure, once, printTable, type Row, record } from "./measure.ts";

const AREAS = ["billing", "search", "accounts", "reports", "notifications", "inventory", "checkout", "admin"];
const DESCRIPTIONS = [
  "Store the records in database tables with validation.",
  "Expose REST endpoints for it, with input validation.",
  "A dashboard page with a form and a table.",
  "Send an email through the provider's webhook integration.",
  "Add a command-line subcommand with flags.",
];

/** A spec of `size` features; each depends on up to two earlier ones, as real plans branch and join. */
export function spec(size: number): string {
  const lines = ["# Bench shop", "", "## Overview", "A large generated spec.", "", "## Features"];
  for (let i = 0; i < size; i++) {
    const deps = [i - 1, i - 7].filter((d) => d >= 0 && (i + d) % 3 !== 0).map((d) => `Feature ${d} ${AREAS[d % AREAS.length]}`);
    lines.push("", `### Feature ${i} ${AREAS[i % AREAS.length]}`, `Priority: ${["critical", "high", "medium", "low"][i % 4]}`);
    if (deps.length) lines.push(`Depends on: ${deps.join(", ")}`);
    lines.push(
      DESCRIPTIONS[i % DESCRIPTIONS.length] as string,
      "Acceptance criteria:",
      "- The happy path works",
      "- Errors are reported clearly",
    );
    if (i % 2 === 0) lines.push("- It is covered by tests");
  }
  return `${lines.join("\n")}\n`;
}

/** A 20,000-task plan: 4,000 features of 5 chained tasks, each feature after an earlier one. */
function bigPlan(): string {
  const tasks = [];
  for (let f = 0; f < 4000; f++) {
    for (let k = 0; k < 5; k++) {
      const id = `f${f}.t${k}`;
      const dependsOn = k > 0 ? [`f${f}.t${k - 1}`] : f > 0 ? [`f${Math.floor(f / 2)}.t4`] : [];
      const done = f < 1000;
      tasks.push({
        id,
        featureId: `f${f}`,
        title: `Task ${k} of feature ${f}`,
        description: "Generated for the benchmark.",
        status: done ? "done" : f === 1000 && k === 0 ? "ready" : "pending",
        dependsOn,
        priority: ["critical", "high", "medium", "low"][f % 4],
        complexity: "moderate",
        estimateMinutes: 60 + k * 10,
        files: [],
        acceptance: ["It works"],
      });
    }
  }
  return `${JSON.stringify({ schemaVersion: 1, tasks }, null, 2)}\n`;
}

export function planBenchmark(): void {
  const dir = mkdtempSync(join(tmpdir(), "br-bench-plan-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: dir });
    once([BR, "init", "bench"], dir);
    writeFileSync(join(dir, "PROJECT_SPEC.md"), spec(1000));
    const featuresFile = join(dir, ".buildrunner", "features.json");
    const emptyRegistry = join(dir, "empty-features.json");
    copyFileSync(featuresFile, emptyRegistry);
    const tasksFile = join(dir, ".buildrunner", "tasks.json");
    const rows: Row[] = [
      {
        name: "br spec sync (1,000 features, fresh)",
        result: measure([BR, "spec", "sync"], dir, () => copyFileSync(emptyRegistry, featuresFile)),
        aim: { ms: 1000 },
      },
    ];
    once([BR, "spec", "sync"], dir);
    rows.push({
      name: "br tasks generate (1,000 features)",
      result: measure([BR, "tasks", "generate"], dir, () => writeFileSync(tasksFile, '{ "schemaVersion": 1, "tasks": [] }\n')),
      aim: { ms: 1000 },
    });
    const plan = bigPlan();
    writeFileSync(tasksFile, plan);
    rows.push({ name: "br tasks next (20,000 tasks)", result: measure([BR, "tasks", "next", "--json"], dir), aim: { ms: 1000 } });
    printTable("Planning: median of runs (p90), peak RSS", rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const scale = [1_000, 10_000, 20_000].flatMap(scaleRows);
  printTable("Planning at scale: linear in features when 10k and 20k cost 10x and 20x of 1k", scale);
  record(
    "planScale",
    Object.fromEntries(scale.map((r) => [r.name, { medianMs: Math.round(r.result.median), peakMb: Math.round(r.result.maxRssMb) }])),
  );
}

/** `spec sync` (into an empty registry) and `tasks generate` (into an empty plan) on a spec of `size` features. */
function scaleRows(size: number): Row[] {
  const dir = mkdtempSync(join(tmpdir(), "br-bench-plan-scale-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: dir });
    once([BR, "init", "bench"], dir);
    writeFileSync(join(dir, "PROJECT_SPEC.md"), spec(size));
    const featuresFile = join(dir, ".buildrunner", "features.json");
    const emptyRegistry = join(dir, "empty-features.json");
    copyFileSync(featuresFile, emptyRegistry);
    const tasksFile = join(dir, ".buildrunner", "tasks.json");
    const label = size.toLocaleString("en");
    const sync = measure([BR, "spec", "sync"], dir, () => copyFileSync(emptyRegistry, featuresFile));
    once([BR, "spec", "sync"], dir);
    const generate = measure([BR, "tasks", "generate"], dir, () => writeFileSync(tasksFile, '{ "schemaVersion": 1, "tasks": [] }\n'));
    return [
      { name: `br spec sync (${label} features)`, result: sync, ...(size === 10_000 ? { aim: { ms: 1500 } } : {}) },
      { name: `br tasks generate (${label} features)`, result: generate, ...(size === 20_000 ? { aim: { ms: 3000 } } : {}) },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
