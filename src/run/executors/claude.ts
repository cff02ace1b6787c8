/**
 * Claude Code in headless mode: `claude -p --output-format stream-json --verbose --model M`, the
 * prompt on stdin. Judged by the final `result` event: `is_error`, `subtype`, `usage`,
 * `total_cost_usd`. An API error can arrive as subtype "success" with is_error true.
 */
import type { ExecutorSettings } from "./settings.js";
import { type AgentProcessResult, jsonLines, missingCommand, num, processFacts, runAgent, tail, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

export function claudeExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "claude",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const args = [
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        input.model,
        ...(settings.args ?? ["--permission-mode", "acceptEdits"]),
      ];
      const result = await runAgent(settings.command ?? "claude", args, input, { stdin: input.prompt });
      const base = processFacts(result);
      if (result.notFound)
        return {
          ...base,
          success: false,
          summary: missingCommand("claude", "Claude Code", "claude"),
        };
      const events = jsonLines(result.stdout);
      const final = [...events].reverse().find((e) => e.type === "result");
      const init = events.find((e) => e.type === "system" && e.subtype === "init");
      if (!final) return { ...base, success: false, summary: noResultSummary(result, input) };
      const usage = (final.usage ?? {}) as Record<string, unknown>;
      const report: ExecutorReport = {
        ...base,
        success: final.is_error !== true && final.subtype === "success" && !result.timedOut,
        summary: String(final.result ?? final.subtype ?? ""),
        model: typeof init?.model === "string" ? init.model : input.model,
        usage: {
          inputTokens: num(usage.input_tokens),
          outputTokens: num(usage.output_tokens),
          cacheWriteTokens: num(usage.cache_creation_input_tokens),
          cacheReadTokens: num(usage.cache_read_input_tokens),
        },
      };
      if (typeof final.total_cost_usd === "number") report.costUsd = final.total_cost_usd;
      if (!report.success && !report.summary) report.summary = `Claude Code reported ${String(final.subtype)}`;
      return report;
    },
  };
}

/** Why there is no final `result` event to judge the attempt by. */
function noResultSummary(result: AgentProcessResult, input: ExecutorInput): string {
  const why = result.timedOut ? timedOutText(input) : "ended without a result event";
  return `Claude Code ${why}${result.stderr ? `: ${tail(result.stderr, 5)}` : ""}`;
}
