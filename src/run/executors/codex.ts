/**
 * OpenAI Codex CLI: `codex exec --json --model M --sandbox workspace-write -`, the prompt on stdin.
 * JSON Lines events on stdout; success is a `turn.completed` (with usage) and no `turn.failed`.
 * Codex retries 401, 429 and 5xx itself (`request_max_retries`, `stream_max_retries` of the model
 * provider) and prints each retry as an `error` event ("Reconnecting... 2/5 (…)"); an error it
 * does not retry, or the last retry, ends the turn with `turn.failed` ("unexpected status 401
 * Unauthorized: …", "exceeded retry limit, last status: 429 Too Many Requests"). Without a network
 * it prints "Reconnecting... waiting for network" events forever, on stdout too.
 */
import type { Usage } from "../../routing/prices.js";
import { classifyApiError } from "./failure.js";
import type { ExecutorSettings } from "./settings.js";
import {
  type AgentProcessResult,
  exitDetails,
  jsonLines,
  notFoundReport,
  num,
  processFacts,
  runAgent,
  timedOutText,
} from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport, Failure } from "./types.js";

export function codexExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "codex",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const command = settings.command ?? "codex";
      const args = ["exec", "--json", "--model", input.model, ...(settings.args ?? ["--sandbox", "workspace-write"]), "-"];
      // Its "Reconnecting… waiting for network" notices arrive on stdout as `error` events: not progress.
      const result = await runAgent(command, args, input, { stdin: input.prompt, progress: (line) => !line.includes('"type":"error"') });
      if (result.notFound) return notFoundReport(result, command, "the Codex CLI", "codex");
      const base = processFacts(result);
      const { usage, completed, failure, lastError, lastMessage } = readTurns(jsonLines(result.stdout));
      const success = completed && !failure && !result.timedOut;
      const report: ExecutorReport = { ...base, success, summary: lastMessage, model: input.model, usage };
      return success ? report : { ...report, ...whyFailed(failure, lastError, result, input) };
    },
  };
}

/** The summary and class of a run without a completed turn. */
function whyFailed(
  failure: string | undefined,
  lastError: string | undefined,
  result: AgentProcessResult,
  input: ExecutorInput,
): { summary: string; failure?: Failure } {
  if (failure) return { summary: failure, failure: codexFailure(failure) };
  if (result.timedOut || result.idle) {
    // Stopped while it was still retrying: the last retry says why ("waiting for network").
    const summary = `Codex ${timedOutText(input, result)}${lastError ? `: ${lastError}` : ""}`;
    const failed = processFacts(result).failure ?? (lastError ? codexFailure(lastError) : undefined);
    if (!failed) return { summary };
    return { summary, failure: failed.class === "task" && lastError ? { ...failed, class: "transient" } : failed };
  }
  if (!lastError) return { summary: `Codex ended without a completed turn (${exitDetails(result)})` };
  return { summary: `${lastError} (${exitDetails(result)})`, failure: codexFailure(lastError) };
}

/** The HTTP status in a Codex error message ("unexpected status 401 Unauthorized", "last status: 429"). */
export function statusIn(message: string): number | undefined {
  const match = /\bstatus(?: code)?:?\s+(\d{3})\b/i.exec(message);
  return match ? Number(match[1]) : undefined;
}

export function codexFailure(message: string): Failure {
  return classifyApiError(message, statusIn(message));
}

/** What the event stream says of the turns: usage summed over them, and how the last one ended. */
interface Turns {
  usage: Usage;
  completed: boolean;
  failure: string | undefined;
  lastError: string | undefined;
  lastMessage: string;
}

export function readTurns(events: Record<string, unknown>[]): Turns {
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
  readTurnEvent(turns, event);
  // Only a retry notice that nothing else followed explains how the run ended.
  if (event.type === "error" && !turns.completed) turns.lastError = String(event.message ?? "error");
  else if (event.type !== "error" && !isErrorItem(event)) turns.lastError = undefined;
  const item = event.item as Record<string, unknown> | undefined;
  if (event.type === "item.completed" && item?.type === "agent_message" && typeof item.text === "string") turns.lastMessage = item.text;
}

/** The last turn event decides: `error` events also report retried stream hiccups. */
function readTurnEvent(turns: Turns, event: Record<string, unknown>): void {
  if (event.type === "turn.started") turns.completed = false;
  if (event.type === "turn.completed") {
    turns.completed = true;
    turns.failure = undefined;
  }
  if (event.type === "turn.failed") {
    turns.completed = false;
    turns.failure = String(((event.error ?? {}) as Record<string, unknown>).message ?? "turn failed");
  }
}

function isErrorItem(event: Record<string, unknown>): boolean {
  return event.type === "item.completed" && (event.item as Record<string, unknown> | undefined)?.type === "error";
}

function addTurnUsage(usage: Usage, event: Record<string, unknown>): void {
  const u = (event.usage ?? {}) as Record<string, unknown>;
  // OpenAI counts cached input inside input_tokens; keep them apart for pricing (0.171 adds cache writes).
  const cached = num(u.cached_input_tokens);
  const written = num(u.cache_write_input_tokens);
  usage.inputTokens += Math.max(0, num(u.input_tokens) - cached - written);
  usage.cacheReadTokens += cached;
  usage.cacheWriteTokens += written;
  usage.outputTokens += num(u.output_tokens);
}
