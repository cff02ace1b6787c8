/** The OTLP request br builds from its events, and the exporter's cursor, lease and failure rules, with the network replaced. */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { openStateDb } from "../../src/infra/state-db.ts";
import { BATCH_SIZE, claimSendSlot, confirmExport, exportPending, type Send, withdrawExport } from "../../src/telemetry/export.ts";
import { displayEndpoint, logsUrl, otlpHeaders, otlpLogsRequest } from "../../src/telemetry/otlp.ts";
import { EXPORTING_ENV, pendingEvents, recordTelemetry, type TelemetryEvent, telemetryStatus } from "../../src/telemetry/store.ts";
import { tempDir } from "../helpers.ts";

const event = (id: number, kind: string, data: Record<string, unknown>): TelemetryEvent =>
  ({ id, at: "2026-12-01T10:00:00.250Z", kind, schema: 1, data }) as TelemetryEvent;

describe("otlpLogsRequest", () => {
  it("one log record per event: its time in nanoseconds, name br.<kind>, fields as typed br.* attributes", () => {
    const request = otlpLogsRequest(
      [
        event(7, "task.finished", { kind: "core", attempts: 2, costUsd: 0.125, outcome: "done" }),
        event(8, "error", { class: "usage", exitCode: 2 }),
        event(9, "gate.result", { gate: "lint", passed: false, value: 3 }),
      ],
      "1.2.3",
    );
    const [resource] = request.resourceLogs;
    assert.deepEqual(resource?.resource.attributes, [{ key: "service.name", value: { stringValue: "br" } }]);
    const [scope] = resource?.scopeLogs ?? [];
    assert.deepEqual(scope?.scope, { name: "br.telemetry", version: "1.2.3" });
    const [finished, error, gate] = scope?.logRecords ?? [];
    assert.equal(finished?.timeUnixNano, "1796119200250000000");
    assert.equal(finished?.observedTimeUnixNano, "1796119200250000000");
    assert.deepEqual([finished?.eventName, finished?.severityNumber, finished?.severityText], ["br.task.finished", 9, "INFO"]);
    assert.deepEqual(finished?.body, { stringValue: "task.finished" });
    assert.deepEqual(finished?.attributes, [
      { key: "br.event.id", value: { intValue: "7" } },
      { key: "br.schema", value: { intValue: "1" } },
      { key: "br.kind", value: { stringValue: "core" } },
      { key: "br.attempts", value: { intValue: "2" } },
      { key: "br.outcome", value: { stringValue: "done" } },
      { key: "br.costUsd", value: { doubleValue: 0.125 } },
    ]);
    assert.deepEqual([error?.eventName, error?.severityNumber, error?.severityText], ["br.error", 17, "ERROR"]);
    assert.deepEqual(gate?.attributes.slice(2), [
      { key: "br.gate", value: { stringValue: "lint" } },
      { key: "br.passed", value: { boolValue: false } },
      { key: "br.value", value: { intValue: "3" } },
    ]);
  });

  it("sends only the schema: unknown kinds and fields, and values that break a field's rule, never leave", () => {
    const request = otlpLogsRequest(
      [
        event(1, "prompt.sent", { text: "the whole prompt" }),
        event(2, "command.run", { command: "/home/alice/secret", durationMs: 5, cwd: "/home/alice", exitCode: 0 }),
      ],
      "1.0.0",
    );
    const records = request.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
    assert.equal(records.length, 1);
    assert.deepEqual(
      records[0]?.attributes.map((a) => a.key),
      ["br.event.id", "br.schema", "br.durationMs", "br.exitCode"],
    );
    assert.ok(!JSON.stringify(request).includes("alice"));
  });
});

