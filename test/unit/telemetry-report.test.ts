import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { openStateDb } from "../../src/infra/state-db.ts";
import { reportHtml, reportMarkdown } from "../../src/telemetry/render.ts";
import { buildReport, type Report, reasonClass } from "../../src/telemetry/report.ts";
import type { TelemetryEvent } from "../../src/telemetry/store.ts";
import { tempDir } from "../helpers.ts";

const REPORT: Report = {
  schema: 1,
  generatedAt: "2026-12-03T08:00:00.000Z",
  days: [
    { day: "2026-12-01", done: 3, failed: 1, costUsd: 0.9, costPerDone: 0.3 },
    { day: "2026-12-02", done: 0, failed: 2, costUsd: 0.4, costPerDone: null },
  ],
  firstAttempt: {
    byStep: [{ name: "haiku", tasks: 4, firstAttempt: 3, rate: 0.75 }],
    byKind: [{ name: "core<x>", tasks: 2, firstAttempt: 1, rate: 0.5 }],
  },
  timeToDoneMs: { p50: 1500, p90: 4000, tasks: 3 },
  rejections: [{ reason: "tests failed", count: 2 }],
  gates: [{ gate: "coverage", points: [{ at: "2026-12-01T00:00:00Z", value: 81.5, passed: true }] }],
};

