import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportHtml, reportMarkdown } from "../../src/telemetry/render.ts";
import { type Report, reasonClass } from "../../src/telemetry/report.ts";

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
