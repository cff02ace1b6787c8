/**
 * The one telemetry schema (version 1, docs/telemetry.md). Every event kind lists its fields and
 * what each may hold; anything else is dropped before it is stored. Strings are short identifiers
 * (a command name, a model id, a rule id), never free text: no path, prompt, output, name or
 * secret fits the pattern, and a string the masker would change is dropped as well.
 */
import { mask } from "../security/mask.js";

export const TELEMETRY_SCHEMA = 1;

type Rule = "id" | "count" | "number" | "boolean" | readonly string[];

/** Fields per event kind, and the rule each value must meet. */
export const EVENT_FIELDS = {
  "command.run": { command: "id", durationMs: "count", exitCode: "count" },
  "task.finished": {
    kind: "id",
    tier: "id",
    model: "id",
    attempts: "count",
    outcome: ["done", "failed", "stopped"],
    costUsd: "number",
    durationMs: "count",
  },
  "gate.result": { gate: "id", passed: "boolean", value: "number" },
  "security.findings": { rule: "id", count: "count" },
  error: { class: "id", exitCode: "count" },
  "threshold.reached": { features: "count" },
} as const satisfies Record<string, Record<string, Rule>>;

export type EventKind = keyof typeof EVENT_FIELDS;
export const EVENT_KINDS = Object.keys(EVENT_FIELDS) as EventKind[];

/** An identifier: letters, digits and . _ - : and single spaces (a command path), no slashes, at most 64 characters. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*(?: [A-Za-z0-9._:-]+)*$/;

/**
 * A part of 16 or more letters and digits mixed, with no separator: how keys and tokens look
 * (AKIA…, a hex digest), and no command, kind, rule or model id does.
 */
function keyLike(value: string): boolean {
  return value.split(/[.:\- ]/).some((part) => part.length >= 16 && /\d/.test(part) && /[A-Za-z]/.test(part));
}

function valid(rule: Rule, value: unknown): boolean {
  if (Array.isArray(rule)) return rule.includes(value as string);
  switch (rule) {
    case "id":
      return typeof value === "string" && value.length <= 64 && IDENTIFIER.test(value) && !keyLike(value) && mask(value) === value;
    case "count":
      return Number.isInteger(value) && (value as number) >= 0;
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    default:
      return typeof value === "boolean";
  }
}

/** The event's data with only its schema's fields, each meeting its rule; other fields are dropped. */
export function sanitize(kind: EventKind, data: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, Rule> = EVENT_FIELDS[kind];
  const clean: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(fields)) if (valid(rule, data[field])) clean[field] = data[field];
  return clean;
}
