/**
 * br telemetry, end to end with the built br: what a real run records, that planted secrets and
 * private paths never reach the store, the switches, and the feature thresholds.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { project } from "./agent-project.ts";
import { br, brOk, git, tempDir, tempRepo, waitFor } from "./helpers.ts";

/** Telemetry on: the suite's default environment turns it off. */
const ON = { BR_TELEMETRY_DISABLED: undefined, DO_NOT_TRACK: undefined };

interface Event {
  id: number;
  kind: string;
  schema: number;
  data: Record<string, unknown>;
}

function storedRows(cwd: string): string[] {
  const file = join(cwd, ".buildrunner", "state", "state.db");
  if (!existsSync(file)) return [];
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    // A background send br started may be writing its cursor right now: wait for it, as br does.
    db.exec("PRAGMA busy_timeout = 10000");
    return (db.prepare("SELECT kind, data FROM telemetry ORDER BY id").all() as { kind: string; data: string }[]).map(
      (r) => `${r.kind} ${r.data}`,
    );
  } finally {
    db.close();
  }
}

/** Every br run may start a background send, so a test with a collector key passes its own env. */
const events = (cwd: string, env: NodeJS.ProcessEnv = ON) =>
  (JSON.parse(brOk(["telemetry", "events", "--json"], { cwd, env }).stdout) as { events: Event[] }).events;

interface Entry {
  type: "connection" | "request" | "closed";
  url?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Record_ {
  eventName: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** A collector process on 127.0.0.1 (test/otlp-collector.mjs), stopped by the returned function. */
async function startCollector(mode: "ok" | "hang" = "ok") {
  const log = join(tempDir("br-otlp-"), "collector.jsonl");
  writeFileSync(log, "");
  const child = spawn(process.execPath, [join(import.meta.dirname, "otlp-collector.mjs"), log, mode], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolvePort, reject) => {
    const deadline = setTimeout(() => reject(new Error("the collector did not start within 30 s")), 30_000);
    child.stdout.once("data", (chunk: Buffer) => {
      clearTimeout(deadline);
      resolvePort(chunk.toString().trim());
    });
  });
  const entries = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Entry);
  const records = () =>
    entries().flatMap((e) =>
      e.type === "request" ? (JSON.parse(e.body as string).resourceLogs[0].scopeLogs[0].logRecords as Record_[]) : [],
    );
  return { url: `http://127.0.0.1:${port}`, entries, records, stop: () => child.kill("SIGKILL") };
}

function exporterLastAttempt(cwd: string): number {
  const file = join(cwd, ".buildrunner", "state", "state.db");
  if (!existsSync(file)) return 0;
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    // A background send br started may be writing its cursor right now: wait for it, as br does.
    db.exec("PRAGMA busy_timeout = 10000");
    return Number((db.prepare("SELECT last_attempt FROM telemetry_export").get() as { last_attempt: number }).last_attempt);
  } finally {
    db.close();
  }
}

const recordId = (r: Record_) => Number(r.attributes.find((a) => a.key === "br.event.id")?.value.intValue);

/** Sets the endpoint in config.yaml and, unless told not to, confirms it on this machine; returns the last event id not to be sent. */
function exportTo(cwd: string, endpoint: string, env: NodeJS.ProcessEnv = ON, confirm = true): number {
  appendFileSync(join(cwd, ".buildrunner", "config.yaml"), `telemetry:\n  export:\n    endpoint: ${endpoint}\n    intervalSeconds: 0\n`);
  return confirm ? confirmEndpoint(cwd, env) : 0;
}

function confirmEndpoint(cwd: string, env: NodeJS.ProcessEnv): number {
  const confirmed = JSON.parse(brOk(["telemetry", "enable", "--export", "--json"], { cwd, env }).stdout) as {
    export: { afterEventId: number };
  };
  return confirmed.export.afterEventId;
}

/** The log records of `events --otlp`: one request body per line. */
const shownRecords = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .flatMap((line) => JSON.parse(line).resourceLogs[0].scopeLogs[0].logRecords as Record_[]);

const SECRET = `sk-ant-api03-${"Zq7x".repeat(23)}Q${"AA"}`;
/** An API key for the collector, given the OpenTelemetry way; it must reach the collector and nothing else. */
const COLLECTOR_KEY = `otlp-key-${"k3Y9".repeat(6)}`;
const PRIVATE = "/home/alice-private/clients/acme-payroll.txt";

/**
 * Everything stored reaches the collector once, exactly as `events --otlp` shows it, with the
 * collector's key in the header and no planted secret or path anywhere in what was sent.
 */
