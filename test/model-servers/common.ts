/**
 * What the model-API servers share: an HTTP server on 127.0.0.1, the behaviour a test sets
 * (do the task, answer with an error shape, hang), the task's files the "model" writes, and a
 * record of every request and of the usage each answer reported.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How the server answers the agent's model requests. */
export type Behaviour =
  /** Does the task: writes its files, then (where the CLI has a shell tool the server uses) runs `run`, then answers. */
  | { kind: "work"; run?: string }
  | { kind: "error"; error: ErrorShape }
  /** Accepts the request and never answers. */
  | { kind: "hang" }
  /** Closes the connection without an answer. */
  | { kind: "drop" };

export type ErrorShape = "auth" | "rate-limit" | "quota" | "server" | "overloaded" | "unknown-model";

export interface ServedUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ModelServer {
  url: string;
  port: number;
  behaviour: Behaviour;
  requests: RecordedRequest[];
  /** The usage each successful model answer reported, in order. */
  usage: ServedUsage[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, body: string, res: ServerResponse, server: ModelServer) => void;

/** Starts a server on a free port of 127.0.0.1 that records requests and hands them to `handle`. */
export async function startServer(handle: Handler, onUpgrade?: (req: IncomingMessage, socket: Socket) => void): Promise<ModelServer> {
  const sockets = new Set<Socket>();
  const http: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      state.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (req.method === "POST" && state.behaviour.kind === "hang") return; // never answers
      if (req.method === "POST" && state.behaviour.kind === "drop") {
        req.socket.destroy();
        return;
      }
      try {
        handle(req, body, res, state);
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" }).end(String((error as Error).stack));
      }
    });
  });
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  http.on("upgrade", (req, socket: Socket) => {
    state.requests.push({ method: `UPGRADE ${req.method}`, url: req.url ?? "", headers: req.headers, body: "" });
    if (onUpgrade) onUpgrade(req, socket);
    else socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const state: ModelServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    behaviour: { kind: "work" },
    requests: [],
    usage: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        http.close(() => resolve());
      }),
  };
  return state;
}

/** The task id in br's prompt (`# Task greeting.core: …`), wherever the agent put the prompt in its request. */
export function taskIdIn(text: string): string | undefined {
  return /# Task ([a-z0-9][\w.-]*):/i.exec(text)?.[1];
}

export interface TaskFile {
  path: string;
  content: string;
}

/** The files a good model writes for a task: a module returning the task id and a test that checks it. */
export function taskFiles(taskId: string): TaskFile[] {
  const slug = taskId.replace(/[^a-z0-9]+/gi, "_");
  return [
    { path: `src/${slug}.js`, content: `module.exports = { ${slug}: () => ${JSON.stringify(taskId)} };\n` },
    {
      path: `test/${slug}.test.js`,
      content: `const test = require("node:test");\nconst assert = require("node:assert");\nconst m = require("../src/${slug}.js");\ntest(${JSON.stringify(taskId)}, () => assert.equal(m.${slug}(), ${JSON.stringify(taskId)}));\n`,
    },
  ];
}

/** Token counts that vary with the request, so a ledger that copies the wrong answer's usage shows. */
export function usageFor(model: string, body: string, turn: number): ServedUsage {
  return {
    model,
    inputTokens: 1000 + (body.length % 997) + turn * 10,
    outputTokens: 100 + turn * 7,
    cacheWriteTokens: 200 + turn,
    cacheReadTokens: 3000 + turn * 100,
  };
}

export function sendJson(res: ServerResponse, status: number, doc: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(doc));
}

/** Writes server-sent events, with or without `event:` lines. */
export function sendSse(res: ServerResponse, events: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const { event, data } of events) res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
  res.end();
}

/** Sums the usage a server reported, as br's ledger should hold it. */
export function totalUsage(usage: ServedUsage[]): Omit<ServedUsage, "model"> {
  return usage.reduce(
    (sum, u) => ({
      inputTokens: sum.inputTokens + u.inputTokens,
      outputTokens: sum.outputTokens + u.outputTokens,
      cacheWriteTokens: sum.cacheWriteTokens + u.cacheWriteTokens,
      cacheReadTokens: sum.cacheReadTokens + u.cacheReadTokens,
    }),
    { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
  );
}
