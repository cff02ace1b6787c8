/**
 * OpenAI Codex CLI: `codex exec --json --model M --sandbox workspace-write -`, the prompt on stdin.
 * JSON Lines events; success is a `turn.completed` (with usage) and no `turn.failed` or `error`.
 */
import type { Usage } from "../../routing/prices.js";
import type { ExecutorSettings } from "./settings.js";
import { jsonLines, missingCommand, num, processFacts, runAgent, tail, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

export function codexExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "codex",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const args = ["exec", "--json", "--model", input.model, ...(settings.args ?? ["--sandbox", "workspace-write"]), "-"];
      const result = await runAgent(settings.command ?? "codex", args, input, { stdin: input.prompt });
      const base = processFacts(result);
      if (result.notFound)
        return {
          ...base,
          success: false,
          summary: missingCommand("codex", "the Codex CLI", "codex"),
        };
      const { usage, completed, failure, lastError, lastMessage } = readTurns(jsonLines(result.stdout));
      const success = completed && !failure && !result.timedOut;
      const summary = success
        ? lastMessage
        : (failure ??
          lastError ??
          (result.timedOut ? timedOutText(input) : `no completed turn${result.stderr ? `: ${tail(result.stderr, 5)}` : ""}`));
      return { ...base, success, summary, model: input.model, usage };
    },
  };
}

/** What the event stream says of the turns: usage summed over them, and how the last one ended. */
interface Turns {
  usage: Usage;
  completed: boolean;
  failure: string | undefined;
  lastError: string | undefined;
  lastMessage: string;
}

function readTurns(events: Record<string, unknown>[]): Turns {
  const turns: Turns = {
    usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    completed: false,
    failure: undefined,
    lastError: undefined,
    lastMessage: "",
  };
  for (const event of events) readEvent(turns, event);
  return turns;
}

function readEvent(turns: Turns, event: Record<string, unknown>): void {
  if (event.type === "turn.completed" || event.type === "turn.failed") addTurnUsage(turns.usage, event);
  // The last turn event decides: `error` events also report retried stream hiccups.
  if (event.type === "turn.completed") {
    turns.completed = true;
    turns.failure = undefined;
  }
  if (event.type === "turn.failed") {
    turns.completed = false;
    turns.failure = String(((event.error ?? {}) as Record<string, unknown>).message ?? "turn failed");
  }
  if (event.type === "error" && !turns.completed) turns.lastError = String(event.message ?? "error");
  const item = event.item as Record<string, unknown> | undefined;
  if (event.type === "item.completed" && item?.type === "agent_message" && typeof item.text === "string") turns.lastMessage = item.text;
}

function addTurnUsage(usage: Usage, event: Record<string, unknown>): void {
  const u = (event.usage ?? {}) as Record<string, unknown>;
  // OpenAI counts cached input inside input_tokens; keep them apart for pricing.
  const cached = num(u.cached_input_tokens);
  usage.inputTokens += Math.max(0, num(u.input_tokens) - cached);
  usage.cacheReadTokens += cached;
  usage.outputTokens += num(u.output_tokens);
}
