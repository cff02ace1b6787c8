/**
 * Routing by outcome, end to end with the built br: a ladder that spans agent CLIs in br run, and
 * br model simulate / advise over outcome files and over the project's own ledger.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { project } from "./agent-project.ts";
import { br, brOk, git, tempDir } from "./helpers.ts";

interface Figures {
  solved: number;
  costPerTask: number;
  tasks: number;
}
interface Simulation {
  tasks: number;
  policy: Figures & { ladder: string[] };
  reference: Figures & { model: string };
  cheapestFirst: Figures & { ladder: string[] };
  oracle: Figures & { models: string[] };
}
interface Advice {
  tasks: number;
  reference: Figures & { model: string };
  recommended: Figures & { ladder: string[]; costRatio: number | null };
  note: string | null;
  confidence: { costBelowReference: number; costRatio90: [number, number] } | null;
  skipFirst: { kind: string; tasks: number; firstStepSolved: number; costPerTask: number; costPerTaskSkipping: number; skip: boolean }[];
  written: string[] | null;
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-4;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

function attempts(cwd: string) {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
  db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
  try {
    return (
      db.prepare("SELECT task_id, attempt, executor, model, tier, outcome, cost_usd, route_reason FROM attempts ORDER BY id").all() as {
        task_id: string;
        attempt: number;
        executor: string;
        model: string;
        tier: string;
        outcome: string;
        cost_usd: number;
        route_reason: string;
      }[]
    ).map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

/** A small outcomes table with figures simple enough to check by hand. */
const TABLE = [
  // t1: cheap solves it; t2: only strong; t3: nobody; t4: cheap only (strong fails).
  { task_id: "t1", model: "cheap", resolved: true, cost_usd: 0.1 },
  { task_id: "t1", model: "strong", resolved: true, cost_usd: 1 },
  { task_id: "t2", model: "cheap", resolved: false, cost_usd: 0.2 },
  { task_id: "t2", model: "strong", resolved: true, cost_usd: 1 },
  { task_id: "t3", model: "cheap", resolved: false, cost_usd: 0.1 },
  { task_id: "t3", model: "strong", resolved: false, cost_usd: 2 },
  { task_id: "t4", model: "cheap", resolved: true, cost_usd: 0.2 },
  { task_id: "t4", model: "strong", resolved: false, cost_usd: 1 },
];

