/**
 * `br dashboard`: one page and a small JSON API over HTTP (Hono on Node's http server), with live
 * updates as Server-Sent Events. Every request passes the guard (guard.ts) first; every answer is
 * masked JSON or the page itself, with headers that keep it out of frames and other origins.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { Config } from "../infra/config.js";
import type { ProjectPaths } from "../infra/project.js";
import { attemptLogPath } from "../run/agent-log.js";
import { pauseStream, retryTask, stopRun } from "./actions.js";
import { allowedHosts, checkHost, checkMutation, type GuardSettings, isLoopback, isWildcard, tokenMatches, urlHost } from "./guard.js";
import { Hub, safeJson } from "./hub.js";
import page from "./page.html";
import { taskAttempts } from "./snapshot.js";
import { lastLines } from "./tail.js";

export interface DashboardOptions {
  host: string;
  port: number;
  token: string;
  pollMs?: number;
}

export interface RunningDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** How long an idle event stream waits before a keep-alive comment (proxies and browsers drop silent ones). */
const KEEP_ALIVE_MS = 15_000;

export async function startDashboard(paths: ProjectPaths, config: Config, options: DashboardOptions): Promise<RunningDashboard> {
  const hub = new Hub(paths, config);
  await hub.start(options.pollMs ?? 250);
  const settings: GuardSettings = { port: options.port, token: options.token, publicHost: options.host };
  const app = buildApp(paths, hub, settings);
  const server = await listen(app, options).catch(async (error: unknown) => {
    await hub.stop();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  settings.port = port;
  return {
    url: `http://${displayHost(options.host)}:${port}/`,
    port,
    async close() {
      await hub.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The name a browser should use: loopback stays loopback, a wildcard is shown as this machine's loopback. */
function displayHost(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : urlHost(host);
}

type Server = ReturnType<typeof serve> & { closeAllConnections(): void; address(): AddressInfo | string | null };

function listen(app: Hono, options: DashboardOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(server as Server));
    server.once("error", reject);
  });
}

function buildApp(paths: ProjectPaths, hub: Hub, settings: GuardSettings): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    const allowed = allowedHosts(settings);
    const verdict = guard(c, settings, allowed);
    if (!verdict.ok) return c.json({ ok: false, message: `Forbidden: ${verdict.reason}.` }, 403, SECURITY_HEADERS);
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });
  app.get("/", (c) => c.html(PAGE.html, 200, { "Content-Security-Policy": PAGE.csp }));
  app.get("/api/state", async (c) => json(c, 200, (await hub.state()).json));
  app.get("/api/tasks/:id", (c) => json(c, 200, safeJson({ attempts: taskAttempts(hub.reader, c.req.param("id")) })));
  app.get("/api/attempts/:id/log", (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isInteger(id) || id <= 0) return json(c, 404, safeJson({ ok: false, message: "No such attempt." }));
    const count = Math.min(2000, Math.max(1, Number(c.req.query("lines") ?? 500) || 500));
    return json(c, 200, safeJson({ attemptId: id, lines: lastLines(attemptLogPath(paths.state, id), count) }));
  });
  app.get("/api/events", (c) => streamSSE(c, (stream) => sendEvents(hub, stream, c.req.header("last-event-id"))));
  registerActions(app, paths, hub);
  app.notFound((c) => c.json({ ok: false, message: "Not found." }, 404));
  return app;
}

function guard(c: Context, settings: GuardSettings, allowed: ReadonlySet<string>) {
  const hostHeader = c.req.header("host");
  const host = settings.publicHost && isWildcard(settings.publicHost) ? { ok: true as const } : checkHost(hostHeader, allowed);
  if (!host.ok) return host;
  const method = c.req.method;
  if (method !== "GET" && method !== "HEAD") {
    const request = { method, host: hostHeader, contentType: c.req.header("content-type"), origin: c.req.header("origin") };
    return checkMutation({ ...request, token: c.req.header("x-br-token") }, settings);
  }
  // Bound beyond loopback, reading needs the token too (EventSource cannot send headers: ?token= then).
  const open = !settings.publicHost || isLoopback(settings.publicHost) || c.req.path === "/";
  if (!open && !tokenMatches(c.req.header("x-br-token") ?? c.req.query("token"), settings.token))
    return { ok: false as const, status: 403 as const, reason: "the dashboard token is missing or wrong" };
  return { ok: true as const };
}

