/**
 * Gemini CLI headless: the prompt on stdin, `gemini -p … --output-format json --model M --yolo`. One JSON object:
 * `response`, `stats.models.<model>.tokens` (prompt, candidates, cached), and `error` on failure.
 */
import type { ExecutorSettings } from "./settings.js";
import { missingCommand, num, processFacts, runAgent, tail, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

export function geminiExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "gemini",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      // The prompt goes on stdin (Gemini CLI reads it as input before -p): no argument size limit, not in `ps`.
      const args = [
        "-p",
        "Do the task described above.",
        "--output-format",
        "json",
        "--model",
        input.model,
        ...(settings.args ?? ["--yolo"]),
      ];
      const result = await runAgent(settings.command ?? "gemini", args, input, { stdin: input.prompt });
      const base = processFacts(result);
      if (result.notFound)
        return {
          ...base,
          success: false,
          summary: missingCommand("gemini", "Gemini CLI", "gemini"),
        };
      let doc: Record<string, unknown>;
      try {
        const start = result.stdout.indexOf("{");
        doc = JSON.parse(result.stdout.slice(start)) as Record<string, unknown>;
      } catch {
        const why = result.timedOut ? timedOutText(input) : "printed no JSON result";
        return { ...base, success: false, summary: `Gemini CLI ${why}${result.stderr ? `: ${tail(result.stderr, 5)}` : ""}` };
      }
      const usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
      let model = input.model;
      const models = ((doc.stats ?? {}) as Record<string, unknown>).models as
        | Record<string, { tokens?: Record<string, unknown> }>
        | undefined;
      for (const [name, stats] of Object.entries(models ?? {})) {
        model = name;
        const cached = num(stats.tokens?.cached);
        usage.inputTokens += Math.max(0, num(stats.tokens?.prompt) - cached);
        usage.cacheReadTokens += cached;
        usage.outputTokens += num(stats.tokens?.candidates) + num(stats.tokens?.thoughts);
      }
      const error = doc.error as Record<string, unknown> | undefined;
      const success = !error && !result.timedOut && typeof doc.response === "string";
      return { ...base, success, summary: error ? String(error.message ?? "error") : String(doc.response ?? ""), model, usage };
    },
  };
}
