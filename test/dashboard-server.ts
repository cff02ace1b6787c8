/** `br dashboard` started as a user starts it, and plain HTTP requests to it (any Host header, any body). */
import type { ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { brSpawn } from "./helpers.ts";

export interface Dashboard {
  port: number;
  token: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `br dashboard --port 0 --json` and waits for the line that says where it listens. */
export async function startDashboard(cwd: string, env: Record<string, string> = {}, extra: string[] = []): Promise<Dashboard> {
  const child = brSpawn(["dashboard", "--port", "0", "--json", ...extra], { cwd, env, timeoutMs: 10 * 60_000 });
  const first = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    const deadline = setTimeout(() => reject(new Error(`br dashboard did not start in 20 s: ${err}`)), 20_000);
    child.stderr?.on("data", (d) => {
      err += d;
    });
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(deadline);
        resolve(out.split("\n")[0] as string);
      }
    });
    child.on("close", (code) => reject(new Error(`br dashboard exited ${code}: ${err}`)));
  });
  const started = JSON.parse(first) as { url: string; port: number };
  const token = new URL(started.url).hash.replace("#token=", "");
  return {
    port: started.port,
    token,
    url: started.url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("close", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1:port; `headers.host` is sent as given (fetch would not let a test set it). */
export function request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} in 10 s`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads the event stream until `enough(events)` holds or the deadline passes, then disconnects. */
export function readEvents(
  port: number,
  enough: (events: SseEvent[]) => boolean,
  options: { lastEventId?: string; deadlineMs?: number } = {},
): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, accept: "text/event-stream" };
    if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
    const req = httpRequest({ host: "127.0.0.1", port, path: "/api/events", headers }, (res) => {
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) events.push(event);
        }
        if (enough(events)) {
          clearTimeout(deadline);
          req.destroy();
          resolve(events);
        }
      });
    });
    const deadline = setTimeout(() => {
      req.destroy();
      reject(new Error(`the event stream did not deliver in time; got ${events.map((e) => e.event).join(", ")}`));
    }, options.deadlineMs ?? 20_000);
    req.on("error", (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

function parseBlock(block: string): SseEvent | undefined {
  const event: SseEvent = { event: "message", data: "" };
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const [field, ...rest] = line.split(":");
    const value = rest.join(":").replace(/^ /, "");
    if (field === "id") event.id = value;
    else if (field === "event") event.event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  event.data = data.join("\n");
  return event;
}
