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
    `Generated ${r.generatedAt.slice(0, 16).replace("T", " ")} from this project's own events; nothing was sent anywhere.`,
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

/** A horizontal bar chart: one labelled bar per item, scaled to the largest value. */
function bars(title: string, items: { label: string; value: number; text: string }[]): string {
  if (items.length === 0) return `<section><h2>${escapeHtml(title)}</h2><p>No data yet.</p></section>`;
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const height = items.length * 26 + 10;
  const rows = items
    .map((item, i) => {
      const y = 5 + i * 26;
      const width = Math.max(2, (item.value / max) * 360);
      return `<text x="0" y="${y + 15}" class="label">${escapeHtml(item.label)}</text><rect class="bar" x="170" y="${y}" width="${width.toFixed(1)}" height="20" rx="3"/><text x="${(176 + width).toFixed(1)}" y="${y + 15}" class="value">${escapeHtml(item.text)}</text>`;
    })
    .join("");
  return `<section><h2>${escapeHtml(title)}</h2><svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 640 ${height}" width="640" height="${height}">${rows}</svg></section>`;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fff}h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.6rem}.bar{fill:#3b6fd8}.label,.value{font-size:12px;fill:#1d2330}.value{fill:#555}p.note{color:#555}`;

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
    bars("First-attempt pass rate by step", rateBars(r.firstAttempt.byStep)),
    bars("First-attempt pass rate by task kind", rateBars(r.firstAttempt.byKind)),
    bars(
      "Commonest rejection reasons",
      r.rejections.map((x) => ({ label: x.reason, value: x.count, text: String(x.count) })),
    ),
    bars(
      "Gates: last value",
      r.gates.map((g) => ({
        label: g.gate,
        value: g.points.at(-1)?.value ?? 0,
        text: `${g.points.at(-1)?.value ?? "–"} (${g.points.length} check(s))`,
      })),
    ),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>br telemetry report</title><style>${STYLE}</style></head><body><h1>br telemetry report</h1><p class="note">Generated ${escapeHtml(r.generatedAt.slice(0, 16).replace("T", " "))} from this project's own events; nothing was sent anywhere. Time to done: p50 ${secs(r.timeToDoneMs.p50)}, p90 ${secs(r.timeToDoneMs.p90)} over ${r.timeToDoneMs.tasks} task(s).</p>${sections.join("")}</body></html>\n`;
}
