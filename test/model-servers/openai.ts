/**
 * The OpenAI Responses API as Codex uses it: `POST <base>/responses` with `stream: true`,
 * answered with server-sent events (response.created, response.output_item.added/done,
 * response.completed carrying `usage`: input_tokens (cached ones included),
 * input_tokens_details.cached_tokens, output_tokens). Codex first tries a WebSocket on the same
 * URL: the upgrade is refused, so it falls back to HTTPS. The first answer to a task calls the
 * `apply_patch` tool with an "Add File" patch (a freeform custom tool call, or a function call with
 * `{"input": patch}`, whichever the request declares); the answer to its output is a final message.
 * Errors use the API's shape, `{"error":{"message","type","param","code"}}`.
 */
import type { ServerResponse } from "node:http";
import { type ErrorShape, type ModelServer, sendJson, sendSse, startServer, taskFiles, taskIdIn, usageFor } from "./common.ts";

const ERRORS: Record<ErrorShape, { status: number; type: string; code: string | null; message: string; headers?: Record<string, string> }> =
  {
    auth: {
      status: 401,
      type: "invalid_request_error",
      code: "invalid_api_key",
      message: "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.",
    },
    "rate-limit": {
      status: 429,
      type: "tokens",
      code: "rate_limit_exceeded",
      message:
        "Rate limit reached for gpt-5 in organization org-test on tokens per min (TPM): Limit 30000, Used 30000, Requested 900. Please try again in 1s.",
      headers: { "retry-after": "1" },
    },
    quota: {
      status: 429,
      type: "insufficient_quota",
      code: "insufficient_quota",
      message: "You exceeded your current quota, please check your plan and billing details.",
    },
    server: {
      status: 500,
      type: "server_error",
      code: null,
      message: "The server had an error while processing your request. Sorry about that!",
    },
    overloaded: { status: 503, type: "server_error", code: null, message: "The engine is currently overloaded, please try again later." },
    "unknown-model": {
      status: 400,
      type: "invalid_request_error",
      code: "model_not_found",
      message: "The model `gpt-nonexistent-9` does not exist or you do not have access to it.",
    },
  };

interface Tool {
  type: string;
  name?: string;
}

/** An apply_patch patch that adds each file. */
export function addFilesPatch(files: { path: string; content: string }[]): string {
  const adds = files.map(
    (f) =>
      `*** Add File: ${f.path}\n${f.content
        .replace(/\n$/, "")
        .split("\n")
        .map((l) => `+${l}`)
        .join("\n")}`,
  );
  return `*** Begin Patch\n${adds.join("\n")}\n*** End Patch\n`;
}

export function startOpenAiServer(): Promise<ModelServer> {
  return startServer((req, body, res, server) => {
    if (req.method === "GET") {
      sendJson(res, 200, { object: "list", data: [] });
      return;
    }
    if (!req.url?.endsWith("/responses")) {
      sendJson(res, 404, { error: { message: `no route ${req.url}`, type: "invalid_request_error", param: null, code: null } });
      return;
    }
    if (server.behaviour.kind === "error") {
      const e = ERRORS[server.behaviour.error];
      sendJson(res, e.status, { error: { message: e.message, type: e.type, param: null, code: e.code } }, e.headers ?? {});
      return;
    }
    const request = JSON.parse(body) as { model: string; input: { type?: string; role?: string }[]; tools?: Tool[] };
    const taskId = taskIdIn(body);
    const step = request.input.filter((item) => item.type === "function_call" || item.type === "custom_tool_call").length;
    const patchTool = request.tools?.find((t) => t.name === "apply_patch");
    const turn = server.usage.length;
    // OpenAI has no cache writes: cached input is read, and counted inside input_tokens on the wire.
    const usage = { ...usageFor(request.model, body, turn), cacheWriteTokens: 0 };
    let item: Record<string, unknown>;
    if (taskId && patchTool && step === 0) {
      const patch = addFilesPatch(taskFiles(taskId));
      item =
        patchTool.type === "custom"
          ? { type: "custom_tool_call", id: `ctc_${turn}`, status: "completed", call_id: `call_${turn}`, name: "apply_patch", input: patch }
          : {
              type: "function_call",
              id: `fc_${turn}`,
              status: "completed",
              call_id: `call_${turn}`,
              name: "apply_patch",
              arguments: JSON.stringify({ input: patch }),
            };
    } else {
      const text = taskId ? `Done: ${taskId} is implemented and tested.` : "Done.";
      item = {
        type: "message",
        id: `msg_${turn}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [] }],
      };
    }
    server.usage.push(usage);
    streamResponse(res, `resp_${turn}`, request.model, item, usage);
  });
}

function streamResponse(
  res: ServerResponse,
  id: string,
  model: string,
  item: Record<string, unknown>,
  usage: ReturnType<typeof usageFor>,
): void {
  const response = { id, object: "response", model, status: "in_progress", output: [] as unknown[] };
  const wire = {
    input_tokens: usage.inputTokens + usage.cacheReadTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.cacheReadTokens + usage.outputTokens,
  };
  const events: { event: string; data: Record<string, unknown> }[] = [
    { event: "response.created", data: { type: "response.created", response } },
    { event: "response.output_item.added", data: { type: "response.output_item.added", output_index: 0, item } },
  ];
  if (item.type === "message") {
    const text = ((item.content as { text: string }[])[0] as { text: string }).text;
    events.push({
      event: "response.output_text.delta",
      data: { type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta: text },
    });
  }
  events.push({ event: "response.output_item.done", data: { type: "response.output_item.done", output_index: 0, item } });
  events.push({
    event: "response.completed",
    data: { type: "response.completed", response: { ...response, status: "completed", output: [item], usage: wire } },
  });
  let sequence = 0;
  sendSse(
    res,
    events.map((e) => ({ event: e.event, data: { ...e.data, sequence_number: sequence++ } })),
  );
}