describe("endpoint and headers", () => {
  it("a bare origin gets /v1/logs; a path is kept; the printed form hides credentials", () => {
    assert.equal(logsUrl("http://127.0.0.1:4318").href, "http://127.0.0.1:4318/v1/logs");
    assert.equal(logsUrl("https://otel.example.com/").href, "https://otel.example.com/v1/logs");
    assert.equal(logsUrl("https://otel.example.com/ingest/logs").href, "https://otel.example.com/ingest/logs");
    assert.equal(displayEndpoint("https://user:hunter2@otel.example.com/x?token=abc"), "https://otel.example.com/x (credentials hidden)"); // br:allow (an endpoint with credentials, refused)
    assert.equal(displayEndpoint("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/logs");
    assert.equal(displayEndpoint("not a url"), "(an endpoint that is not a URL)");
    for (const hidden of ["https://user@h.example/", "https://:pw@h.example/", "https://h.example/?key=1"])
      assert.match(displayEndpoint(hidden), /^https:\/\/h\.example\/v1\/logs \(credentials hidden\)$/, hidden);
  });

  it("headers come from BR_TELEMETRY_EXPORT_HEADERS in the OpenTelemetry form, URL-decoded; malformed entries are skipped", () => {
    assert.deepEqual(otlpHeaders({ BR_TELEMETRY_EXPORT_HEADERS: "Authorization=Bearer%20abc, x-team=core,novalue,=x,bad name=1,y=%E0" }), {
      authorization: "Bearer abc",
      "x-team": "core",
    });
    assert.deepEqual(
      otlpHeaders({ OTEL_EXPORTER_OTLP_HEADERS: "a=1", OTEL_EXPORTER_OTLP_LOGS_HEADERS: "b=2" }),
      {},
      "never another collector's key",
    );
    assert.deepEqual(otlpHeaders({}), {});
    assert.deepEqual(otlpHeaders({ BR_TELEMETRY_EXPORT_HEADERS: "x-key= spaced value " }), { "x-key": "spaced value" });
  });
});

/** A project with telemetry on and an endpoint set and confirmed, holding `count` command events recorded after. */
function projectWith(count: number, endpoint: string | null = "http://127.0.0.1:9/") {
  const paths = projectPaths(tempDir("br-export-"));
  const config = configSchema.parse({ telemetry: { export: endpoint === null ? {} : { endpoint } } });
  if (endpoint !== null) confirmExport(paths, endpoint);
  for (let i = 0; i < count; i++) recordTelemetry(paths, config, "command.run", { command: "status", durationMs: i, exitCode: 0 });
  return { paths, config };
}

/** What a send that found nothing to send, or was not allowed to send, returns. */
const NOTHING_SENT = { sent: 0, dropped: 0, requests: 0, pending: 0, error: null, busy: false };

/** A network that answers each request with the next status (or throws it), keeping the bodies. */
function network(...answers: (number | Error)[]) {
  const bodies: { url: string; records: number; headers: Record<string, string> }[] = [];
  const send: Send = async (url, body, headers) => {
    const answer = answers.shift() ?? 200;
    bodies.push({ url: url.href, records: JSON.parse(body).resourceLogs[0].scopeLogs[0].logRecords.length, headers });
    if (answer instanceof Error) throw answer;
    return { status: answer };
  };
  return { send, bodies };
}

describe("exportPending", () => {
  it("sends every pending event in batches, advances the cursor, and sends nothing twice", async () => {
    const { paths, config } = projectWith(BATCH_SIZE + 3);
    const net = network();
    const first = await exportPending(paths, config, "1.0.0", net.send);
    assert.deepEqual(first, { sent: BATCH_SIZE + 3, dropped: 0, requests: 2, pending: 0, error: null, busy: false });
    assert.deepEqual(
      net.bodies.map((b) => [b.url, b.records]),
      [
        ["http://127.0.0.1:9/v1/logs", BATCH_SIZE],
        ["http://127.0.0.1:9/v1/logs", 3],
      ],
    );
    assert.deepEqual(await exportPending(paths, config, "1.0.0", net.send), NOTHING_SENT);
    assert.equal(pendingEvents(paths).length, 0);
    const status = telemetryStatus(paths, config).exporter;
    assert.equal(status?.sentTotal, BATCH_SIZE + 3);
    assert.equal(status?.lastError, null);
  });

  it("a failure keeps the batch pending; only a malformed or too large batch (400, 413) is dropped, and either stops the send", async () => {
    const { paths, config } = projectWith(BATCH_SIZE + 2);
    for (const answer of [503, 429, 401, 404, 500, Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } })]) {
      const result = await exportPending(paths, config, "1.0.0", network(answer).send);
      assert.deepEqual([result.sent, result.requests, result.pending], [0, 1, BATCH_SIZE + 2], String(answer));
    }
    assert.equal(telemetryStatus(paths, config).exporter?.lastError, "ECONNREFUSED");
    const timeout = await exportPending(paths, config, "1.0.0", network(new DOMException("late", "TimeoutError")).send);
    assert.equal(timeout.error, "timeout");
    const moved = await exportPending(paths, config, "1.0.0", network(301).send);
    assert.equal(moved.error, "HTTP 301 (redirects are not followed)");
    const refused = await exportPending(paths, config, "1.0.0", network(400).send);
    assert.deepEqual(refused, {
      sent: 0,
      dropped: BATCH_SIZE,
      requests: 1,
      pending: 2,
      error: `HTTP 400: ${BATCH_SIZE} event(s) dropped`,
      busy: false,
    });
    const tooLarge = await exportPending(paths, config, "1.0.0", network(413).send);
    assert.deepEqual([tooLarge.dropped, tooLarge.pending], [2, 0]);
  });

  it("while another sender holds the lease, nothing is sent; a lease that ran out is taken over", async () => {
    const { paths, config } = projectWith(1);
    const db = openStateDb(paths);
    db.prepare("UPDATE telemetry_export SET lease_until = ? WHERE id = 1").run(Date.now() + 60_000);
    const net = network();
    assert.deepEqual(await exportPending(paths, config, "1.0.0", net.send), {
      sent: 0,
      dropped: 0,
      requests: 0,
      pending: 1,
      error: null,
      busy: true,
    });
    db.prepare("UPDATE telemetry_export SET lease_until = ? WHERE id = 1").run(Date.now() - 1);
    db.close();
    assert.equal((await exportPending(paths, config, "1.0.0", net.send)).sent, 1);
    assert.equal(net.bodies.length, 1);
  });

  it("off or without an endpoint it opens no connection", async () => {
    const net = network();
    const { paths } = projectWith(1);
    const off = configSchema.parse({ telemetry: { enabled: false, export: { endpoint: "http://127.0.0.1:9" } } });
    assert.deepEqual(await exportPending(paths, off, "1.0.0", net.send), NOTHING_SENT);
    const none = projectWith(1, null);
    assert.equal((await exportPending(none.paths, none.config, "1.0.0", net.send)).requests, 0);
    assert.equal(net.bodies.length, 0);
  });

  it("an endpoint is sent to only once confirmed on this machine, from the events recorded after; withdrawn, never again", async () => {
    const paths = projectPaths(tempDir("br-export-"));
    const config = configSchema.parse({ telemetry: { export: { endpoint: "http://127.0.0.1:9" } } });
    for (let i = 0; i < 3; i++) recordTelemetry(paths, config, "command.run", { command: "status", durationMs: i, exitCode: 0 });
    const net = network();
    assert.deepEqual(await exportPending(paths, config, "1.0.0", net.send), {
      sent: 0,
      dropped: 0,
      requests: 0,
      pending: 3,
      error: null,
      busy: false,
    });
    assert.equal(telemetryStatus(paths, config).exporter?.confirmed, false);
    assert.equal(confirmExport(paths, "http://127.0.0.1:9"), 3);
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 9, exitCode: 0 });
    assert.equal((await exportPending(paths, config, "1.0.0", net.send)).sent, 1, "only the event after the confirmation");
    const moved = configSchema.parse({ telemetry: { export: { endpoint: "http://127.0.0.2:9" } } });
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 9, exitCode: 0 });
    assert.equal((await exportPending(paths, moved, "1.0.0", net.send)).requests, 0, "a changed endpoint needs its own confirmation");
    withdrawExport(paths);
    assert.equal((await exportPending(paths, config, "1.0.0", net.send)).requests, 0);
    assert.equal(net.bodies.length, 1);
  });

  it("a sender that lost its lease stops, never moves the cursor back and never frees the new owner's lease", async () => {
    const { paths, config } = projectWith(BATCH_SIZE * 2);
    let stolen = 0;
    const send: Send = async () => {
      // Another sender takes over mid-send, as after a stall past the lease, and has sent further.
      const db = openStateDb(paths);
      db.prepare("UPDATE telemetry_export SET lease_owner = 'other', lease_until = ?, sent_through = ? WHERE id = 1").run(
        Date.now() + 60_000,
        BATCH_SIZE * 2,
      );
      db.close();
      stolen++;
      return { status: 200 };
    };
    const result = await exportPending(paths, config, "1.0.0", send);
    assert.equal(stolen, 1, "stopped after the write that found the lease gone");
    assert.equal(result.pending, 0, "the cursor stayed where the new owner put it");
    assert.ok(leaseUntil(paths) > Date.now(), "the new owner's lease is untouched");
  });

  it("a damaged row (a time or data that does not parse) is skipped, not a block on every later send", async () => {
    const { paths, config } = projectWith(1);
    const db = openStateDb(paths);
    db.prepare("INSERT INTO telemetry (at, kind, schema, data) VALUES ('yesterday', 'command.run', 1, '{}')").run();
    db.prepare("INSERT INTO telemetry (at, kind, schema, data) VALUES (?, 'command.run', 1, 'not json')").run(new Date().toISOString());
    db.close();
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 2, exitCode: 0 });
    const net = network();
    const result = await exportPending(paths, config, "1.0.0", net.send);
    assert.deepEqual([result.sent, result.pending, result.error], [4, 0, null]);
    assert.deepEqual(
      net.bodies.map((b) => b.records),
      [3],
      "the row without a time is left out of the body",
    );
  });

  it("event ids are never reused after a purge, so events recorded later are still sent", async () => {
    const { paths, config } = projectWith(3);
    await exportPending(paths, config, "1.0.0", network().send);
    const db = openStateDb(paths);
    db.exec("DELETE FROM telemetry");
    db.close();
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 1, exitCode: 0 });
    assert.deepEqual(
      pendingEvents(paths).map((e) => e.id),
      [4],
    );
  });
});

