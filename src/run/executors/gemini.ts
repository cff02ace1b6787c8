/**
 * Gemini CLI headless: the prompt on stdin, `gemini -p … --output-format stream-json --model M
 * --yolo --skip-trust`. JSON Lines on stdout: `init` (model), `message`, `tool_use`, `tool_result`,
 * then `result` with `status` ("success" or "error"), `error.message` (often "[API Error: …]" around
 * the API's own JSON) and `stats.models.<model>` (`input_tokens` with cached included, `cached`,
 * `output_tokens`). The exit code is the HTTP status mod 256 (429 → 173); stderr repeats the error
 * after a stack trace. An untrusted folder exits 55 with one line on stderr and no events; a
 * missing key exits 41 with the error as JSON on stderr. The events are streamed, so silence on
 * stdout means a hang, as with the other CLIs.
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

type Doc = Record<string, unknown>;

export function geminiExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "gemini",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      // The prompt goes on stdin (Gemini CLI reads it as input before -p): no argument size limit, not in `ps`.
      // --skip-trust: headless Gemini CLI refuses to run in a folder it does not trust (exit 55).
      const args = [
        "-p",
        "Do the task described above.",
        "--output-format",
        "stream-json",
        "--model",
        input.model,
        ...(settings.args ?? ["--yolo", "--skip-trust"]),
      ];
      const command = settings.command ?? "gemini";
      const result = await runAgent(command, args, input, { stdin: input.prompt });
      if (result.notFound) return notFoundReport(result, command, "Gemini CLI", "gemini");
      const events = jsonLines(result.stdout);
      const final = events.findLast((e) => e.type === "result");
      if (final) return resultReport(final, events, result, input);
      const doc = lastJson(result.stderr);
      return doc ? docReport(doc, result, input) : noJsonReport(result, input);
    },
  };
}

/** The HTTP status an exit code stands for (Gemini CLI exits with the status mod 256). */
function statusOfExit(exitCode: number | null): number | undefined {
  if (exitCode === null) return undefined;
  const status = exitCode + 256;
  return status >= 400 && status < 600 ? status : undefined;
}

/** The report from the stream's `result` event: the answer, or the error with its class. */
function resultReport(final: Doc, events: Doc[], result: AgentProcessResult, input: ExecutorInput): ExecutorReport {
  const base = processFacts(result);
  const init = events.find((e) => e.type === "init");
  const requested = typeof init?.model === "string" ? init.model : input.model;
  const report: ExecutorReport = { ...base, success: false, summary: "", ...usageOf({ stats: final.stats }, requested) };
  const error = final.error as Doc | undefined;
  if (final.status !== "success" || error) {
    const { message, status } = errorOf({ ...(error ?? {}), message: unwrapApiError(String(error?.message ?? "Gemini CLI failed")) });
    return { ...report, summary: message, failure: classifyApiError(message, status ?? statusOfExit(result.exitCode)) };
  }
  const said = events
    .filter((e) => e.type === "message" && e.role === "assistant" && typeof e.content === "string")
    .map((e) => e.content as string)
    .join("");
  report.success = !result.timedOut;
  report.summary = said || "Gemini CLI finished without a message";
  if (report.success) delete report.failure;
  else if (base.failure) report.failure = base.failure;
  return report;
}

/** "[API Error: {json}]" → the JSON (or words) inside. */
function unwrapApiError(message: string): string {
  const match = /^\[API Error: ([\s\S]*)\]$/.exec(message.trim());
  return match ? (match[1] as string) : message;
}

/** The report from an error document on stderr (a missing key, exit 41): its words and class. */
function docReport(doc: Doc, result: AgentProcessResult, input: ExecutorInput): ExecutorReport {
  const base = processFacts(result);
  const report: ExecutorReport = { ...base, success: false, summary: "", ...usageOf(doc, input.model) };
  const error = doc.error as Doc | undefined;
  if (error) {
    const { message, status } = errorOf(error);
    return { ...report, summary: message, failure: classifyApiError(message, status) };
  }
  report.summary = `Gemini CLI gave no result (${exitDetails(result)})`;
  if (base.failure) report.failure = base.failure;
  return report;
}

