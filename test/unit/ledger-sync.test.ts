/**
 * Copying the shared ledger into a machine's journal: each attempt once however often or however
 * many processes copy, the cursor moving with the rows, a queued run's attempts under the
 * orchestrator's own run when it ran here, and the spend told per machine.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { openStateDb, type StateDb } from "../../src/infra/state-db.ts";
import { copyIntoJournal, OVERLAP, pullLedger, type SharedAttempt } from "../../src/parallel/queue/ledger-sync.ts";
import { projectSpend } from "../../src/registry/spend.ts";
import { Journal } from "../../src/run/journal.ts";

function journal() {
  const root = mkdtempSync(join(tmpdir(), "br-ledger-"));
  const paths = projectPaths(root);
  return { paths, db: openStateDb(paths) };
}

function shared(seq: number, over: Partial<SharedAttempt> = {}): SharedAttempt {
  return {
    seq: String(seq),
    run_key: "abc-1-ff",
    task_id: `t${seq}`,
    feature_id: "f",
    attempt: 1,
    machine: "vm-a",
    worker: "vm-a-100-aa",
    local_id: String(seq),
    executor: "command",
    model: "claude-haiku-4-5",
    tier: "haiku",
    outcome: "passed",
    reason: null,
    input_tokens: "100",
    output_tokens: "20",
    cache_write_tokens: "0",
    cache_read_tokens: "0",
    cost_usd: 0.5,
    cost_source: "usage",
    prompt_tokens: "90",
    route_score: 3,
    route_reason: "small",
    duration_ms: "1200",
    started_at: new Date("2026-12-05T10:00:00Z"),
    finished_at: "2026-12-05T10:00:02.000Z",
    ...over,
  };
}

/** Attempts in the journal, or in one run of it. */
function count(db: StateDb, runId?: number): number {
  const row =
    runId === undefined
      ? db.prepare("SELECT COUNT(*) AS n FROM attempts").get()
      : db.prepare("SELECT COUNT(*) AS n FROM attempts WHERE run_id = ?").get(runId);
  return (row as { n: number }).n;
}
const cursor = (db: StateDb) => (db.prepare("SELECT seq FROM shared_ledger WHERE source = 's'").get() as { seq: number } | undefined)?.seq;

describe("copying the shared ledger into the journal", () => {
  it("copies each attempt once, however often the same rows come, and moves the cursor to the last", () => {
    const { db } = journal();
    assert.equal(copyIntoJournal(db, "s", [shared(1), shared(2)]), 2);
    assert.equal(copyIntoJournal(db, "s", [shared(2), shared(3)]), 1);
    assert.equal(count(db), 3);
    assert.equal(cursor(db), 3);
    // An older page (a slower process copying at once) never moves the cursor back.
    assert.equal(copyIntoJournal(db, "s", [shared(1)]), 0);
    assert.equal(cursor(db), 3);
    const row = db.prepare("SELECT * FROM attempts WHERE task_id = 't1'").get() as Record<string, unknown>;
    assert.equal(row.machine, "vm-a");
    assert.equal(row.input_tokens, 100);
    assert.equal(row.started_at, "2026-12-05T10:00:00.000Z");
    assert.equal(row.route_reason, "small");
  });

  it("the same local id from two workers is two attempts", () => {
    const { db } = journal();
    copyIntoJournal(db, "s", [shared(1), shared(2, { worker: "vm-b-100-bb", local_id: "1" })]);
    assert.equal(count(db), 2);
  });

  it("files a queued run's attempts under the orchestrator's run when it ran here, else under one run standing for it", () => {
    const { db } = journal();
    const own = Number(
      db
        .prepare("INSERT INTO runs (started_at, pid, host, executor, options) VALUES ('2026-12-05', 1, 'here', 'command', ?)")
        .run(JSON.stringify({ queue: true, queueRunKey: "abc-1-ff" })).lastInsertRowid,
    );
    copyIntoJournal(db, "s", [shared(1), shared(2, { run_key: "abc-9-ee" }), shared(3, { run_key: "abc-9-ee" })]);
    assert.equal(count(db, own), 1);
    const standIns = db.prepare("SELECT id, outcome FROM runs WHERE id != ?").all(own) as { id: number; outcome: string }[];
    assert.deepEqual(
      standIns.map((r) => r.outcome),
      ["remote"],
      "one run for the other run key, never 'running' (which recovery would take for a dead local run)",
    );
    assert.equal(count(db, standIns[0]?.id), 2);
  });

  it("br status's spend is told per machine once other machines' work is in", () => {
    const { db, paths } = journal();
    assert.equal(projectSpend(paths).machines, undefined);
    copyIntoJournal(db, "s", [shared(1), shared(2, { machine: "vm-b", worker: "vm-b-1-bb", cost_usd: 0.25 }), shared(3)]);
    const spend = projectSpend(paths);
    assert.equal(spend.calls, 3);
    assert.deepEqual(spend.machines, [
      { machine: "vm-a", calls: 2, costUsd: 1 },
      { machine: "vm-b", calls: 1, costUsd: 0.25 },
    ]);
  });
});

describe("reading the shared ledger from a cursor", () => {
  /** The server as the pull sees it: the rows committed so far, read in seq order from a given seq. */
  function server(rows: SharedAttempt[]) {
    return {
      project: "abc",
      url: "postgres://u@db.example.com/x",
      sql: async <T>(_text: string, values?: unknown[]) =>
        rows
          .filter((r) => Number(r.seq) > Number(values?.[1]))
          .sort((a, b) => Number(a.seq) - Number(b.seq))
          .slice(0, 5000) as T[],
    } as unknown as Parameters<typeof pullLedger>[1];
  }

  it("copies a row committed after a higher one was read (sequence numbers are drawn before commit)", async () => {
    const { paths, db } = journal();
    const committed = [shared(1), shared(2), shared(4)];
    const connection = server(committed);
    assert.equal(await pullLedger(paths, connection), 3);
    committed.push(shared(3)); // its transaction drew 3 before 4's, and committed after
    assert.equal(await pullLedger(paths, connection), 1);
    assert.equal(await pullLedger(paths, connection), 0, "nothing is copied twice");
    assert.equal(count(db), 4);
  });

  it("a ledger of many pages is read to its end", async () => {
    const { paths, db } = journal();
    const rows = Array.from({ length: 12_000 }, (_, i) => shared(i + 1));
    assert.equal(await pullLedger(paths, server(rows)), 12_000);
    assert.equal(count(db), 12_000);
    assert.ok(OVERLAP > 0);
  });
});

describe("recovery on a machine that copied other machines' attempts", () => {
  it("never takes a copied attempt for one of its own (it would mark the task done without its code)", () => {
    const { paths, db } = journal();
    copyIntoJournal(db, "s", [shared(1, { task_id: "feature-1.core", outcome: "passed" })]);
    const journalHere = Journal.open(paths);
    try {
      assert.equal(journalHere.lastAttempt("feature-1.core"), undefined);
    } finally {
      journalHere.close();
    }
  });
});