async function exportedAsShown(
  cwd: string,
  env: NodeJS.ProcessEnv,
  collector: Awaited<ReturnType<typeof startCollector>>,
  afterEventId: number,
) {
  const stored = events(cwd, env).filter((e) => e.id > afterEventId);
  assert.ok(stored.length > 20, "the run's events, recorded after the confirmation");
  await waitFor(() => collector.records().length > 0, "a background send, started by the commands themselves", 30_000);
  const want = new Set(stored.map((e) => e.id));
  // The same events as --json (and, after them, that run's own command event).
  const shown = shownRecords(brOk(["telemetry", "events", "--otlp"], { cwd, env }).stdout).filter((r) => want.has(recordId(r)));
  assert.deepEqual(
    shown.map(recordId),
    stored.map((e) => e.id),
  );
  await waitFor(
    () => {
      const arrived = () => {
        const got = new Set(collector.records().map(recordId));
        return [...want].every((id) => got.has(id));
      };
      if (arrived()) return true;
      brOk(["telemetry", "export"], { cwd, env }); // sends what the background sends have not, or finds one sending
      return arrived();
    },
    "every stored event at the collector",
    60_000,
  );
  const received = collector.records();
  const ids = received.map(recordId);
  assert.ok(
    ids.every((id) => id > afterEventId),
    "nothing recorded before the confirmation is sent",
  );
  assert.equal(new Set(ids).size, ids.length, "no event sent twice");
  assert.deepEqual(
    received.filter((r) => want.has(recordId(r))).sort((a, b) => recordId(a) - recordId(b)),
    shown,
    "sent exactly as `events --otlp` shows",
  );
  const requests = collector.entries().filter((e) => e.type === "request");
  assert.ok(requests.every((r) => r.url === "/v1/logs" && r.headers?.["content-type"] === "application/json"));
  assert.ok(requests.every((r) => r.headers?.authorization === `Bearer ${COLLECTOR_KEY}`));
  const sent = requests.map((r) => r.body).join("\n");
  for (const planted of [SECRET, SECRET.slice(0, 20), "alice", "acme-payroll", "Payroll", "Secret sauce", cwd, COLLECTOR_KEY])
    assert.ok(!sent.includes(planted), `${planted} was not sent`);
  const status = brOk(["telemetry", "status"], { cwd, env });
  assert.match(status.stdout, new RegExp(`exporter: ${collector.url}/v1/logs \\(OTLP/HTTP JSON\\)`));
  assert.ok(!storedRows(cwd).join().includes(COLLECTOR_KEY) && !status.stdout.includes(COLLECTOR_KEY));
}

