/**
 * The Gemini API as Gemini CLI uses it with an API key: `POST /v1beta/models/<model>:streamGenerateContent?alt=sse`
 * (and `:generateContent`, `:countTokens`), answered with server-sent `data:` chunks of
 * GenerateContentResponse: `candidates[].content.parts[]` (text or functionCall), `finishReason`,
 * `usageMetadata` (promptTokenCount, which includes cachedContentTokenCount, candidatesTokenCount,
 * thoughtsTokenCount, totalTokenCount). The first answer to a task calls `write_file`
 * ({file_path, content}) once per file; the answer to the function responses is a final text.
 * Errors use Google's shape, `{"error":{"code","message","status"}}`.
 */
import { type ErrorShape, type ModelServer, sendJson, sendSse, startServer, taskFiles, taskIdIn, usageFor } from "./common.ts";

const ERRORS: Record<ErrorShape, { status: number; grpc: string; message: string }> = {
  // Google answers a bad API key with 400, not 401.
  auth: { status: 400, grpc: "INVALID_ARGUMENT", message: "API key not valid. Please pass a valid API key." },
  "rate-limit": { status: 429, grpc: "RESOURCE_EXHAUSTED", message: "Resource has been exhausted (e.g. check quota)." },
  quota: {
    status: 429,
    grpc: "RESOURCE_EXHAUSTED",
    message: "You exceeded your current quota, please check your plan and billing details.",
  },
  server: {
    status: 500,
    grpc: "INTERNAL",
    message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  },
  overloaded: { status: 503, grpc: "UNAVAILABLE", message: "The model is overloaded. Please try again later." },
  "unknown-model": {
    status: 404,
    grpc: "NOT_FOUND",
    message: "models/gemini-nonexistent-9 is not found for API version v1beta, or is not supported for generateContent.",
  },
};

interface Content {
  role?: string;
  parts?: { text?: string; functionCall?: unknown; functionResponse?: unknown }[];
}

export function startGeminiServer(): Promise<ModelServer> {
  return startServer((req, body, res, server) => {
    const match = /\/models\/([^/:?]+):(\w+)/.exec(req.url ?? "");
    if (req.method !== "POST" || !match) {
      sendJson(res, 404, { error: { code: 404, message: `no route ${req.url}`, status: "NOT_FOUND" } });
      return;
    }
    const [, model = "", method] = match;
    if (method === "countTokens") {
      sendJson(res, 200, { totalTokens: Math.ceil(body.length / 4) });
      return;
    }
    if (server.behaviour.kind === "error") {
      const e = ERRORS[server.behaviour.error];
      sendJson(res, e.status, { error: { code: e.status, message: e.message, status: e.grpc } });
      return;
    }
    const request = JSON.parse(body) as { contents: Content[]; tools?: { functionDeclarations?: { name: string }[] }[] };
    const declared = (request.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((f) => f.name);
    const userText = request.contents
      .filter((c) => c.role === "user")
      .flatMap((c) => c.parts ?? [])
      .map((p) => p.text ?? "")
      .join("\n");
    const taskId = taskIdIn(userText);
    const step = request.contents.filter((c) => c.role === "model" && c.parts?.some((p) => p.functionCall)).length;
    const turn = server.usage.length;
    // Gemini has no cache writes; promptTokenCount includes the cached tokens.
    const usage = { ...usageFor(model, body, turn), cacheWriteTokens: 0 };
    let parts: Record<string, unknown>[];
    if (taskId && declared.includes("write_file") && step === 0) {
      parts = taskFiles(taskId).map((file) => ({
        functionCall: { name: "write_file", args: { file_path: file.path, content: file.content } },
      }));
    } else if (taskId) {
      parts = [{ text: `Done: ${taskId} is implemented and tested.` }];
    } else {
      // A side request (routing, next-speaker check): a plain JSON answer the CLI can parse.
      parts = [{ text: JSON.stringify({ reasoning: "The model should continue.", next_speaker: "user", model_choice: "flash" }) }];
    }
    server.usage.push(usage);
    const wireUsage = {
      promptTokenCount: usage.inputTokens + usage.cacheReadTokens,
      cachedContentTokenCount: usage.cacheReadTokens,
      candidatesTokenCount: usage.outputTokens,
      totalTokenCount: usage.inputTokens + usage.cacheReadTokens + usage.outputTokens,
    };
    const doc = {
      candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
      usageMetadata: wireUsage,
      modelVersion: model,
      responseId: `resp_${turn}`,
    };
    if (method === "streamGenerateContent") sendSse(res, [{ data: doc }]);
    else sendJson(res, 200, doc);
  });
}
