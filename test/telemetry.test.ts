/**
 * br telemetry, end to end with the built br: what a real run records, that planted secrets and
 * private paths never reach the store, the switches, and the feature thresholds.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { project } from "./agent-project.ts";
import { br, brOk, git, tempRepo } from "./helpers.ts";

/** Telemetry on: the suite's default environment turns it off. */
const ON = { BR_TELEMETRY_DISABLED: undefined, DO_NOT_TRACK: undefined };

interface Event {
  kind: string;
  schema: number;
  data: Record<string, unknown>;
}

function storedRows(cwd: string): string[] {
  const file = join(cwd, ".buildrunner", "state", "state.db");
  if (!existsSync(file)) return [];
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare("SELECT kind, data FROM telemetry ORDER BY id").all() as { kind: string; data: string }[]).map(
      (r) => `${r.kind} ${r.data}`,
    );
  } finally {
    db.close();
  }
}

const events = (cwd: string) =>
  (JSON.parse(brOk(["telemetry", "events", "--json"], { cwd, env: ON }).stdout) as { events: Event[] }).events;

const SECRET = `sk-ant-api03-${"Zq7x".repeat(23)}Q${"AA"}`;
const PRIVATE = "/home/alice-private/clients/acme-payroll.txt";

describe("br telemetry", () => {
  it("a full br run with secrets and private paths planted records what happened and none of them", () => {
    const p = project("fail-first", { FAKE_AGENT_LEAK: SECRET });
    const env = { ...p.env, ...ON };
    appendFileSync(
      join(p.cwd, "PROJECT_SPEC.md"),
      `\n### Payroll export\nExport ${PRIVATE} with the key ${SECRET}.\nAcceptance criteria:\n- reads ${PRIVATE}\n`,
    );
    brOk(["spec", "sync"], { cwd: p.cwd, env });
    brOk(["features", "add", "Secret sauce", "--description", `uses ${SECRET} from ${PRIVATE}`], { cwd: p.cwd, env });
    git(p.cwd, "add", "-A");
    git(p.cwd, "commit", "-qm", "more features");
    const run = br(["run", "--auto", "--max-tasks", "2"], { cwd: p.cwd, env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    br(["security", "check"], { cwd: p.cwd, env });
    assert.equal(br(["features", "show", PRIVATE], { cwd: p.cwd, env }).code, 2);
    brOk(["telemetry", "status"], { cwd: p.cwd, env });

    const stored = storedRows(p.cwd).join("\n");
    for (const planted of [SECRET, SECRET.slice(0, 20), "alice", "acme-payroll", "Payroll", "Secret sauce", p.cwd])
      assert.ok(!stored.includes(planted), `${planted} is not in the store`);
    const all = events(p.cwd);
    assert.ok(all.every((e) => e.schema === 1));
    const finished = all.filter((e) => e.kind === "task.finished");
    assert.deepEqual(
      finished.map((e) => [e.data.kind, e.data.tier, e.data.model, e.data.attempts, e.data.outcome]),
      [
        ["core", "opus", "claude-opus-4-5", 2, "done"],
        ["tests", "opus", "claude-opus-4-5", 2, "done"],
      ],
    );
    assert.ok(finished.every((e) => typeof e.data.costUsd === "number" && (e.data.durationMs as number) > 0));
    const commands = all.filter((e) => e.kind === "command.run").map((e) => e.data.command);
    for (const name of ["spec sync", "features add", "run", "security check", "features show"]) assert.ok(commands.includes(name), name);
    assert.deepEqual(
      all.filter((e) => e.kind === "error").map((e) => e.data),
      [{ class: "usage", exitCode: 2 }],
    );
    const findings = all.filter((e) => e.kind === "security.findings");
    assert.ok(findings.length > 0 && findings.every((e) => Object.keys(e.data).join() === "rule,count"));
    // What the text and JSON outputs show is the store's content: nothing planted there either.
    const shown =
      brOk(["telemetry", "events"], { cwd: p.cwd, env }).stdout + brOk(["telemetry", "events", "--json"], { cwd: p.cwd, env }).stdout;
    assert.ok(!shown.includes(SECRET) && !shown.includes("alice"));

    // The report, in each format: the same figures as the events, and nothing planted.
    const report = JSON.parse(brOk(["telemetry", "report", "--format", "json"], { cwd: p.cwd, env }).stdout) as {
      days: { done: number; failed: number; costUsd: number; costPerDone: number }[];
      firstAttempt: { byStep: { name: string; tasks: number; firstAttempt: number }[]; byKind: { name: string; tasks: number }[] };
      timeToDoneMs: { tasks: number; p50: number };
      rejections: { reason: string; count: number }[];
    };
    const cost = finished.reduce((sum, e) => sum + (e.data.costUsd as number), 0);
    assert.deepEqual([report.days.length, report.days[0]?.done, report.days[0]?.failed], [1, 2, 0]);
    assert.ok(Math.abs((report.days[0]?.costPerDone ?? 0) - cost / 2) < 1e-5);
    assert.deepEqual(report.firstAttempt.byStep, [{ name: "opus", tasks: 2, firstAttempt: 0, rate: 0 }]);
    assert.deepEqual(
      report.firstAttempt.byKind.map((k) => [k.name, k.tasks]),
      [
        ["core", 1],
        ["tests", 1],
      ],
    );
    assert.equal(report.timeToDoneMs.tasks, 2);
    // Two rejected first attempts (the fake agent is lazy once per task), counted by class.
    assert.equal(
      report.rejections.reduce((n, r) => n + r.count, 0),
      2,
    );
    assert.ok(
      report.rejections.every((r) => /^[a-z0-9][a-z0-9 ._:-]*$/.test(r.reason)),
      JSON.stringify(report.rejections),
    );
    const html = join(p.cwd, "report.html");
    brOk(["telemetry", "report", "--format", "html", "--output", html], { cwd: p.cwd, env });
    const page = readFileSync(html, "utf8");
    assert.match(page, /<svg role="img" aria-label="Tasks done per day"/);
    assert.doesNotMatch(page, /<script|src=|href=|https?:/, "one self-contained page");
    const md = brOk(["telemetry", "report"], { cwd: p.cwd, env }).stdout;
    assert.match(
      md,
      /## First-attempt pass rate by step\n\| step \| tasks \| first attempt \| rate \|\n\| --- \| --- \| --- \| --- \|\n\| opus \| 2 \| 0 \| 0\.0% \|/,
    );
    for (const text of [page, md, JSON.stringify(report)])
      for (const planted of [SECRET, "alice", "acme-payroll"]) assert.ok(!text.includes(planted), planted);
    assert.equal(br(["telemetry", "report", "--format", "pdf"], { cwd: p.cwd, env }).code, 2);
  });

  it("DO_NOT_TRACK=1 or BR_TELEMETRY_DISABLED=1: a full run records nothing, and status says which switch", () => {
    for (const [name, value] of [
      ["DO_NOT_TRACK", "1"],
      ["BR_TELEMETRY_DISABLED", "1"],
    ] as const) {
      const p = project("good");
      const env = { ...p.env, ...ON, [name]: value };
      assert.equal(br(["run", "--auto", "--max-tasks", "2"], { cwd: p.cwd, env }).code, 0);
      brOk(["features", "add", "More"], { cwd: p.cwd, env });
      assert.deepEqual(storedRows(p.cwd), [], `${name}: nothing recorded`);
      const status = JSON.parse(brOk(["telemetry", "status", "--json"], { cwd: p.cwd, env }).stdout) as {
        enabled: boolean;
        disabledBy: string;
        events: number;
      };
      assert.deepEqual([status.enabled, status.disabledBy, status.events], [false, name, 0]);
      assert.match(brOk(["telemetry", "status"], { cwd: p.cwd, env }).stdout, new RegExp(`off, by ${name}: nothing is recorded`));
    }
  });

  it("disable records nothing from then on (--purge deletes what was kept); enable records again; bad input exits 2", () => {
    const cwd = tempRepo();
    brOk(["init", "switches"], { cwd, env: ON });
    brOk(["features", "add", "One"], { cwd, env: ON });
    const before = storedRows(cwd).length;
    assert.ok(before >= 2);
    const off = JSON.parse(brOk(["telemetry", "disable", "--json"], { cwd, env: ON }).stdout) as { enabled: boolean; disabledBy: string };
    assert.deepEqual([off.enabled, off.disabledBy], [false, "config.yaml (telemetry.enabled: false)"]);
    brOk(["features", "add", "Two"], { cwd, env: ON });
    brOk(["telemetry", "status"], { cwd, env: ON });
    assert.equal(storedRows(cwd).length, before, "nothing recorded while off, the disable command included");
    assert.match(brOk(["telemetry", "disable", "--purge"], { cwd, env: ON }).stdout, new RegExp(`${before} stored event\\(s\\) deleted`));
    assert.equal(storedRows(cwd).length, 0);
    brOk(["telemetry", "enable"], { cwd, env: ON });
    brOk(["features", "add", "Three"], { cwd, env: ON });
    assert.ok(storedRows(cwd).some((r) => r.includes('"command":"features add"')));
    const masked = br(["telemetry", "enable"], { cwd, env: { ...ON, DO_NOT_TRACK: "1" } });
    assert.match(masked.stdout, /DO_NOT_TRACK keeps it off/);
    const bad = br(["telemetry", "events", "--since", "last week"], { cwd, env: ON });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since last week: not a date or a duration/);
  });

  it("a 500-feature project crosses 30, 100 and 500 with exactly one alert each", () => {
    const cwd = tempRepo();
    brOk(["init", "big"], { cwd, env: ON });
    const spec = (n: number) =>
      `# Big\n\n## Features\n${Array.from({ length: n }, (_, i) => `\n### Feature ${i + 1}\nDoes thing ${i + 1}.\n`).join("")}`;
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec(29));
    assert.doesNotMatch(brOk(["spec", "sync"], { cwd, env: ON }).stderr, /has reached/);
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec(500));
    const crossing = brOk(["spec", "sync"], { cwd, env: ON });
    assert.deepEqual(
      [...crossing.stderr.matchAll(/has reached (\d+) features/g)].map((m) => m[1]),
      ["30", "100", "500"],
    );
    assert.doesNotMatch(brOk(["spec", "sync"], { cwd, env: ON }).stderr, /has reached/);
    assert.doesNotMatch(brOk(["features", "add", "One more"], { cwd, env: ON }).stderr, /has reached/);
    assert.deepEqual(
      events(cwd)
        .filter((e) => e.kind === "threshold.reached")
        .map((e) => e.data.features),
      [30, 100, 500],
    );
  });
});