describe("exportPending, more closely", () => {
  it("posts JSON to the logs URL over real HTTP with the configured headers, and holds the lease only while sending", async (t) => {
    const received: { url: string | undefined; type: string | undefined; auth: string | undefined; records: number }[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push({
          url: request.url,
          type: request.headers["content-type"],
          auth: request.headers.authorization,
          records: JSON.parse(body).resourceLogs[0].scopeLogs[0].logRecords.length,
        });
        response.end("{}");
      });
    });
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    t.after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const { paths, config } = projectWith(3, `http://127.0.0.1:${port}`);
    const saved = process.env.BR_TELEMETRY_EXPORT_HEADERS;
    process.env.BR_TELEMETRY_EXPORT_HEADERS = "authorization=Bearer%20k";
    try {
      assert.deepEqual(await exportPending(paths, config, "1.0.0"), {
        sent: 3,
        dropped: 0,
        requests: 1,
        pending: 0,
        error: null,
        busy: false,
      });
    } finally {
      if (saved === undefined) delete process.env.BR_TELEMETRY_EXPORT_HEADERS;
      else process.env.BR_TELEMETRY_EXPORT_HEADERS = saved;
    }
    assert.deepEqual(received, [{ url: "/v1/logs", type: "application/json", auth: "Bearer k", records: 3 }]);
    assert.equal(leaseUntil(paths), 0, "the lease is let go");
  });

  it("the lease runs ahead of the clock during every request, and at most 20 requests go per send", async () => {
    const { paths, config } = projectWith(0);
    insertEvents(paths, 20 * BATCH_SIZE + 5);
    const leases: number[] = [];
    const send: Send = async () => {
      leases.push(leaseUntil(paths) - Date.now());
      return { status: 200 };
    };
    const first = await exportPending(paths, config, "1.0.0", send);
    assert.deepEqual(first, { sent: 20 * BATCH_SIZE, dropped: 0, requests: 20, pending: 5, error: null, busy: false });
    assert.ok(
      leases.every((ms) => ms > 20_000),
      String(leases),
    );
    assert.equal((await exportPending(paths, config, "1.0.0", send)).sent, 5);
  });

  it("any 2xx is accepted; the last error stays until a send goes through", async () => {
    const { paths, config } = projectWith(1);
    assert.equal((await exportPending(paths, config, "1.0.0", network(204).send)).sent, 1);
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 1, exitCode: 0 });
    assert.equal((await exportPending(paths, config, "1.0.0", network(299).send)).sent, 1);
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 1, exitCode: 0 });
    assert.equal((await exportPending(paths, config, "1.0.0", network(400).send)).error, "HTTP 400: 1 event(s) dropped");
    await exportPending(paths, config, "1.0.0", network().send);
    assert.equal(telemetryStatus(paths, config).exporter?.lastError, "HTTP 400: 1 event(s) dropped", "nothing was pending");
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 1, exitCode: 0 });
    await exportPending(paths, config, "1.0.0", network(200).send);
    assert.equal(telemetryStatus(paths, config).exporter?.lastError, null);
  });

  it("a failure is named by its class only", async () => {
    const { paths, config } = projectWith(1);
    const cases: [unknown, string][] = [
      [new TypeError("fetch failed"), "network error"],
      [Object.assign(new TypeError("fetch failed"), { cause: { code: "econnreset /x" } }), "network error"],
      [Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } }), "ENOTFOUND"],
      [new DOMException("stopped", "AbortError"), "timeout"],
      [null, "network error"],
    ];
    for (const [thrown, expected] of cases) {
      const send: Send = async () => {
        throw thrown;
      };
      assert.equal((await exportPending(paths, config, "1.0.0", send)).error, expected);
    }
  });
});

