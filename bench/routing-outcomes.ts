/**
 * Routing policies replayed over real outcomes: ../shared/eval/routing's SWE-bench Verified dev
 * tasks, each attempted by every model run with the same agent (mini-swe-agent 2.0.0). Prints the
 * issue's table for br's routing before ladders (the complexity score, 3 tiers) and for today's
 * default ladder, then the shipped commands' own check: `br model advise --write` on one half of the
 * tasks, `br model simulate` of what it wrote on the other half, against always using Opus.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { configSchema } from "../src/infra/config.ts";
import { seededRandom } from "../src/infra/random.ts";
import { advise } from "../src/routing/advise.ts";
import { type OutcomeTable, parseOutcomes } from "../src/routing/outcomes.ts";
import { tablePolicy } from "../src/routing/policy.ts";
import { type Figures, oracle, simulateLadder, simulatePolicy } from "../src/routing/simulate.ts";

const DIR = resolve(import.meta.dirname, "..", "..", "shared", "eval", "routing");
const OUTCOMES = join(DIR, "outcomes-swebench-verified-dev.jsonl");
const TEXTS = join(DIR, "swebench-verified-dev.jsonl");
const SCAFFOLD = "mini-swe-agent 2.0.0";
const BR = resolve(import.meta.dirname, "..", "bin", "br.js");
const [HAIKU, SONNET, OPUS] = ["claude-4-5-haiku-high", "claude-4-5-sonnet-high", "claude-4-5-opus-high"];
const SPLITS = 20;
const CLI_SPLITS = 4;

const pct = (f: Figures) => `${(100 * f.solved).toFixed(1)}%`.padStart(7);
const usd = (f: Figures) => `$${f.costPerTask.toFixed(3)}`.padStart(8);

function row(name: string, f: Figures, reference: Figures): string {
  return `    ${name.padEnd(52)}${pct(f)}${usd(f)}   ${(f.costPerTask / reference.costPerTask).toFixed(2)}x`;
}

/** A seeded shuffle, so the splits are the same on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function policyTable(table: OutcomeTable): void {
  const always = simulateLadder(table, [OPUS]);
  const scoreConfig = configSchema.parse({ routing: { policy: "score" } });
  const before = simulatePolicy(table, tablePolicy(scoreConfig, table, new Map()));
  const now = simulatePolicy(table, tablePolicy(configSchema.parse({}), table, new Map()));
  const started = performance.now();
  const advice = advise(table, { reference: OPUS, maxSteps: 2 });
  const adviseMs = performance.now() - started;
  console.log(`  ${table.tasks.length} tasks × ${table.models.length} models (${SCAFFOLD}); cost ratio against always Opus:`);
  console.log(row("always Opus", always, always));
  console.log(row("always Sonnet", simulateLadder(table, [SONNET]), always));
  console.log(row("before ladders: score 30/60 picks the tier, escalate", before, always));
  console.log(row("default ladder now: Haiku, then Opus", now, always));
  console.log(row("Haiku, then Sonnet, then Opus", simulateLadder(table, [HAIKU, SONNET, OPUS]), always));
  console.log(row("oracle over the 3 Claude models", oracle(table, [HAIKU, SONNET, OPUS]), always));
  console.log(row(`advise (all ${table.models.length} models): ${advice.recommended.ladder.join(", then ")}`, advice.recommended, always));
  console.log(
    `  default ladder against the score policy: ${(now.costPerTask / before.costPerTask).toFixed(2)}x the cost, ${(100 * (now.solved - before.solved)).toFixed(1)} points solved; advise took ${adviseMs.toFixed(0)} ms`,
  );
}

/** advise on one half, simulate the other: the figures unseen data would give. */
function heldOut(table: OutcomeTable): void {
  let met = 0;
  const ratios: number[] = [];
  for (let seed = 1; seed <= SPLITS; seed++) {
    const tasks = shuffled(table.tasks, seed);
    const [train, test] = [tasks.slice(0, tasks.length / 2), tasks.slice(tasks.length / 2)];
    const advice = advise(subTable(table, train), { reference: OPUS, maxSteps: 2 });
    const mine = simulateLadder(table, advice.recommended.ladder, test);
    const opus = simulateLadder(table, [OPUS], test);
    ratios.push(mine.costPerTask / opus.costPerTask);
    if (mine.solved >= opus.solved && mine.costPerTask <= 0.55 * opus.costPerTask) met++;
  }
  console.log(
    `  held out (advise on a random half, simulate the other, ${SPLITS} splits): solves ≥ Opus at ≤ 55% of its cost in ${met}/${SPLITS}; cost ratio mean ${(ratios.reduce((s, r) => s + r, 0) / SPLITS).toFixed(2)}, worst ${Math.max(...ratios).toFixed(2)}`,
  );
}