describe("telemetry report", () => {
  it("rejection reasons are counted by class, never by their text", () => {
    assert.equal(reasonClass("tests failed: 2 of 5 (see log)"), "tests failed");
    assert.equal(reasonClass("Security: aws-access-token in src/a.ts"), "security");
    assert.equal(reasonClass("/home/alice/x.ts changed outside the task"), "other");
    assert.equal(reasonClass("the key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA leaked"), "other");
    assert.equal(reasonClass(null), "other");
    assert.equal(reasonClass(""), "other");
  });

  it("Markdown: one table per figure, a dash for a day with nothing done", () => {
    const md = reportMarkdown(REPORT);
    assert.match(md, /\| 2026-12-01 \| 3 \| 1 \| \$0\.9000 \| \$0\.3000 \|/);
    assert.match(md, /\| 2026-12-02 \| 0 \| 2 \| \$0\.4000 \| – \|/);
    assert.match(md, /\| haiku \| 4 \| 3 \| 75\.0% \|/);
    assert.match(md, /p50 1\.5 s, p90 4\.0 s over 3 task\(s\)/);
    assert.match(md, /\| coverage \| 1 \| 81\.5 \| yes \|/);
    assert.match(reportMarkdown({ ...REPORT, days: [], rejections: [] }), /## Tasks per day\n_No data yet\._/);
  });

  it("HTML: one page, a chart per figure, bars scaled to the largest, text escaped, no scripts or requests", () => {
    const html = reportHtml(REPORT);
    assert.equal((html.match(/<svg /g) ?? []).length, 7);
    assert.match(html, /core&#60;x&#62;/);
    assert.doesNotMatch(html, /core<x>/);
    assert.match(html, /<rect class="bar" x="170" y="5" width="360\.0"/, "the largest bar is full width");
    assert.doesNotMatch(html, /<script|src=|href=/);
    assert.match(reportHtml({ ...REPORT, rejections: [] }), /Commonest rejection reasons<\/h2><p>No data yet\.<\/p>/);
  });

  it("HTML: a gate's checks are marks, passed or failed, on no shared scale; long labels are cut with the whole one kept", () => {
    const gates = [
      {
        gate: "coverage",
        points: [
          { at: "2026-12-01T10:00:00Z", value: 70, passed: false },
          { at: "2026-12-02T10:00:00Z", value: 81.5, passed: true },
        ],
      },
    ];
    const reason = "the executor reported success but changed nothing";
    const html = reportHtml({ ...REPORT, gates, rejections: [{ reason, count: 2 }] });
    assert.match(
      html,
      /<rect class="check fail" x="170" [^>]*><title>2026-12-01 10:00: 70, failed<\/title><\/rect><rect class="check pass" x="182"/,
    );
    assert.match(html, /last 81\.5, passed \(2 check\(s\)\)/);
    assert.match(html, new RegExp(`<title>${reason}</title>the executor reported suc…</text>`));
  });
});

let nextId = 1;
const ev = (at: string, kind: string, data: Record<string, unknown>) => ({ id: nextId++, at, kind, schema: 1, data }) as TelemetryEvent;
const task = (at: string, data: Record<string, unknown>) =>
  ev(at, "task.finished", { kind: "core", tier: "haiku", attempts: 1, outcome: "done", costUsd: 0, durationMs: 0, ...data });

/** A project whose run journal holds these failed attempts' reasons. */
function journal(reasons: (string | null)[]) {
  const paths = projectPaths(tempDir("br-report-"));
  const db = openStateDb(paths);
  db.prepare("INSERT INTO runs (id, started_at, pid, host, executor) VALUES (1, '2026-12-01', 1, 'h', 'claude')").run();
  const insert = db.prepare(
    "INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, started_at, outcome, reason) VALUES (1, 't', 'f', 1, 'claude', '2026-12-01', ?, ?)",
  );
  for (const reason of reasons) insert.run("failed", reason);
  insert.run("done", "tests failed: not counted, the attempt passed");
  db.close();
  return paths;
}

describe("buildReport", () => {
  it("figures per day, pass rates by step and kind, time to done and gate trends, from the events", () => {
    const events = [
      task("2026-12-02T09:00:00Z", { costUsd: 0.3, durationMs: 4000, attempts: 2, tier: "opus" }),
      task("2026-12-01T09:00:00Z", { costUsd: 0.1, durationMs: 1000 }),
      task("2026-12-01T10:00:00Z", { costUsd: 0.2, durationMs: 3000, kind: "tests" }),
      task("2026-12-01T11:00:00Z", { costUsd: 0.05, outcome: "failed", attempts: 3 }),
      task("2026-12-01T12:00:00Z", { costUsd: 0.01, outcome: "stopped" }),
      task("2026-12-02T10:00:00Z", { costUsd: 0.2, durationMs: 2000 }),
      ev("2026-12-01T13:00:00Z", "gate.result", { gate: "lint", passed: true, value: 0 }),
      ev("2026-12-02T13:00:00Z", "gate.result", { gate: "lint", passed: false, value: 4 }),
      ev("2026-12-02T13:00:00Z", "gate.result", { gate: "coverage", passed: true, value: 81.5 }),
      ev("2026-12-02T14:00:00Z", "command.run", { command: "status", durationMs: 3, exitCode: 0 }),
    ];
    const report = buildReport(journal([]), events, new Date("2026-12-03T00:00:00Z"));
    assert.equal(report.generatedAt, "2026-12-03T00:00:00.000Z");
    assert.deepEqual(report.days, [
      { day: "2026-12-01", done: 2, failed: 1, costUsd: 0.36, costPerDone: 0.18 },
      { day: "2026-12-02", done: 2, failed: 0, costUsd: 0.5, costPerDone: 0.25 },
    ]);
    assert.deepEqual(report.firstAttempt.byStep, [
      { name: "haiku", tasks: 4, firstAttempt: 3, rate: 0.75 },
      { name: "opus", tasks: 1, firstAttempt: 0, rate: 0 },
    ]);
    assert.deepEqual(report.firstAttempt.byKind, [
      { name: "core", tasks: 4, firstAttempt: 2, rate: 0.5 },
      { name: "tests", tasks: 1, firstAttempt: 1, rate: 1 },
    ]);
    assert.deepEqual(report.timeToDoneMs, { p50: 2000, p90: 4000, tasks: 4 });
    assert.deepEqual(report.gates, [
      { gate: "coverage", points: [{ at: "2026-12-02T13:00:00Z", value: 81.5, passed: true }] },
      {
        gate: "lint",
        points: [
          { at: "2026-12-01T13:00:00Z", value: 0, passed: true },
          { at: "2026-12-02T13:00:00Z", value: 4, passed: false },
        ],
      },
    ]);
    assert.deepEqual(report.rejections, []);
  });

  it("an empty record gives zeros, not errors; a day with nothing done has no cost per done task", () => {
    const report = buildReport(projectPaths(tempDir("br-report-")), []);
    assert.deepEqual([report.days, report.timeToDoneMs, report.rejections, report.gates], [[], { p50: 0, p90: 0, tasks: 0 }, [], []]);
    const failedOnly = buildReport(journal([]), [task("2026-12-01T09:00:00Z", { outcome: "failed", costUsd: 0.4 })]);
    assert.deepEqual(failedOnly.days, [{ day: "2026-12-01", done: 0, failed: 1, costUsd: 0.4, costPerDone: null }]);
    assert.deepEqual(failedOnly.firstAttempt.byStep, [{ name: "haiku", tasks: 1, firstAttempt: 0, rate: 0 }]);
    const odd = buildReport(journal([]), [ev("2026-12-01T09:00:00Z", "task.finished", { outcome: "done", attempts: 1 })]);
    assert.deepEqual(odd.firstAttempt.byKind, [{ name: "unknown", tasks: 1, firstAttempt: 1, rate: 1 }]);
    assert.deepEqual(odd.days[0]?.costUsd, 0);
  });

  it("p50 and p90 are nearest-rank percentiles of the done tasks' durations", () => {
    const durations = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10];
    const report = buildReport(
      journal([]),
      durations.map((d) => task("2026-12-01T09:00:00Z", { durationMs: d * 1000 })),
    );
    assert.deepEqual(report.timeToDoneMs, { p50: 5000, p90: 9000, tasks: 10 });
    const one = buildReport(journal([]), [task("2026-12-01T09:00:00Z", { durationMs: 700 })]);
    assert.deepEqual(one.timeToDoneMs, { p50: 700, p90: 700, tasks: 1 });
  });

  it("rejections: failed attempts counted by class, commonest first, ties by name, at most ten", () => {
    const reasons = [
      "tests failed: 1 of 3",
      "tests failed: 2 of 3",
      "security: a key",
      "/home/alice/x.ts changed",
      null,
      "scope: out of bounds",
      "scope: again",
      ...Array.from({ length: 10 }, (_, i) => `class${String.fromCharCode(97 + i)}: x`),
    ];
    const report = buildReport(journal(reasons), []);
    assert.deepEqual(report.rejections.slice(0, 4), [
      { reason: "other", count: 2 },
      { reason: "scope", count: 2 },
      { reason: "tests failed", count: 2 },
      { reason: "classa", count: 1 },
    ]);
    assert.equal(report.rejections.length, 10);
  });
});