function registerActions(app: Hono, paths: ProjectPaths, hub: Hub): void {
  const act = async (c: Context, perform: () => Promise<{ status: 200 | 404 | 409; body: object }>) => {
    if (!(await confirmed(c))) return json(c, 400, safeJson({ ok: false, message: 'Send {"confirm": true}: every action is confirmed.' }));
    const result = await perform();
    await hub.refresh();
    return json(c, result.status, safeJson(result.body));
  };
  app.post("/api/streams/:name/pause", (c) => act(c, async () => pauseStream(paths, (await hub.state()).state, c.req.param("name"), true)));
  app.post("/api/streams/:name/resume", (c) =>
    act(c, async () => pauseStream(paths, (await hub.state()).state, c.req.param("name"), false)),
  );
  app.post("/api/run/stop", (c) => act(c, async () => stopRun(paths, (await hub.state()).state)));
  app.post("/api/tasks/:id/retry", (c) => act(c, () => retryTask(paths, c.req.param("id"))));
}

async function confirmed(c: Context): Promise<boolean> {
  try {
    const body = (await c.req.json()) as { confirm?: unknown };
    return body.confirm === true;
  } catch {
    return false;
  }
}

function json(c: Context, status: 200 | 400 | 404 | 409, text: string): Response {
  return c.body(text, status, { "Content-Type": "application/json; charset=utf-8" });
}

/**
 * The event stream of one page: what it missed since Last-Event-ID when the ring still has it,
 * else the whole state and the recent log lines; then each event as it comes.
 */
async function sendEvents(hub: Hub, stream: SSEStreamingApi, lastEventId: string | undefined): Promise<void> {
  let open = true;
  stream.onAbort(() => {
    open = false;
  });
  const asked = eventNumber(lastEventId);
  let cursor = asked !== undefined && hub.ring.after(asked) !== undefined ? asked : await sendWhole(hub, stream);
  while (open) {
    const events = hub.ring.after(cursor);
    if (events === undefined) {
      cursor = await sendWhole(hub, stream);
      continue;
    }
    for (const event of events) await stream.writeSSE({ id: eventId(event.id), event: event.type, data: event.data });
    cursor = events.at(-1)?.id ?? cursor;
    if (events.length === 0 && (await idle(hub, cursor))) await stream.write(": keep-alive\n\n");
  }
}

/**
 * Event ids carry this launch's mark, so an id an earlier server handed out (a restart) is never
 * taken for one of this server's: that page is sent the whole state instead.
 */
const LAUNCH = randomBytes(4).toString("hex");
const eventId = (n: number) => `${LAUNCH}-${n}`;

function eventNumber(lastEventId: string | undefined): number | undefined {
  const match = /^([0-9a-f]{8})-(\d+)$/.exec(lastEventId ?? "");
  return match && match[1] === LAUNCH ? Number(match[2]) : undefined;
}

/** Waits for the next event; true when none came (time for a keep-alive). */
async function idle(hub: Hub, cursor: number): Promise<boolean> {
  await hub.ring.next(KEEP_ALIVE_MS);
  return hub.ring.lastId === cursor;
}

async function sendWhole(hub: Hub, stream: SSEStreamingApi): Promise<number> {
  const { json: state } = await hub.state();
  const cursor = hub.ring.lastId;
  await stream.writeSSE({ id: eventId(cursor), event: "state", data: state });
  for (const backlog of hub.backlog()) await stream.writeSSE({ event: "log", data: safeJson(backlog) });
  return cursor;
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** The page, and a Content-Security-Policy that allows exactly its own inline script and style (by hash). */
const PAGE = (() => {
  const hashes = (tag: string) =>
    [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map(
      (m) =>
        `'sha256-${createHash("sha256")
          .update(m[1] as string)
          .digest("base64")}'`,
    );
  const csp = [
    "default-src 'none'",
    `script-src ${hashes("script").join(" ")}`,
    `style-src ${hashes("style").join(" ")}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html: page, csp };
})();
