import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { projectPaths } from "../src/infra/project.ts";
import { openStateDb } from "../src/infra/state-db.ts";
import { describeSpend, projectSpend } from "../src/registry/spend.ts";
import { tempDir } from "./helpers.ts";

function ledger(rows: { outcome: string; cost: number; input: number; output: number }[]) {
  const paths = projectPaths(tempDir());
  const db = openStateDb(paths);
  const run = Number(
    db.prepare("INSERT INTO runs (started_at, pid, host, executor) VALUES ('t', 1, 'h', 'command')").run().lastInsertRowid,
  );
  const insert = db.prepare(
    `INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, started_at, outcome, cost_usd, input_tokens, output_tokens)
     VALUES (?, 't', 'f', 1, 'command', 't', ?, ?, ?, ?)`,
  );
  for (const r of rows) insert.run(run, r.outcome, r.cost, r.input, r.output);
  db.close();
  return paths;
}

describe("the spend br status shows", () => {
  it("sums finished calls from the ledger, leaving out the one still running", () => {
    const paths = ledger([
      { outcome: "passed", cost: 0.1, input: 1000, output: 200 },
      { outcome: "failed", cost: 0.0234, input: 200, output: 140 },
      { outcome: "running", cost: 5, input: 9999, output: 9999 },
    ]);
    const spend = projectSpend(paths);
    assert.deepEqual(spend, { calls: 2, costUsd: 0.1234, tokens: { input: 1200, output: 340 } });
    assert.equal(describeSpend(spend), "$0.1234 over 2 agent call(s); tokens: 1200 in, 340 out");
  });

  it("is zero without a ledger, and creates none to say so", () => {
    const paths = projectPaths(tempDir());
    assert.deepEqual(projectSpend(paths), { calls: 0, costUsd: 0, tokens: { input: 0, output: 0 } });
    assert.equal(existsSync(join(paths.state, "state.db")), false);
    assert.equal(describeSpend(projectSpend(paths)), "$0.0000 (no agent calls recorded yet)");
  });
});