function tableFile(lines: object[] | string): string {
  const file = join(tempDir("br-outcomes-"), "outcomes.jsonl");
  writeFileSync(file, typeof lines === "string" ? lines : `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return file;
}

describe("br model simulate and advise over an outcomes file", () => {
  it("replays the configured ladder and its comparisons; advise --write puts the cheapest safe ladder into config", () => {
    const p = project();
    brOk(["config", "set", "routing.ladder", "[cheap, strong]"], { cwd: p.cwd });
    const file = tableFile(TABLE);
    const sim = JSON.parse(brOk(["model", "simulate", "--outcomes", file, "--json"], { cwd: p.cwd }).stdout) as Simulation;
    // By hand: t1 0.1 solved; t2 0.2 + 1 solved; t3 0.1 + 2 unsolved; t4 0.2 solved → 3/4, 3.6/4.
    assert.equal(sim.tasks, 4);
    assert.deepEqual(sim.policy, { ladder: ["cheap", "strong"], solved: 0.75, costPerTask: 0.9, tasks: 4 });
    // strong alone: t1, t2 solved; 1 + 1 + 2 + 1 = 5.
    assert.deepEqual(sim.reference, { model: "strong", solved: 0.5, costPerTask: 1.25, tasks: 4 });
    assert.deepEqual(sim.cheapestFirst.ladder, ["cheap", "strong"]);
    // Oracle: t1 0.1, t2 1, t3 unsolved at the cheapest attempt 0.1, t4 0.2 → 1.4 / 4.
    assert.deepEqual(sim.oracle, { models: ["cheap", "strong"], solved: 0.75, costPerTask: 0.35, tasks: 4 });
    const text = brOk(["model", "simulate", "--outcomes", file], { cwd: p.cwd }).stdout;
    assert.match(text, /policy \(ladder\)\s+cheap → strong\s+75\.0%\s+\$0\.900\s+0\.72× the cost, \+25\.0 points solved/);

    // With run.maxAttempts 1 only the first step runs.
    brOk(["config", "set", "run.maxAttempts", "1"], { cwd: p.cwd });
    const once = JSON.parse(brOk(["model", "simulate", "--outcomes", file, "--json"], { cwd: p.cwd }).stdout) as Simulation;
    assert.deepEqual([once.policy.solved, once.policy.costPerTask], [0.5, 0.15]);
    brOk(["config", "set", "run.maxAttempts", "2"], { cwd: p.cwd });

    // Advise against strong: [strong] 1.25, [cheap, strong] 0.9 → the ladder, which also solves more.
    const advice = JSON.parse(
      brOk(["model", "advise", "--outcomes", file, "--reference", "strong", "--map", "cheap=cheap-model", "--write", "--json"], {
        cwd: p.cwd,
      }).stdout,
    ) as Advice;
    assert.deepEqual(advice.recommended.ladder, ["cheap", "strong"]);
    assert.ok(close(advice.recommended.costRatio ?? 0, 0.9 / 1.25));
    assert.ok(advice.confidence && advice.confidence.costBelowReference > 0.5);
    // Models no known agent CLI runs go through the command executor, not the run's Claude Code.
    assert.deepEqual(advice.written, ["command:cheap-model", "command:strong"]);
    const config = readFileSync(join(p.cwd, ".buildrunner", "config.yaml"), "utf8");
    assert.match(config, /ladder:\n\s+- \{ executor: command, model: cheap-model \}\n\s+- \{ executor: command, model: strong \}\n/);
    // The written ladder is what simulate replays next (joined back to the table by the same --map).
    const again = JSON.parse(
      brOk(["model", "simulate", "--outcomes", file, "--map", "cheap=cheap-model", "--json"], { cwd: p.cwd }).stdout,
    ) as Simulation;
    assert.deepEqual(again.policy.ladder, ["cheap", "strong"]);
    assert.equal(again.policy.costPerTask, 0.9);
  });

  it("bad outcome files, unknown models and missing options exit 2 naming the line, and change nothing", () => {
    const p = project();
    const configBefore = readFileSync(join(p.cwd, ".buildrunner", "config.yaml"), "utf8");
    const cases: [string, RegExp][] = [
      [`${JSON.stringify(TABLE[0])}\n{"task_id": "t2", "model": "cheap", "cost_usd": 1}\n`, /outcomes\.jsonl:2: missing "resolved"/],
      [`${JSON.stringify(TABLE[0])}\nnot json\n`, /outcomes\.jsonl:2: not JSON/],
      [`{"task_id": "t1", "resolved": true, "cost_usd": 1}\n`, /outcomes\.jsonl:1: missing "model" \(or "run"\)/],
      [`{"task_id": "t1", "model": "m", "resolved": true, "cost_usd": -1}\n`, /outcomes\.jsonl:1: "cost_usd" must be a number/],
      ["\n\n", /outcomes\.jsonl: no outcomes in it/],
      [
        `${JSON.stringify(TABLE[0])}\n${JSON.stringify(TABLE[0])}\n`,
        /outcomes\.jsonl:2: a second outcome for task t1 on model cheap \(the first is on line 1\)/,
      ],
    ];
    for (const [content, message] of cases) {
      const result = br(["model", "advise", "--outcomes", tableFile(content), "--reference", "cheap", "--write"], { cwd: p.cwd });
      assert.equal(result.code, 2, `${content}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
    }
    // The default ladder (claude-haiku-4-5, claude-opus-4-5) is not in this table: named, with the fix.
    const unknown = br(["model", "simulate", "--outcomes", tableFile(TABLE)], { cwd: p.cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /step 1 \(haiku\) names claude-haiku-4-5, which .*outcomes\.jsonl has no outcomes for/);
    assert.match(unknown.stderr, /--map <tableModel>=claude-haiku-4-5/);
    const badReference = br(["model", "advise", "--outcomes", tableFile(TABLE), "--reference", "gpt-9"], { cwd: p.cwd });
    assert.equal(badReference.code, 2);
    assert.match(badReference.stderr, /--reference names gpt-9/);
    assert.equal(br(["model", "simulate"], { cwd: p.cwd }).code, 2);
    assert.equal(br(["model", "simulate", "--outcomes", "a", "--from-ledger"], { cwd: p.cwd }).code, 2);
    // advise with nothing to advise on shows the shipped default and what it was chosen on.
    const shipped = JSON.parse(brOk(["model", "advise", "--json"], { cwd: p.cwd }).stdout) as { ladder: string[]; date: string };
    assert.deepEqual(shipped.ladder, ["haiku", "opus"]);
    assert.match(brOk(["model", "advise"], { cwd: p.cwd }).stdout, /shipped default ladder: haiku → opus .*76\.4% solved/s);
    const nothing = br(["model", "advise", "--write"], { cwd: p.cwd });
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /--write needs outcomes to advise on/);
    assert.equal(br(["model", "simulate", "--from-ledger"], { cwd: p.cwd }).code, 2, "no attempts yet");
    assert.equal(br(["model", "advise", "--outcomes", tableFile(TABLE), "--reference", "strong", "--steps", "9"], { cwd: p.cwd }).code, 2);
    assert.equal(readFileSync(join(p.cwd, ".buildrunner", "config.yaml"), "utf8"), configBefore);
  });
});