describe("br telemetry", () => {
  it("a full br run with secrets and private paths planted records, shows and sends what happened and none of them", async (t) => {
    const collector = await startCollector();
    t.after(collector.stop);
    const p = project("fail-first", { FAKE_AGENT_LEAK: SECRET });
    const env = { ...p.env, ...ON, BR_TELEMETRY_EXPORT_HEADERS: `authorization=Bearer%20${COLLECTOR_KEY}` };
    const afterEventId = exportTo(p.cwd, collector.url, env);
    appendFileSync(
      join(p.cwd, "PROJECT_SPEC.md"),
      `\n### Payroll export\nExport ${PRIVATE} with the key ${SECRET}.\nAcceptance criteria:\n- reads ${PRIVATE}\n`,
    );
    brOk(["spec", "sync"], { cwd: p.cwd, env });
    brOk(["features", "add", "Secret sauce", "--description", `uses ${SECRET} from ${PRIVATE}`], { cwd: p.cwd, env });
    git(p.cwd, "add", "-A");
    git(p.cwd, "commit", "-qm", "more features");
    const run = br(["run", "--auto", "--max-tasks", "2"], { cwd: p.cwd, env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    br(["security", "check"], { cwd: p.cwd, env });
    assert.equal(br(["features", "show", PRIVATE], { cwd: p.cwd, env }).code, 2);
    brOk(["telemetry", "status"], { cwd: p.cwd, env });
    brOk(["telemetry", "enable"], { cwd: p.cwd, env });
    brOk(["telemetry", "events", "--pending"], { cwd: p.cwd, env });

    const stored = storedRows(p.cwd).join("\n");
    for (const planted of [SECRET, SECRET.slice(0, 20), "alice", "acme-payroll", "Payroll", "Secret sauce", p.cwd])
      assert.ok(!stored.includes(planted), `${planted} is not in the store`);
    const all = events(p.cwd, env);
    assert.ok(all.every((e) => e.schema === 1));
    const finished = all.filter((e) => e.kind === "task.finished");
    assert.deepEqual(
      finished.map((e) => [e.data.kind, e.data.tier, e.data.model, e.data.attempts, e.data.outcome]),
      [
        ["core", "opus", "claude-opus-4-5", 2, "done"],
        ["tests", "opus", "claude-opus-4-5", 2, "done"],
      ],
    );
    assert.ok(finished.every((e) => typeof e.data.costUsd === "number" && (e.data.durationMs as number) > 0));
    const commands = all.filter((e) => e.kind === "command.run").map((e) => e.data.command);
    for (const name of ["spec sync", "features add", "run", "security check", "features show"]) assert.ok(commands.includes(name), name);
    assert.deepEqual(
      all.filter((e) => e.kind === "error").map((e) => e.data),
      [{ class: "usage", exitCode: 2 }],
    );
    const findings = all.filter((e) => e.kind === "security.findings");
    assert.ok(findings.length > 0 && findings.every((e) => Object.keys(e.data).join() === "rule,count"));
    // What the text and JSON outputs show is the store's content: nothing planted there either.
    const shown =
      brOk(["telemetry", "events"], { cwd: p.cwd, env }).stdout + brOk(["telemetry", "events", "--json"], { cwd: p.cwd, env }).stdout;
    assert.ok(!shown.includes(SECRET) && !shown.includes("alice"));

    // The report, in each format: the same figures as the events, and nothing planted.
    const report = JSON.parse(brOk(["telemetry", "report", "--format", "json"], { cwd: p.cwd, env }).stdout) as {
      days: { done: number; failed: number; costUsd: number; costPerDone: number }[];
      firstAttempt: { byStep: { name: string; tasks: number; firstAttempt: number }[]; byKind: { name: string; tasks: number }[] };
      timeToDoneMs: { tasks: number; p50: number };
      rejections: { reason: string; count: number }[];
    };
    const cost = finished.reduce((sum, e) => sum + (e.data.costUsd as number), 0);
    assert.deepEqual([report.days.length, report.days[0]?.done, report.days[0]?.failed], [1, 2, 0]);
    assert.ok(Math.abs((report.days[0]?.costPerDone ?? 0) - cost / 2) < 1e-5);
    assert.deepEqual(report.firstAttempt.byStep, [{ name: "opus", tasks: 2, firstAttempt: 0, rate: 0 }]);
    assert.deepEqual(
      report.firstAttempt.byKind.map((k) => [k.name, k.tasks]),
      [
        ["core", 1],
        ["tests", 1],
      ],
    );
    assert.equal(report.timeToDoneMs.tasks, 2);
    // Two rejected first attempts (the fake agent is lazy once per task), counted by class.
    assert.equal(
      report.rejections.reduce((n, r) => n + r.count, 0),
      2,
    );
    assert.ok(
      report.rejections.every((r) => /^[a-z0-9][a-z0-9 ._:-]*$/.test(r.reason)),
      JSON.stringify(report.rejections),
    );
    const html = join(p.cwd, "report.html");
    brOk(["telemetry", "report", "--format", "html", "--output", html], { cwd: p.cwd, env });
    const page = readFileSync(html, "utf8");
    assert.match(page, /<svg role="img" aria-label="Tasks done per day"/);
    assert.doesNotMatch(page, /<script|src=|href=|https?:/, "one self-contained page");
    const md = brOk(["telemetry", "report"], { cwd: p.cwd, env }).stdout;
    assert.match(
      md,
      /## First-attempt pass rate by step\n\| step \| tasks \| first attempt \| rate \|\n\| --- \| --- \| --- \| --- \|\n\| opus \| 2 \| 0 \| 0\.0% \|/,
    );
    for (const text of [page, md, JSON.stringify(report)])
      for (const planted of [SECRET, "alice", "acme-payroll"]) assert.ok(!text.includes(planted), planted);
    assert.equal(br(["telemetry", "report", "--format", "pdf"], { cwd: p.cwd, env }).code, 2);
    await exportedAsShown(p.cwd, env, collector, afterEventId);
  });

  it("DO_NOT_TRACK=1 or BR_TELEMETRY_DISABLED=1: a full run records nothing, connects nowhere, and status says which switch", async (t) => {
    const collector = await startCollector();
    t.after(collector.stop);
    for (const [name, value] of [
      ["DO_NOT_TRACK", "1"],
      ["BR_TELEMETRY_DISABLED", "1"],
    ] as const) {
      const p = project("good");
      const env = { ...p.env, ...ON, [name]: value };
      exportTo(p.cwd, collector.url, env);
      git(p.cwd, "commit", "-qam", "export telemetry");
      assert.equal(br(["run", "--auto", "--max-tasks", "2"], { cwd: p.cwd, env }).code, 0);
      brOk(["features", "add", "More"], { cwd: p.cwd, env });
      assert.match(
        brOk(["telemetry", "export"], { cwd: p.cwd, env }).stdout,
        new RegExp(`off \\(${name}\\): nothing was sent and no connection`),
      );
      assert.deepEqual(storedRows(p.cwd), [], `${name}: nothing recorded`);
      assert.equal(exporterLastAttempt(p.cwd), 0, `${name}: no send was started`);
      const status = JSON.parse(brOk(["telemetry", "status", "--json"], { cwd: p.cwd, env }).stdout) as {
        enabled: boolean;
        disabledBy: string;
        events: number;
      };
      assert.deepEqual([status.enabled, status.disabledBy, status.events], [false, name, 0]);
      assert.match(brOk(["telemetry", "status"], { cwd: p.cwd, env }).stdout, new RegExp(`off, by ${name}: nothing is recorded or sent`));
    }
    // A background sender is claimed in the database before it starts, and starts within a second or two; none was, none did.
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    assert.deepEqual(collector.entries(), [], "no connection to the collector");
  });

  it("an endpoint in a repository's config sends nothing until this machine's user confirms it", async (t) => {
    const collector = await startCollector();
    t.after(collector.stop);
    const p = project("good");
    const env = { ...p.env, ...ON, BR_TELEMETRY_EXPORT_HEADERS: `authorization=Bearer%20${COLLECTOR_KEY}` };
    exportTo(p.cwd, collector.url, env, false);
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env }).code, 0);
    assert.ok(storedRows(p.cwd).length > 0, "recorded, not sent");
    const refused = br(["telemetry", "export"], { cwd: p.cwd, env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not confirmed on this machine[\s\S]*br telemetry enable --export/);
    assert.match(
      brOk(["telemetry", "status"], { cwd: p.cwd, env }).stdout,
      /is configured but not confirmed on this machine, so nothing is sent/,
    );
    assert.equal(exporterLastAttempt(p.cwd), 0, "no send was ever started");
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    assert.deepEqual(collector.entries(), [], "no connection to the collector");
    const bad = br(["telemetry", "enable", "--export"], { cwd: tempRepo(), env });
    assert.equal(bad.code, 2, "outside a project");
  });

  it("an endpoint that is down or never answers costs the commands nothing; the events wait for the next send", async (t) => {
    const cwd = tempRepo();
    brOk(["init", "offline"], { cwd, env: ON });
    const closed = await startCollector();
    closed.stop(); // a port where nothing listens any more
    exportTo(cwd, closed.url);
    brOk(["features", "add", "One"], { cwd, env: ON });
    // The background send that command started may hold the lease for a moment; then the explicit one runs.
    let failed = br(["telemetry", "export", "--json"], { cwd, env: ON });
    await waitFor(
      () => {
        failed = br(["telemetry", "export", "--json"], { cwd, env: ON });
        return !(JSON.parse(failed.stdout) as { busy: boolean }).busy;
      },
      "a send that is not busy",
      30_000,
    );
    const result = JSON.parse(failed.stdout) as { sent: number; error: string; pending: number };
    assert.equal(failed.code, 1, failed.stderr);
    assert.deepEqual([result.sent, result.error], [0, "ECONNREFUSED"]);
    assert.ok(result.pending >= 2);
    await waitFor(
      () =>
        (JSON.parse(brOk(["telemetry", "status", "--json"], { cwd, env: ON }).stdout).exporter.lastError as string | null) ===
        "ECONNREFUSED",
      "the failed send in status",
      30_000,
    );

    const hanging = await startCollector("hang");
    t.after(hanging.stop);
    writeFileSync(
      join(cwd, ".buildrunner", "config.yaml"),
      readFileSync(join(cwd, ".buildrunner", "config.yaml"), "utf8").replace(closed.url, hanging.url),
    );
    confirmEndpoint(cwd, ON); // a changed endpoint needs its own confirmation
    brOk(["features", "add", "Two"], { cwd, env: ON });
    await waitFor(() => hanging.entries().some((e) => e.type === "request"), "a send to the hanging collector", 30_000);
    // The collector holds that request unanswered (for the sender's 10 s deadline); a command goes on and finishes meanwhile.
    brOk(["status"], { cwd, env: ON });
    assert.ok(
      !hanging.entries().some((e) => e.type === "closed"),
      "the commands finished while the send was still waiting: none of them waited for it",
    );
    const pending = JSON.parse(brOk(["telemetry", "events", "--pending", "--json"], { cwd, env: ON }).stdout) as { events: Event[] };
    assert.ok(pending.events.length >= 3, "nothing was lost: the unanswered events are still pending");
  });

  it("disable records nothing from then on (--purge deletes what was kept); enable records again; bad input exits 2", () => {
    const cwd = tempRepo();
    brOk(["init", "switches"], { cwd, env: ON });
    brOk(["features", "add", "One"], { cwd, env: ON });
    const before = storedRows(cwd).length;
    assert.ok(before >= 2);
    const off = JSON.parse(brOk(["telemetry", "disable", "--json"], { cwd, env: ON }).stdout) as { enabled: boolean; disabledBy: string };
    assert.deepEqual([off.enabled, off.disabledBy], [false, "config.yaml (telemetry.enabled: false)"]);
    brOk(["features", "add", "Two"], { cwd, env: ON });
    brOk(["telemetry", "status"], { cwd, env: ON });
    assert.equal(storedRows(cwd).length, before, "nothing recorded while off, the disable command included");
    assert.match(brOk(["telemetry", "disable", "--purge"], { cwd, env: ON }).stdout, new RegExp(`${before} stored event\\(s\\) deleted`));
    assert.equal(storedRows(cwd).length, 0);
    brOk(["telemetry", "enable"], { cwd, env: ON });
    brOk(["features", "add", "Three"], { cwd, env: ON });
    assert.ok(storedRows(cwd).some((r) => r.includes('"command":"features add"')));
    const masked = br(["telemetry", "enable"], { cwd, env: { ...ON, DO_NOT_TRACK: "1" } });
    assert.match(masked.stdout, /DO_NOT_TRACK keeps it off/);
    const bad = br(["telemetry", "events", "--since", "last week"], { cwd, env: ON });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since last week: not a date or a duration/);
    assert.equal(br(["telemetry", "enable", "--export"], { cwd, env: ON }).code, 2, "no endpoint to confirm");
    const fresh = tempRepo();
    brOk(["init", "endpoints"], { cwd: fresh, env: ON });
    const config = join(fresh, ".buildrunner", "config.yaml");
    const original = readFileSync(config, "utf8");
    for (const endpoint of ["http://user:pw@127.0.0.1:4318", "http://127.0.0.1:4318/?key=abc", "ftp://127.0.0.1", "not a url"]) {
      writeFileSync(config, `${original}telemetry:\n  export:\n    endpoint: "${endpoint}"\n`);
      const refused = br(["telemetry", "enable", "--export"], { cwd: fresh, env: ON });
      assert.equal(refused.code, 2, endpoint);
      assert.match(refused.stderr, /telemetry\.export\.endpoint/, endpoint);
      assert.match(refused.stderr, /must (be an http|not carry credentials)/, endpoint);
      assert.ok(!refused.stderr.includes("pw@") && !refused.stdout.includes("key=abc"), "the credential is not echoed");
      assert.equal(readFileSync(config, "utf8"), `${original}telemetry:\n  export:\n    endpoint: "${endpoint}"\n`, "nothing changed");
    }
  });

  it("a 500-feature project crosses 30, 100 and 500 with exactly one alert each", () => {
    const cwd = tempRepo();
    brOk(["init", "big"], { cwd, env: ON });
    const spec = (n: number) =>
      `# Big\n\n## Features\n${Array.from({ length: n }, (_, i) => `\n### Feature ${i + 1}\nDoes thing ${i + 1}.\n`).join("")}`;
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec(29));
    assert.doesNotMatch(brOk(["spec", "sync"], { cwd, env: ON }).stderr, /has reached/);
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec(500));
    const crossing = brOk(["spec", "sync"], { cwd, env: ON });
    assert.deepEqual(
      [...crossing.stderr.matchAll(/has reached (\d+) features/g)].map((m) => m[1]),
      ["30", "100", "500"],
    );
    assert.doesNotMatch(brOk(["spec", "sync"], { cwd, env: ON }).stderr, /has reached/);
    assert.doesNotMatch(brOk(["features", "add", "One more"], { cwd, env: ON }).stderr, /has reached/);
    assert.deepEqual(
      events(cwd)
        .filter((e) => e.kind === "threshold.reached")
        .map((e) => e.data.features),
      [30, 100, 500],
    );
  });
});
