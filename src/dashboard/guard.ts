/**
 * Who may talk to the dashboard. Three rules, each against a known attack on local dashboards:
 * the Host header must name this server (a DNS-rebinding page sends its own name); a request that
 * changes anything must be JSON (a cross-site form or text/plain POST cannot be, without a CORS
 * preflight this server never grants), come from this origin when the browser says where it came
 * from, and carry the token handed out at launch (a page elsewhere cannot know it).
 */
import { timingSafeEqual } from "node:crypto";

export interface GuardSettings {
  port: number;
  /** The per-launch token. */
  token: string;
  /** The address the server listens on, when it is not loopback (then also a valid Host). */
  publicHost?: string;
}

export type Verdict = { ok: true } | { ok: false; status: 403; reason: string };

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Listening on every address: the Host can be any of this machine's names, so the token guards every request. */
export function isWildcard(host: string): boolean {
  return WILDCARDS.has(host);
}

/** `::1` → `[::1]`: the form a Host header and a URL use. */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** The exact Host values this server answers to: loopback names (and the bound name) with its port. */
export function allowedHosts(settings: GuardSettings): Set<string> {
  const names = [...LOOPBACK_NAMES];
  if (settings.publicHost && !isWildcard(settings.publicHost)) names.push(urlHost(settings.publicHost).toLowerCase());
  const hosts = new Set(names.map((name) => `${name}:${settings.port}`));
  // Browsers leave out the default port.
  if (settings.port === 80) for (const name of names) hosts.add(name);
  return hosts;
}

export function checkHost(host: string | undefined, allowed: ReadonlySet<string>): Verdict {
  if (host !== undefined && allowed.has(host.toLowerCase())) return { ok: true };
  return deny(`Host "${host ?? ""}" is not this dashboard (only ${[...allowed].join(", ")})`);
}

export interface MutationRequest {
  method: string;
  /** The request's Host, already checked: a browser's Origin for this page is http://<host>. */
  host: string | undefined;
  contentType: string | undefined;
  origin: string | undefined;
  token: string | undefined;
}

/** The rules for a request that changes state (anything but GET and HEAD). */
export function checkMutation(request: MutationRequest, settings: GuardSettings): Verdict {
  const mediaType = request.contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") return deny("a request that changes state must be application/json");
  if (request.origin !== undefined && request.origin.toLowerCase() !== `http://${request.host ?? ""}`.toLowerCase())
    return deny(`Origin "${request.origin}" is not this dashboard`);
  if (!tokenMatches(request.token, settings.token))
    return deny("the dashboard token is missing or wrong (open the URL br dashboard printed)");
  return { ok: true };
}

/** Compared in constant time, so the token cannot be guessed a character at a time. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined || token === "") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function deny(reason: string): Verdict {
  return { ok: false, status: 403, reason };
}
