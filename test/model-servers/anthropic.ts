/**
 * The Anthropic Messages API as Claude Code uses it: `HEAD /` (a reachability probe), then
 * `POST /v1/messages?beta=true` with `stream: true`, answered with server-sent events
 * (message_start, content_block_start/delta/stop, message_delta with the output tokens,
 * message_stop). The first answer to a task calls the Write tool ({file_path, content}) once per
 * file; the answer to the tool results is a final text. Errors use the API's error shape,
 * `{"type":"error","error":{"type","message"}}`, with its HTTP status.
 */
import type { ServerResponse } from "node:http";
import { type ErrorShape, type ModelServer, sendJson, sendSse, startServer, taskFiles, taskIdIn, usageFor } from "./common.ts";

const ERRORS: Record<ErrorShape, { status: number; type: string; message: string; headers?: Record<string, string> }> = {
  auth: { status: 401, type: "authentication_error", message: "invalid x-api-key" },
  "rate-limit": {
    status: 429,
    type: "rate_limit_error",
    message: "This request would exceed the rate limit for your organization of 50 requests per minute.",
    headers: { "retry-after": "1" },
  },
  quota: {
    status: 400,
    type: "invalid_request_error",
    message: "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
  },
  server: { status: 500, type: "api_error", message: "Internal server error" },
  overloaded: { status: 529, type: "overloaded_error", message: "Overloaded" },
  "unknown-model": { status: 404, type: "not_found_error", message: "model: claude-nonexistent-9" },
};

export interface Message {
  role: string;
  content: string | { type: string; text?: string; tool_use_id?: string; content?: unknown }[];
}

function textOf(message: Message | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((block) => block.text ?? "").join("\n");
}

/** A test's own answers: content blocks for a request, or undefined to answer as the task-doing model does. */
export type Script = (request: {
  messages: Message[];
  tools?: { name: string }[];
}) => { content: Record<string, unknown>[]; stopReason: string } | undefined;

export function startAnthropicServer(script?: Script): Promise<ModelServer> {
  return startServer((req, body, res, server) => {
    if (req.method === "HEAD" || req.method === "GET") {
      res.writeHead(200).end();
      return;
    }
    if (!req.url?.startsWith("/v1/messages")) {
      sendJson(res, 404, { type: "error", error: { type: "not_found_error", message: `no route ${req.url}` } });
      return;
    }
    if (req.url.startsWith("/v1/messages/count_tokens")) {
      sendJson(res, 200, { input_tokens: Math.ceil(body.length / 4) });
      return;
    }
    if (server.behaviour.kind === "error") {
      const shape = ERRORS[server.behaviour.error];
      sendJson(
        res,
        shape.status,
        { type: "error", error: { type: shape.type, message: shape.message }, request_id: "req_test" },
        { "request-id": "req_test", ...shape.headers },
      );
      return;
    }
    const request = JSON.parse(body) as { model: string; stream?: boolean; messages: Message[]; tools?: { name: string }[] };
    const messages = request.messages;
    const first = messages.map(textOf).join("\n");
    const taskId = taskIdIn(first);
    // Which step of the task this request is: one assistant message per earlier answer.
    const step = messages.filter((m) => m.role === "assistant").length;
    const hasWrite = request.tools?.some((t) => t.name === "Write") ?? false;
    const run = server.behaviour.kind === "work" ? server.behaviour.run : undefined;
    const turn = server.usage.length;
    const usage = usageFor(request.model, body, turn);
    let content: Record<string, unknown>[];
    let stopReason = "tool_use";
    const scripted = script?.(request);
    if (scripted) {
      content = scripted.content;
      stopReason = scripted.stopReason;
    } else if (taskId && hasWrite && step === 0) {
      content = taskFiles(taskId).map((file, i) => ({
        type: "tool_use",
        id: `toolu_${turn}_${i}`,
        name: "Write",
        input: { file_path: file.path, content: file.content },
      }));
    } else if (taskId && hasWrite && step === 1 && run) {
      content = [{ type: "tool_use", id: `toolu_${turn}_0`, name: "Bash", input: { command: run, description: "Run the checks" } }];
    } else {
      content = [{ type: "text", text: taskId ? `Done: ${taskId} is implemented and tested.` : "Done." }];
      stopReason = "end_turn";
    }
    server.usage.push(usage);
    if (request.stream) streamMessage(res, request.model, content, stopReason, usage);
    else
      sendJson(res, 200, {
        id: `msg_${turn}`,
        type: "message",
        role: "assistant",
        model: request.model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: wireUsage(usage),
      });
  });
}

function wireUsage(usage: ReturnType<typeof usageFor>) {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    output_tokens: usage.outputTokens,
  };
}

function streamMessage(
  res: ServerResponse,
  model: string,
  content: Record<string, unknown>[],
  stopReason: string,
  usage: ReturnType<typeof usageFor>,
): void {
  const events: { event: string; data: unknown }[] = [];
  const start = { ...wireUsage(usage), output_tokens: 1 };
  events.push({
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id: `msg_${Date.now()}`,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: start,
      },
    },
  });
  content.forEach((block, index) => {
    if (block.type === "text") {
      events.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      });
      events.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } },
      });
    } else {
      events.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } },
      });
      events.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } },
      });
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  events.push({
    event: "message_delta",
    data: { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.outputTokens } },
  });
  events.push({ event: "message_stop", data: { type: "message_stop" } });
  sendSse(res, events);
}