describe("a ladder that spans agent CLIs, and the ledger as an outcomes table", () => {
  it("br run climbs codex → claude; simulate and advise --from-ledger agree with the journal; skipFirstFor then routes a kind past step 1", () => {
    // The small model cannot do the core tasks; the tests tasks it can.
    const p = project("good", { FAKE_AGENT_WEAK_MODEL: "gpt-5-mini", FAKE_AGENT_HARD: "\\.core$" });
    brOk(["config", "set", "routing.ladder", "[{ executor: codex, model: gpt-5-mini }, { executor: claude, model: claude-opus-4-5 }]"], {
      cwd: p.cwd,
    });
    git(p.cwd, "commit", "-qam", "ladder");
    const run = br(["run", "--auto", "--max-tasks", "6"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const rows = attempts(p.cwd);
    assert.deepEqual(
      rows.slice(0, 3).map((r) => [r.task_id, r.attempt, r.executor, r.model, r.tier, r.outcome]),
      [
        ["greeting.core", 1, "codex", "gpt-5-mini", "step-1", "failed"],
        ["greeting.core", 2, "claude", "claude-opus-4-5", "step-2", "passed"],
        ["greeting.tests", 1, "codex", "gpt-5-mini", "step-1", "passed"],
      ],
    );
    assert.match(rows[0]?.route_reason ?? "", /step 1 of 2; policy ladder: every task starts on the first step; complexity \d+/);
    assert.match(rows[1]?.route_reason ?? "", /step 2 of 2: escalated from step-1 after 1 failed attempt/);

    // By hand from the journal: every task's attempts in order, paying each.
    const tasks = [...new Set(rows.map((r) => r.task_id))];
    const cost = (t: string) => rows.filter((r) => r.task_id === t).reduce((s, r) => s + r.cost_usd, 0);
    const opus = rows.filter((r) => r.model === "claude-opus-4-5");
    const sim = JSON.parse(brOk(["model", "simulate", "--from-ledger", "--json"], { cwd: p.cwd }).stdout) as Simulation;
    assert.equal(sim.tasks, 6);
    assert.equal(sim.policy.solved, 1);
    assert.ok(close(sim.policy.costPerTask, mean(tasks.map(cost))), `${sim.policy.costPerTask}`);
    // Opus's outcome is known only where it ran: the three core tasks.
    assert.equal(sim.reference.tasks, 3);
    assert.ok(close(sim.reference.costPerTask, mean(opus.map((r) => r.cost_usd))));
    assert.equal(sim.oracle.tasks, 3);
    assert.match(brOk(["model", "simulate", "--from-ledger"], { cwd: p.cwd }).stdout, /Each row counts only the tasks/);

    const advice = JSON.parse(brOk(["model", "advise", "--from-ledger", "--write", "--json"], { cwd: p.cwd }).stdout) as Advice;
    assert.deepEqual(advice.recommended.ladder, ["gpt-5-mini", "claude-opus-4-5"], "too sparse to compare: the current ladder stays");
    assert.match(advice.note ?? "", /claude-opus-4-5's outcome for 3 of 6 task\(s\)/);
    const core = advice.skipFirst.find((s) => s.kind === "core");
    const coreRows = rows.filter((r) => r.task_id.endsWith(".core"));
    assert.deepEqual([core?.tasks, core?.firstStepSolved, core?.skip], [3, 0, true]);
    assert.ok(close(core?.costPerTask ?? 0, mean(["greeting", "farewell", "weather-report"].map((f) => cost(`${f}.core`)))));
    assert.ok(close(core?.costPerTaskSkipping ?? 0, mean(coreRows.filter((r) => r.model === "claude-opus-4-5").map((r) => r.cost_usd))));
    const testsKind = advice.skipFirst.find((s) => s.kind === "tests");
    assert.deepEqual([testsKind?.firstStepSolved, testsKind?.skip], [3, false]);
    const written = readFileSync(join(p.cwd, ".buildrunner", "config.yaml"), "utf8");
    assert.match(written, /skipFirstFor: \[ core \]/);
    assert.match(written, /- executor: codex\n\s+model: gpt-5-mini/, "the ladder it could not judge is left as the user wrote it");
    assert.deepEqual(advice.written, []);

    git(p.cwd, "commit", "-qam", "advice");
    const next = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(next.code, 0, next.stdout + next.stderr);
    const last = attempts(p.cwd).at(-1);
    assert.deepEqual([last?.task_id, last?.attempt, last?.model, last?.outcome], ["joke-teller.core", 1, "claude-opus-4-5", "passed"]);
    assert.match(last?.route_reason ?? "", /core tasks skip the first step/);
  });
});
