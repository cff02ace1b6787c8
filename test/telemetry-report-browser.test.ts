/**
 * `br telemetry report --format html` in a real browser (Debian's Chromium driven by
 * playwright-core), after a real `br run` with fake agents and the gates: the page loads with no
 * request beyond itself and no error, and every chart draws one visible bar per figure of the
 * JSON report. A screenshot goes to test-artifacts/ (and, under `npm run screenshots`, to docs/).
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { project } from "./agent-project.ts";
import { ARTIFACTS, openBrowser } from "./browser.ts";
import { br, brOk, tempDir } from "./helpers.ts";

const ON = { BR_TELEMETRY_DISABLED: undefined, DO_NOT_TRACK: undefined };

interface Report {
  days: { day: string; done: number }[];
  firstAttempt: { byKind: { name: string }[] };
  rejections: { reason: string }[];
  gates: { gate: string; points: { passed: boolean }[] }[];
}

/** What one chart shows: its title, its row labels, and the drawn size of each bar and each gate check. */
interface Chart {
  title: string;
  labels: string[];
  bars: { width: number; height: number }[];
  checks: { passed: boolean; width: number; height: number }[];
}

const READ_CHARTS = `[...document.querySelectorAll("section")].map((section) => {
  const size = (rect) => ({ width: rect.getBoundingClientRect().width, height: rect.getBoundingClientRect().height });
  return {
    title: section.querySelector("h2").textContent,
    labels: [...section.querySelectorAll("text.label")].map((text) => text.querySelector("title").textContent),
    bars: [...section.querySelectorAll("rect.bar")].map(size),
    checks: [...section.querySelectorAll("rect.check")].map((rect) => ({ passed: rect.classList.contains("pass"), ...size(rect) })),
  };
})`;

describe("the telemetry report in Chromium", () => {
  it("opens as one self-contained page whose charts draw every figure of the report", async () => {
    const p = project("fail-first");
    const env = { ...p.env, ...ON };
    assert.equal(br(["run", "--auto"], { cwd: p.cwd, env }).code, 0);
    for (const gate of [
      ["quality", "check"],
      ["security", "check"],
      ["gaps", "analyze"],
    ])
      br(gate, { cwd: p.cwd, env });
    const report = JSON.parse(brOk(["telemetry", "report", "--format", "json"], { cwd: p.cwd, env }).stdout) as Report;
    assert.ok(report.days[0] && report.days[0].done >= 5, JSON.stringify(report.days));
    const file = join(tempDir("br-report-"), "report.html");
    brOk(["telemetry", "report", "--format", "html", "--output", file], { cwd: p.cwd, env });

    const browser = await openBrowser();
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      page.setDefaultTimeout(30_000);
      const requests: string[] = [];
      const problems: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
      page.on("pageerror", (error) => problems.push(error.message));
      await page.setViewportSize({ width: 1000, height: 900 });
      await page.goto(pathToFileURL(file).href);
      assert.equal(await page.title(), "br telemetry report");
      const charts = (await page.evaluate(READ_CHARTS)) as Chart[];
      const chart = (title: string) => charts.find((c) => c.title === title) as Chart;
      assert.deepEqual(
        charts.map((c) => c.title),
        [
          "Tasks done per day",
          "Cost per done task, by day",
          "Time to done",
          "First-attempt pass rate by step",
          "First-attempt pass rate by task kind",
          "Commonest rejection reasons",
          "Gate trends: each check, passed or failed",
        ],
      );
      assert.deepEqual(
        chart("Tasks done per day").labels,
        report.days.map((d) => d.day),
      );
      assert.deepEqual(chart("Time to done").labels, ["median (p50)", "p90"]);
      assert.deepEqual(
        chart("First-attempt pass rate by task kind").labels,
        report.firstAttempt.byKind.map((k) => k.name),
      );
      assert.deepEqual(
        chart("Commonest rejection reasons").labels,
        report.rejections.map((r) => r.reason),
        "whole labels, even where the chart shortens them",
      );
      const gates = chart("Gate trends: each check, passed or failed");
      assert.deepEqual(
        gates.labels,
        report.gates.map((g) => g.gate),
      );
      assert.deepEqual(
        gates.checks.map((c) => c.passed),
        report.gates.flatMap((g) => g.points.map((p) => p.passed)),
      );
      assert.ok(report.rejections.length > 0 && report.gates.length > 0);
      for (const c of charts) {
        if (c !== gates) assert.equal(c.bars.length, c.labels.length, c.title);
        for (const drawn of [...c.bars, ...c.checks]) assert.ok(drawn.width >= 1 && drawn.height >= 10, `${c.title}: every mark is drawn`);
      }
      assert.deepEqual(requests, [pathToFileURL(file).href], "nothing is loaded beyond the page itself");
      assert.deepEqual(problems, []);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "telemetry-report.png"), fullPage: true });
      const target = process.env.BR_REPORT_SCREENSHOT;
      if (target) {
        mkdirSync(dirname(target), { recursive: true });
        await page.screenshot({ path: target, fullPage: true });
      }
    } finally {
      await browser.close();
    }
  });
});
