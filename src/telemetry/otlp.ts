/**
 * Telemetry events as an OpenTelemetry logs request (OTLP over HTTP, JSON encoding): one log
 * record per event, named `br.<kind>`, its fields as `br.*` attributes. Only the schema's kinds
 * and fields go out, checked again here, so a row written by anything else is never sent.
 */
import { EVENT_FIELDS, type EventKind, sanitize, TELEMETRY_SCHEMA } from "./schema.js";
import type { TelemetryEvent } from "./store.js";

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
export interface OtlpAttribute {
  key: string;
  value: AnyValue;
}
export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: { stringValue: string };
  attributes: OtlpAttribute[];
}
export interface OtlpLogsRequest {
  resourceLogs: {
    resource: { attributes: OtlpAttribute[] };
    scopeLogs: { scope: { name: string; version: string }; logRecords: OtlpLogRecord[] }[];
  }[];
}

/** OTLP's JSON encoding: 64-bit integers as decimal strings, other numbers as doubles. */
function anyValue(value: string | number | boolean): AnyValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

const SEVERITY = { info: [9, "INFO"], error: [17, "ERROR"] } as const;

function logRecord(event: TelemetryEvent): OtlpLogRecord | undefined {
  const millis = Date.parse(event.at);
  // Not the schema's kind, or a damaged row: skipped, so one bad row cannot block every later send.
  if (!Object.hasOwn(EVENT_FIELDS, event.kind) || !Number.isInteger(millis)) return undefined;
  const kind = event.kind as EventKind;
  const nanos = `${BigInt(millis) * 1_000_000n}`;
  const attributes: OtlpAttribute[] = [
    { key: "br.event.id", value: { intValue: String(event.id) } },
    { key: "br.schema", value: { intValue: String(TELEMETRY_SCHEMA) } },
  ];
  // sanitize keeps only identifiers, finite numbers and booleans.
  for (const [field, value] of Object.entries(sanitize(kind, event.data)))
    attributes.push({ key: `br.${field}`, value: anyValue(value as string | number | boolean) });
  const [severityNumber, severityText] = kind === "error" ? SEVERITY.error : SEVERITY.info;
  return {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityNumber,
    severityText,
    eventName: `br.${kind}`,
    body: { stringValue: kind },
    attributes,
  };
}

/** One export request for these events; the resource says only which program sent them (no host, user or path). */
export function otlpLogsRequest(events: readonly TelemetryEvent[], version: string): OtlpLogsRequest {
  const logRecords = events.flatMap((e) => logRecord(e) ?? []);
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "br" } }] },
        scopeLogs: [{ scope: { name: "br.telemetry", version }, logRecords }],
      },
    ],
  };
}

/** The logs URL: a bare origin (as OTEL_EXPORTER_OTLP_ENDPOINT is written) gets /v1/logs; a URL with a path is used as given. */
export function logsUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  if (url.pathname === "/") url.pathname = "/v1/logs";
  return url;
}

/** The endpoint as br prints it: the config refuses credentials in it, and this drops any that got past. */
export function displayEndpoint(endpoint: string): string {
  try {
    const url = logsUrl(endpoint);
    return `${url.protocol}//${url.host}${url.pathname}${url.username || url.password || url.search ? " (credentials hidden)" : ""}`;
  } catch {
    return "(an endpoint that is not a URL)";
  }
}

/**
 * Extra request headers from BR_TELEMETRY_EXPORT_HEADERS, in OpenTelemetry's form
 * `key=value,key2=value2` with URL-encoded values: where an API key belongs, rather than in a
 * config file that is committed. A variable of br's own, not OTEL_EXPORTER_OTLP_HEADERS: a key the
 * user set for another collector never goes to the endpoint a project names. Malformed entries are skipped.
 */
export function otlpHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const spec = env.BR_TELEMETRY_EXPORT_HEADERS;
  const headers: Record<string, string> = {};
  if (spec === undefined) return headers;
  for (const entry of spec.split(",")) {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at).trim();
    if (at <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) continue;
    try {
      headers[name.toLowerCase()] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      // a value that is not URL-encoded text is skipped, like any other malformed entry
    }
  }
  return headers;
}
