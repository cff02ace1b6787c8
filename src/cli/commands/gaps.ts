import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import { project } from "../context.js";
import { action } from "../main.js";
import { emit } from "../output.js";

const SEVERITY_COLOR = { critical: style.red, high: style.red, medium: style.yellow, low: style.dim } as const;

export function registerGaps(program: Command): void {
  const gaps = program.command("gaps").description("what stands between the project and done, and tasks to close it");
  gaps
    .command("analyze")
    .description("find unbacked features, failed work, stubs, failing gates, security findings, untested sources and TODO/FIXME markers")
    .option("--format <format>", "text | json | sarif", "text")
    .option(
      "--json",
      'same as --format json: { "gaps": [{ "id", "kind", "severity", "file", "line", "featureId", "message", "suggestion" }], "summary" }',
    )
    .action(
      action<[]>(async (options) => {
        const format = options.json ? "json" : String(options.format);
        if (!["text", "json", "sarif"].includes(format))
          throw usageError(`Unknown format "${format}".`, { fix: "Use text, json or sarif." });
        const paths = project(options);
        const { loadConfig } = await import("../../infra/load-config.js");
        const { analyzeGaps } = await import("../../quality/gaps.js");
        const report = await analyzeGaps(paths, (await loadConfig(paths)).config);
        if (format === "sarif") {
          const { gapsSarif } = await import("../../quality/gaps-sarif.js");
          emit(true, gapsSarif(report), () => []);
          return;
        }
        emit(format === "json", report, () => {
          const lines: string[] = [];
          for (const g of report.gaps) {
            const place = g.file ? `${g.file}${g.line ? `:${g.line}` : ""}` : g.featureId ? `feature ${g.featureId}` : "project";
            lines.push(`${SEVERITY_COLOR[g.severity](g.severity.padEnd(8))} ${g.kind.padEnd(16)} ${place}  ${g.message}`);
            lines.push(style.dim(`         → ${g.suggestion}`));
          }
          const s = report.summary;
          lines.push(
            report.gaps.length === 0
              ? style.green(`✓ no gaps in ${s.files} code files`)
              : `${s.total} gap(s) in ${s.files} code files: ${Object.entries(s.bySeverity)
                  .filter(([, n]) => n > 0)
                  .map(([sev, n]) => `${n} ${sev}`)
                  .join(", ")} (${s.durationMs} ms). \`br gaps fix\` turns them into tasks.`,
          );
          return lines;
        });
      }),
    );
  gaps
    .command("fix")
    .description("add one task per actionable gap to tasks.json (never twice), so `br run` closes them")
    .option("--json", 'print { "added", "existing", "skipped" }')
    .action(
      action<[]>(async (options) => {
        const paths = project(options);
        const { loadConfig } = await import("../../infra/load-config.js");
        const { analyzeGaps } = await import("../../quality/gaps.js");
        const { fixGaps } = await import("../../quality/gaps-fix.js");
        const report = await analyzeGaps(paths, (await loadConfig(paths)).config);
        const result = await fixGaps(paths, report.gaps);
        emit(options.json, result, () => [
          ...result.added.map((a) => `+ ${a.task}`),
          `${result.added.length} task(s) added, ${result.existing.length} already planned, ${result.skipped.length} gap(s) need no new task. Next: \`br run\`.`,
        ]);
      }),
    );
}
