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
import { copyIntoJournal, type SharedAttempt } from "../../src/parallel/queue/ledger-sync.ts";
import { projectSpend } from "../../src/registry/spend.ts";

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