function subTable(table: OutcomeTable, tasks: readonly string[]): OutcomeTable {
  return { ...table, tasks: [...tasks], outcomes: new Map(tasks.map((t) => [t, table.outcomes.get(t) ?? new Map()])) };
}

/** The same check through the built br, as a user runs it: advise --write on half A, simulate on half B. */
function throughTheCli(lines: string[]): void {
  const byTask = new Map<string, string[]>();
  for (const line of lines) {
    const id = (JSON.parse(line) as { task_id: string }).task_id;
    byTask.set(id, [...(byTask.get(id) ?? []), line]);
  }
  const results: string[] = [];
  for (let seed = 1; seed <= CLI_SPLITS; seed++) {
    const dir = mkdtempSync(join(tmpdir(), "br-route-bench-"));
    try {
      const tasks = shuffled([...byTask.keys()], seed);
      const half = (part: string[]) => part.flatMap((t) => byTask.get(t) ?? []).join("\n");
      writeFileSync(join(dir, "a.jsonl"), half(tasks.slice(0, tasks.length / 2)));
      writeFileSync(join(dir, "b.jsonl"), half(tasks.slice(tasks.length / 2)));
      br(["init", "bench"], dir);
      br(["model", "advise", "--outcomes", "a.jsonl", "--reference", OPUS, "--write", "--json"], dir);
      const sim = JSON.parse(br(["model", "simulate", "--outcomes", "b.jsonl", "--reference", OPUS, "--json"], dir)) as {
        policy: Figures & { ladder: string[] };
        reference: Figures;
      };
      results.push(
        `${sim.policy.ladder.join("→")} ${pct(sim.policy).trim()} vs ${pct(sim.reference).trim()} at ${(sim.policy.costPerTask / sim.reference.costPerTask).toFixed(2)}x`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`  br model advise --write (half A) then br model simulate (half B), ${CLI_SPLITS} splits:`);
  for (const r of results) console.log(`    ${r}`);
}

function br(args: string[], cwd: string): string {
  const run = spawnSync(process.execPath, [BR, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`br ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

export function routingOutcomesBenchmark(): void {
  if (!existsSync(OUTCOMES)) {
    console.log(`\nRouting by outcome: ${OUTCOMES} not found, skipped`);
    return;
  }
  console.log("\nRouting by outcome: policies replayed over SWE-bench Verified outcomes");
  const lines = readFileSync(OUTCOMES, "utf8")
    .split("\n")
    .filter((l) => l.includes(`"scaffold":"${SCAFFOLD}"`));
  const table = parseOutcomes(lines.join("\n"), OUTCOMES);
  for (const line of readFileSync(TEXTS, "utf8").split("\n").filter(Boolean)) {
    const { id, text } = JSON.parse(line) as { id: string; text: string };
    table.texts.set(id, text);
  }
  policyTable(table);
  heldOut(table);
  throughTheCli(lines);
}

if (import.meta.main) routingOutcomesBenchmark();