/** No JSON at all (an untrusted folder, a crash, a timeout): the exit code and what stderr says. */
function noJsonReport(result: AgentProcessResult, input: ExecutorInput): ExecutorReport {
  const base = processFacts(result);
  const why = result.timedOut || result.idle ? timedOutText(input, result) : "printed no JSON result";
  const cleaned = { ...result, stderr: meaningfulLines(result.stderr) };
  const summary = `Gemini CLI ${why} (${exitDetails(cleaned)})`;
  const failure = base.failure ?? (result.timedOut ? undefined : stderrFailure(cleaned.stderr));
  return { ...base, success: false, summary, ...(failure ? { failure } : {}) };
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Stderr without colours, stack frames and blank lines: what is left says what went wrong. */
export function meaningfulLines(stderr: string): string {
  return stderr
    .replace(ANSI, "")
    .split("\n")
    .filter((line) => line.trim() && !/^\s+at /.test(line))
    .join("\n");
}

/** A failure from words alone (no JSON): only a setup or transient cause it names; otherwise the task's. */
function stderrFailure(text: string): Failure | undefined {
  if (!text) return undefined;
  const failure = classifyApiError(text.split("\n").slice(-5).join("\n"));
  return failure.class === "task" ? undefined : failure;
}

/** The last top-level JSON object in the text (Gemini CLI prints it after its log lines and stack traces). */
export function lastJson(text: string): Doc | undefined {
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf("\n{", end - 1);
    const from = start === -1 ? text.indexOf("{") : start + 1;
    if (from === -1 || from >= end) return undefined;
    try {
      const doc = JSON.parse(text.slice(from)) as unknown;
      if (doc && typeof doc === "object" && !Array.isArray(doc)) return doc as Doc;
    } catch {
      // not the start of the object: look further back
    }
    if (start === -1) return undefined;
    end = start;
  }
  return undefined;
}

/** The error's own words and HTTP status; the message can itself be the API's JSON error. */
export function errorOf(error: Doc): { message: string; status?: number } {
  let message = String(error.message ?? "Gemini CLI reported an error");
  let code = typeof error.code === "number" ? error.code : undefined;
  try {
    const inner = (JSON.parse(message) as { error?: Doc }).error;
    if (inner && typeof inner.message === "string") {
      message = typeof inner.status === "string" ? `${inner.message} (${inner.status})` : inner.message;
      if (typeof inner.code === "number") code = inner.code;
    }
  } catch {
    // plain words
  }
  return code !== undefined && code >= 100 && code < 600 ? { message, status: code } : { message };
}

/** One model's usage, from stream-json stats (`input_tokens` with cached included) or the older JSON (`tokens.prompt`). */
function modelUsage(stats: { tokens?: Doc } & Doc): Usage {
  const tokens = stats.tokens;
  if (tokens) {
    const cached = num(tokens.cached);
    return {
      inputTokens: Math.max(0, num(tokens.prompt) - cached),
      outputTokens: num(tokens.candidates) + num(tokens.thoughts),
      cacheWriteTokens: 0,
      cacheReadTokens: cached,
    };
  }
  const cached = num(stats.cached);
  return {
    inputTokens: Math.max(0, num(stats.input_tokens) - cached),
    outputTokens: num(stats.output_tokens),
    cacheWriteTokens: 0,
    cacheReadTokens: cached,
  };
}

/** Usage summed over the models, each model's own in usageByModel when there are several. */
export function usageOf(doc: Doc, requested: string): { model: string; usage: Usage; usageByModel?: Record<string, Usage> } {
  const models = ((doc.stats ?? {}) as Doc).models as Record<string, { tokens?: Doc; api?: Doc } & Doc> | undefined;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  const byModel: Record<string, Usage> = {};
  let model = requested;
  let most = -1;
  for (const [name, stats] of Object.entries(models ?? {})) {
    const each = modelUsage(stats);
    byModel[name] = each;
    usage.inputTokens += each.inputTokens;
    usage.outputTokens += each.outputTokens;
    usage.cacheReadTokens += each.cacheReadTokens;
    // The model that did the work: the one asked for, else the one that answered most.
    const requests = name === requested ? Number.POSITIVE_INFINITY : num(stats.api?.totalRequests) || num(stats.total_tokens);
    if (requests > most) {
      most = requests;
      model = name;
    }
  }
  return Object.keys(byModel).length > 1 ? { model, usage, usageByModel: byModel } : { model, usage };
}
