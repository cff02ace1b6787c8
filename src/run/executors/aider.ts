/**
 * Aider: `aider --message-file F --yes-always --no-auto-commits --no-pretty --model M`. Aider has
 * no JSON output; its report is the exit code plus the "Tokens: … sent, … received. Cost: $… message"
 * lines it prints, which are summed for usage and cost.
 */
import type { ExecutorSettings } from "./settings.js";
import { missingCommand, processFacts, runAgent, tail, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

function amount(text: string): number {
  const match = /^([\d.]+)\s*([km]?)$/i.exec(text.trim());
  if (!match) return 0;
  const scale = { "": 1, k: 1_000, m: 1_000_000 }[(match[2] ?? "").toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * scale);
}

export function aiderExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "aider",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const args = [
        "--message-file",
        input.promptFile,
        "--model",
        input.model,
        ...(settings.args ?? ["--yes-always", "--no-auto-commits", "--no-pretty", "--no-stream"]),
      ];
      const result = await runAgent(settings.command ?? "aider", args, input);
      const base = processFacts(result);
      if (result.notFound) return { ...base, success: false, summary: missingCommand("aider", "aider", "aider") };
      const usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
      let cost = 0;
      let sawCost = false;
      // "Tokens: 12k sent, 2.1k cache write, 9.5k cache hit, 300 received. Cost: $0.02 message, …"
      for (const line of result.stdout.split("\n")) {
        if (!/^Tokens:/i.test(line.trim())) continue;
        const part = (label: string) => amount(new RegExp(`([\\d.]+[km]?)\\s*${label}`, "i").exec(line)?.[1] ?? "0");
        usage.inputTokens += part("sent");
        usage.outputTokens += part("received");
        usage.cacheWriteTokens += part("cache write");
        usage.cacheReadTokens += part("cache hit");
        const spent = /Cost:\s*\$([\d.]+)\s*message/i.exec(line);
        if (spent) {
          cost += Number(spent[1]);
          sawCost = true;
        }
      }
      const success = result.exitCode === 0 && !result.timedOut;
      const report: ExecutorReport = {
        ...base,
        success,
        summary: success ? tail(result.stdout, 5) : result.timedOut ? timedOutText(input) : tail(`${result.stdout}\n${result.stderr}`, 10),
        model: input.model,
        usage,
      };
      if (sawCost) report.costUsd = cost;
      return report;
    },
  };
}
