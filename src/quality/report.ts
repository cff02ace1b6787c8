/**
 * `br quality report`: the latest check's gates and the history of scores, as Markdown, JSON, or
 * a self-contained HTML page whose chart (inline SVG, no scripts, no network) shows the trend.
 */
import type { QualityRun } from "./check.js";

export interface QualityReport {
  project: string;
  generatedAt: string;
  latest: QualityRun;
  history: QualityRun[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const day = (iso: string) => iso.slice(0, 16).replace("T", " ");

export function renderMarkdown(report: QualityReport): string {
  const { latest, history } = report;
  const lines = [
    `# Quality: ${report.project}`,
    "",
    `Score **${latest.score}**/100, ${latest.passed ? "all gates pass" : "**gates failing**"} (checked ${day(latest.at)}${latest.commit ? ` at ${latest.commit.slice(0, 12)}` : ""}${latest.changedSince ? `, files changed since ${latest.changedSince}` : ""}).`,
    "",
    "| gate | result | value | threshold |",
    "| --- | --- | --- | --- |",
    ...latest.gates.map((g) => `| ${g.name} | ${g.passed ? "pass" : "**fail**"} | ${g.value} | ${g.threshold} |`),
    "",
    "## History",
    "",
    `Scores, oldest first: ${sparkline(history.map((r) => r.score))}`,
    "",
    "| checked | commit | score | coverage | result |",
    "| --- | --- | --- | --- | --- |",
    ...[...history]
      .reverse()
      .slice(0, 30)
      .map(
        (r) =>
          `| ${day(r.at)} | ${r.commit?.slice(0, 12) ?? ""} | ${r.score} | ${r.coverage === null ? "" : `${r.coverage}%`} | ${r.passed ? "pass" : "fail"}${r.changedSince ? ` (changed since ${r.changedSince})` : ""} |`,
      ),
  ];
  return `${lines.join("\n")}\n`;
}

function sparkline(values: number[]): string {
  const bars = "▁▂▃▄▅▆▇█";
  return values.map((v) => bars[Math.min(7, Math.max(0, Math.floor((v / 100) * 7.999)))]).join("");
}

/** An SVG line chart of score (and coverage, where recorded) over the recorded checks. */
export function scoreChart(history: QualityRun[], width = 720, height = 220): string {
  const pad = { left: 40, right: 16, top: 16, bottom: 28 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (history.length <= 1 ? w / 2 : (i / (history.length - 1)) * w);
  const y = (v: number) => pad.top + h - (v / 100) * h;
  const path = (values: (number | null)[]) =>
    values
      .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter((p): p is string => p !== null)
      .join(" ");
  const grid = [0, 25, 50, 75, 100]
    .map(
      (v) =>
        `<line x1="${pad.left}" x2="${pad.left + w}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${pad.left - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${v}</text>`,
    )
    .join("");
  const points = history
    .map(
      (r, i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(r.score).toFixed(1)}" r="3.5" class="${r.passed ? "pass" : "fail"}"><title>${escapeHtml(`${day(r.at)} score ${r.score}${r.coverage === null ? "" : `, coverage ${r.coverage}%`}`)}</title></circle>`,
    )
    .join("");
  const first = history[0];
  const last = history[history.length - 1];
  const labels =
    first && last
      ? `<text x="${pad.left}" y="${height - 8}" class="axis">${escapeHtml(day(first.at))}</text><text x="${pad.left + w}" y="${height - 8}" class="axis" text-anchor="end">${escapeHtml(day(last.at))}</text>`
      : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Quality score over ${history.length} checks" id="score-chart">${grid}<polyline points="${path(history.map((r) => r.coverage))}" class="coverage"/><polyline points="${path(history.map((r) => r.score))}" class="score"/>${points}${labels}</svg>`;
}

export function renderHtml(report: QualityReport): string {
  const { latest, history } = report;
  const trend = history.length >= 2 ? latest.score - (history[history.length - 2]?.score ?? latest.score) : 0;
  const rows = latest.gates
    .map(
      (g) =>
        `<tr class="${g.passed ? "pass" : "fail"}"><td>${escapeHtml(g.name)}</td><td>${g.passed ? "pass" : "fail"}</td><td>${g.value}</td><td>${g.threshold}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quality: ${escapeHtml(report.project)}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 820px; color: #1b1f24; padding: 0 1rem; }
  .score { font-size: 3rem; font-weight: 700; }
  .pass { color: #1a7f37; } .fail { color: #cf222e; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; }
  svg { width: 100%; height: auto; background: #f6f8fa; border-radius: 6px; }
  svg .grid { stroke: #d0d7de; stroke-width: 1; }
  svg .axis { font-size: 11px; fill: #57606a; }
  svg polyline { fill: none; stroke-width: 2.5; }
  svg polyline.score { stroke: #0969da; } svg polyline.coverage { stroke: #8250df; stroke-dasharray: 4 3; }
  svg circle.pass { fill: #1a7f37; } svg circle.fail { fill: #cf222e; }
  .legend span { margin-right: 1rem; } .muted { color: #57606a; }
</style>
</head>
<body>
<h1>Quality: ${escapeHtml(report.project)}</h1>
<p><span class="score ${latest.passed ? "pass" : "fail"}" id="score">${latest.score}</span>/100
<span class="muted">— ${latest.passed ? "all gates pass" : "gates failing"}, ${trend === 0 ? "unchanged" : trend > 0 ? `up ${trend}` : `down ${-trend}`} since the check before (${escapeHtml(day(latest.at))}${latest.commit ? `, ${latest.commit.slice(0, 12)}` : ""})</span></p>
<h2>Score over ${history.length} checks</h2>
${scoreChart(history)}
<p class="legend muted"><span style="color:#0969da">━ score</span><span style="color:#8250df">┅ line coverage</span><span>● passed / <span class="fail">●</span> failed</span></p>
<h2>Gates</h2>
<table id="gates"><thead><tr><th>gate</th><th>result</th><th>value</th><th>threshold</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="muted">Generated by BuildRunner on ${escapeHtml(day(report.generatedAt))}.</p>
</body>
</html>
`;
}
