/** The telemetry report as Markdown, or as one self-contained HTML page with SVG charts (no scripts, no requests). */
import type { Rate, Report } from "./report.js";

const pct = (share: number) => `${(100 * share).toFixed(1)}%`;
const usd = (n: number | null) => (n === null ? "–" : `$${n.toFixed(4)}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function mdTable(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ["_No data yet._"];
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

const rateRows = (rates: Rate[]) => rates.map((r) => [r.name, String(r.tasks), String(r.firstAttempt), pct(r.rate)]);

export function reportMarkdown(r: Report): string {
  return [
    "# br telemetry report",
    "",
    `Generated ${r.generatedAt.slice(0, 16).replace("T", " ")} from this project's own events, as kept on this machine.`,
    "",
    "## Tasks per day",
    ...mdTable(
      ["day", "done", "failed", "cost", "cost per done task"],
      r.days.map((d) => [d.day, String(d.done), String(d.failed), usd(d.costUsd), usd(d.costPerDone)]),
    ),
    "",
    "## First-attempt pass rate by step",
    ...mdTable(["step", "tasks", "first attempt", "rate"], rateRows(r.firstAttempt.byStep)),
    "",
    "## First-attempt pass rate by task kind",
    ...mdTable(["kind", "tasks", "first attempt", "rate"], rateRows(r.firstAttempt.byKind)),
    "",
    `## Time to done\n\np50 ${secs(r.timeToDoneMs.p50)}, p90 ${secs(r.timeToDoneMs.p90)} over ${r.timeToDoneMs.tasks} task(s).`,
    "",
    "## Commonest rejection reasons",
    ...mdTable(
      ["reason", "attempts"],
      r.rejections.map((x) => [x.reason, String(x.count)]),
    ),
    "",
    "## Gate trends",
    ...mdTable(
      ["gate", "checks", "last value", "last passed"],
      r.gates.map((g) => {
        const last = g.points.at(-1);
        return [g.gate, String(g.points.length), String(last?.value ?? "–"), last?.passed ? "yes" : "no"];
      }),
    ),
    "",
  ].join("\n");
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Labels longer than the label column are cut with an ellipsis; the whole label is the row's tooltip. */
const LABEL_CHARS = 26;

function label(text: string, y: number): string {
  const shown = text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
  return `<text x="0" y="${y + 15}" class="label"><title>${escapeHtml(text)}</title>${escapeHtml(shown)}</text>`;
}

const section = (title: string, body: string) => `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
const svg = (title: string, height: number, rows: string) =>
  `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 640 ${height}" width="640" height="${height}">${rows}</svg>`;

/** A horizontal bar chart: one labelled bar per item, scaled to the largest value. */
function bars(title: string, items: { label: string; value: number; text: string }[]): string {
  if (items.length === 0) return section(title, "<p>No data yet.</p>");
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const rows = items
    .map((item, i) => {
      const y = 5 + i * 26;
      const width = Math.max(2, (item.value / max) * 360);
      return `${label(item.label, y)}<rect class="bar" x="170" y="${y}" width="${width.toFixed(1)}" height="20" rx="3"/><text x="${(176 + width).toFixed(1)}" y="${y + 15}" class="value">${escapeHtml(item.text)}</text>`;
    })
    .join("");
  return section(title, svg(title, items.length * 26 + 10, rows));
}

/** The last checks shown per gate: enough for a trend, few enough to fit one row. */
const TREND_CHECKS = 30;

/**
 * Gates measure different things (a count of findings, a coverage percentage), so their values
 * share no scale: each gate gets a row of its latest checks, one mark per check, passed or failed.
 */
function gateTrend(gates: Report["gates"]): string {
  const title = "Gate trends: each check, passed or failed";
  if (gates.length === 0) return section(title, "<p>No data yet.</p>");
  const rows = gates
    .map((g, i) => {
      const y = 5 + i * 26;
      const points = g.points.slice(-TREND_CHECKS);
      const marks = points
        .map((p, j) => {
          const state = p.passed ? "pass" : "fail";
          return `<rect class="check ${state}" x="${170 + j * 12}" y="${y}" width="9" height="20" rx="2"><title>${escapeHtml(p.at.slice(0, 16).replace("T", " "))}: ${escapeHtml(String(p.value))}, ${state === "pass" ? "passed" : "failed"}</title></rect>`;
        })
        .join("");
      const last = points.at(-1);
      const text = `last ${last?.value ?? "–"}, ${last?.passed ? "passed" : "failed"} (${g.points.length} check(s))`;
      return `${label(g.gate, y)}${marks}<text x="${176 + points.length * 12}" y="${y + 15}" class="value">${escapeHtml(text)}</text>`;
    })
    .join("");
  return section(title, svg(title, gates.length * 26 + 10, rows));
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fff}h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.6rem}.bar{fill:#3b6fd8}.pass{fill:#2f9e5b}.fail{fill:#d0453a}.label,.value{font-size:12px;fill:#1d2330}.value{fill:#555}p.note{color:#555}`;

export function reportHtml(r: Report): string {
  const rateBars = (rates: Rate[]) => rates.map((x) => ({ label: x.name, value: x.rate, text: `${pct(x.rate)} of ${x.tasks}` }));
  const sections = [
    bars(
      "Tasks done per day",
      r.days.map((d) => ({ label: d.day, value: d.done, text: `${d.done} done, ${d.failed} failed` })),
    ),
    bars(
      "Cost per done task, by day",
      r.days.filter((d) => d.costPerDone !== null).map((d) => ({ label: d.day, value: d.costPerDone ?? 0, text: usd(d.costPerDone) })),
    ),
    bars(
      "Time to done",
      r.timeToDoneMs.tasks === 0
        ? []
        : [
            { label: "median (p50)", value: r.timeToDoneMs.p50, text: secs(r.timeToDoneMs.p50) },
            { label: "p90", value: r.timeToDoneMs.p90, text: secs(r.timeToDoneMs.p90) },
          ],
    ),
    bars("First-attempt pass rate by step", rateBars(r.firstAttempt.byStep)),
    bars("First-attempt pass rate by task kind", rateBars(r.firstAttempt.byKind)),
    bars(
      "Commonest rejection reasons",
      r.rejections.map((x) => ({ label: x.reason, value: x.count, text: String(x.count) })),
    ),
    gateTrend(r.gates),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>br telemetry report</title><style>${STYLE}</style></head><body><h1>br telemetry report</h1><p class="note">Generated ${escapeHtml(r.generatedAt.slice(0, 16).replace("T", " "))} from this project's own events, as kept on this machine. Time to done: p50 ${secs(r.timeToDoneMs.p50)}, p90 ${secs(r.timeToDoneMs.p90)} over ${r.timeToDoneMs.tasks} task(s).</p>${sections.join("")}</body></html>\n`;
}