describe("claimSendSlot", () => {
  it("claims once per interval, only with events pending, no lease held, telemetry on and outside the sender", () => {
    const { paths } = projectWith(0);
    const config = configSchema.parse({ telemetry: { export: { endpoint: "http://127.0.0.1:9", intervalSeconds: 60 } } });
    confirmExport(paths, "http://127.0.0.1:9");
    const now = Date.now();
    assert.equal(claimSendSlot(paths, config, now), false, "nothing pending");
    recordTelemetry(paths, config, "command.run", { command: "status", durationMs: 1, exitCode: 0 });
    assert.equal(claimSendSlot(paths, config, now), true);
    assert.equal(claimSendSlot(paths, config, now + 59_000), false, "within the interval");
    assert.equal(claimSendSlot(paths, config, now + 60_000), true, "an interval later");
    const db = openStateDb(paths);
    db.prepare("UPDATE telemetry_export SET lease_until = ? WHERE id = 1").run(now + 200_000);
    db.close();
    assert.equal(claimSendSlot(paths, config, now + 120_000), false, "a send holds the lease");
    assert.equal(claimSendSlot(paths, config, now + 200_001), true, "the lease ran out");
    const off = configSchema.parse({ telemetry: { enabled: false, export: { endpoint: "http://127.0.0.1:9", intervalSeconds: 0 } } });
    assert.equal(claimSendSlot(paths, off, now + 900_000), false, "telemetry off");
    const none = configSchema.parse({ telemetry: { export: { intervalSeconds: 0 } } });
    assert.equal(claimSendSlot(paths, none, now + 900_000), false, "no endpoint");
    process.env[EXPORTING_ENV] = "1";
    try {
      assert.equal(claimSendSlot(paths, config, now + 900_000), false, "the sender itself");
    } finally {
      delete process.env[EXPORTING_ENV];
    }
    assert.equal(claimSendSlot(paths, config, now + 900_000), true);
    withdrawExport(paths);
    assert.equal(claimSendSlot(paths, config, now + 2_000_000), false, "not confirmed");
  });
});

function leaseUntil(paths: ReturnType<typeof projectPaths>): number {
  const db = openStateDb(paths);
  try {
    return Number((db.prepare("SELECT lease_until FROM telemetry_export").get() as { lease_until: number }).lease_until);
  } finally {
    db.close();
  }
}

function insertEvents(paths: ReturnType<typeof projectPaths>, count: number): void {
  const db = openStateDb(paths);
  try {
    db.exec("BEGIN");
    const insert = db.prepare("INSERT INTO telemetry (at, kind, schema, data) VALUES (?, 'command.run', 1, ?)");
    for (let i = 0; i < count; i++) insert.run(new Date().toISOString(), JSON.stringify({ command: "status", durationMs: i, exitCode: 0 }));
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}
