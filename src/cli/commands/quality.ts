import type { Command } from "commander";
import { writeFileAtomic } from "../../infra/atomic-file.js";
import { usageError } from "../../infra/errors.js";
import { say, style } from "../../infra/log.js";
import type { Gate } from "../../quality/check.js";
import { project, workingDir } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";

/** One line per gate, with its details when it fails (the first one when it passes). */
export function gateLines(gates: readonly Gate[]): string[] {
  const lines: string[] = [];
  for (const g of gates) {
    const mark = g.passed ? style.green("✓") : style.red("✗");
    lines.push(`${mark} ${g.name.padEnd(16)} ${String(g.value).padStart(7)}  (threshold ${g.threshold})`);
    for (const d of g.passed ? g.details.slice(0, 1) : g.details) lines.push(style.dim(`    ${d}`));
  }
  return lines;
}

export function registerQuality(program: Command): void {
  const quality = program.command("quality").description("quality gates: build, typecheck, lint, tests, coverage and code measures");
  quality
    .command("check")
    .description("run the configured commands and br's own measures; exit 1 when a gate fails")
    .option("--changed <ref>", "measure only the files changed since <ref> (committed, staged, modified or new)")
    .option("--staged", "measure exactly the files staged for the next commit, as the index holds them (the pre-commit hook)")
    .option(
      "--only <gates>",
      "run only these gates (comma-separated: build, typecheck, lint, tests, coverage, complexity, function-length, file-length, duplication)",
    )
    .option("--json", 'print { "passed", "score", "gates": [{ "name", "passed", "value", "threshold", "details" }] }')
    .action(
      action<[]>(async (options) => {
        const paths = project(options);
        const { loadConfig } = await import("../../infra/load-config.js");
        const { parseGateList, runQualityCheck } = await import("../../quality/check.js");
        const only = typeof options.only === "string" ? parseGateList(options.only) : undefined;
        const config = (await loadConfig(paths)).config;
        const changed = typeof options.changed === "string" ? options.changed : undefined;
        const staged = options.staged === true;
        if (staged && changed !== undefined)
          throw usageError("--staged and --changed cannot be used together.", {
            fix: "Use --staged to measure what the next commit holds, or --changed <ref> for everything changed since <ref>.",
          });
        const result = await runQualityCheck(paths, config, {
          ...(changed !== undefined ? { changed } : {}),
          ...(staged ? { staged } : {}),
          ...(only ? { only } : {}),
        });
        emit(options.json, result, () => {
          const lines = [
            `${result.passed ? style.green("✓ gates pass") : style.red("✗ gates failing")}  score ${style.bold(String(result.score))}/100${result.changedSince ? ` (measures over files changed since ${result.changedSince})` : result.staged ? " (measures over staged files)" : ""}`,
          ];
          lines.push(...gateLines(result.gates));
          for (const s of result.skipped) lines.push(style.dim(`· ${s.name.padEnd(16)} skipped: ${s.reason}`));
          return lines;
        });
        if (!result.passed) setExitCode(1);
      }),
    );
  quality
    .command("report")
    .description("the latest gates and the history of scores, as Markdown, HTML (with a chart) or JSON")
    .option("--format <format>", "md | html | json", "md")
    .option("--json", "same as --format json")
    .option("-o, --output <file>", "write the report to a file instead of printing it")
    .action(
      action<[]>(async (options) => {
        const format = options.json ? "json" : String(options.format);
        if (!["md", "html", "json"].includes(format)) throw usageError(`Unknown format "${format}".`, { fix: "Use md, html or json." });
        const paths = project(options);
        const { qualityHistory } = await import("../../quality/check.js");
        const { renderHtml, renderMarkdown } = await import("../../quality/report.js");
        const { loadRegistry } = await import("../../registry/store.js");
        const history = qualityHistory(paths);
        const latest = history[history.length - 1];
        if (!latest) throw usageError("No quality check has been recorded in this project yet.", { fix: "Run `br quality check` first." });
        const report = { project: (await loadRegistry(paths)).project, generatedAt: new Date().toISOString(), latest, history };
        const text =
          format === "json" ? `${JSON.stringify(report, null, 2)}\n` : format === "html" ? renderHtml(report) : renderMarkdown(report);
        if (typeof options.output === "string") {
          const { resolve } = await import("node:path");
          const target = resolve(workingDir(options), options.output);
          writeFileAtomic(target, text);
          say(`wrote ${options.output} (${history.length} recorded checks)`);
        } else process.stdout.write(text);
      }),
    );
}
