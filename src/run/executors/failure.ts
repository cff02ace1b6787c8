/**
 * Sorts an agent's failure into the classes the loop acts on (see Failure in types.ts), from the
 * HTTP status the CLI reported and, where it gave none, from its words. Patterns are data.
 */
import raw from "../../../data/agent-failures.json" with { type: "json" };
import type { Failure, FailureClass } from "./types.js";

let cached: { setup: { re: RegExp; fix: string }[]; transient: RegExp[] } | undefined;

function patterns(): NonNullable<typeof cached> {
  if (!cached) {
    cached = {
      setup: raw.setup.map((s) => ({ re: new RegExp(s.pattern, "i"), fix: s.fix })),
      transient: raw.transient.map((t) => new RegExp(t, "i")),
    };
  }
  return cached;
}

/** The class an HTTP status alone decides, if it decides one. */
export function classOfStatus(status: number | undefined): FailureClass | undefined {
  if (status === undefined) return undefined;
  if (status === 401 || status === 403) return "setup";
  if (status === 408 || status === 409 || status === 429 || status >= 500) return "transient";
  return undefined;
}

/** A limit that resets within minutes (Google words its per-minute limits like an exhausted quota). */
const SHORT_LIMIT = /per.?minute|PerMinute|retry in \d+(\.\d+)?\s*s|"retryDelay"/i;

/**
 * Classifies an API error. A server error (5xx) or a limit that resets within minutes is an
 * outage whatever it says. Otherwise words win over a status where they are more precise: a 429
 * that says "insufficient quota" is a billing problem (setup), not a rate limit; a 400 or 404 that
 * names the model is an unknown model (setup).
 */
export function classifyApiError(message: string, status?: number): Failure {
  const { setup, transient } = patterns();
  if ((status !== undefined && status >= 500) || SHORT_LIMIT.test(message)) return { class: "transient", message };
  const setupMatch = setup.find((s) => s.re.test(message));
  if (setupMatch) return { class: "setup", message, fix: setupMatch.fix };
  const byStatus = classOfStatus(status);
  if (byStatus === "setup") return { class: "setup", message, fix: setup.find((s) => s.re.test("authentication"))?.fix ?? "" };
  if (byStatus === "transient" || transient.some((re) => re.test(message))) return { class: "transient", message };
  return { class: "task", message };
}
