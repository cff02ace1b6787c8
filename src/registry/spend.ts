import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb, type StateDb } from "../infra/state-db.js";

/** What the executor calls cost, as the ledger (`attempts` in .buildrunner/state/state.db) recorded them. */
export interface ProjectSpend {
  calls: number;
  costUsd: number;
  tokens: { input: number; output: number };
  /** Per machine, once attempts from a shared queue's other machines are in the journal. */
  machines?: { machine: string; calls: number; costUsd: number }[];
}

/**
 * The project's spend so far, over finished calls as `br model stats` counts them. Without a
 * ledger yet it is 0, and no database is created just to say so.
 */
export function projectSpend(paths: ProjectPaths): ProjectSpend {
  if (!existsSync(join(paths.state, "state.db"))) return { calls: 0, costUsd: 0, tokens: { input: 0, output: 0 } };
  const db = openStateDb(paths);
  try {
    const row = db
      .prepare(
        `SELECT COUNT(*) AS calls, TOTAL(cost_usd) AS cost, TOTAL(input_tokens) AS input, TOTAL(output_tokens) AS output
           FROM attempts WHERE outcome != 'running'`,
      )
      .get() as { calls: number; cost: number; input: number; output: number };
    const spend: ProjectSpend = {
      calls: row.calls,
      costUsd: Math.round(row.cost * 1e6) / 1e6,
      tokens: { input: row.input, output: row.output },
    };
    const machines = byMachine(db);
    return machines.length > 1 ? { ...spend, machines } : spend;
  } finally {
    db.close();
  }
}

/** Calls and cost per machine: a copied attempt's own label, else the host of the run that made it. */
function byMachine(db: StateDb): NonNullable<ProjectSpend["machines"]> {
  const copied = db.prepare("SELECT 1 FROM attempts WHERE machine IS NOT NULL LIMIT 1").get();
  if (!copied) return [];
  const rows = db
    .prepare(
      `SELECT COALESCE(a.machine, r.host) AS machine, COUNT(*) AS calls, TOTAL(a.cost_usd) AS cost
         FROM attempts a JOIN runs r ON r.id = a.run_id WHERE a.outcome != 'running' GROUP BY 1 ORDER BY 1`,
    )
    .all() as { machine: string; calls: number; cost: number }[];
  return rows.map((r) => ({ machine: r.machine, calls: r.calls, costUsd: Math.round(r.cost * 1e6) / 1e6 }));
}

const usd = (n: number) => `$${n.toFixed(4)}`;

/** One line for people: `$0.1234 over 3 agent call(s); tokens: 1200 in, 340 out`. */
export function describeSpend(spend: ProjectSpend): string {
  if (spend.calls === 0) return `${usd(0)} (no agent calls recorded yet)`;
  const machines = spend.machines ? `; on ${spend.machines.map((m) => `${m.machine} ${m.calls} (${usd(m.costUsd)})`).join(", ")}` : "";
  return `${usd(spend.costUsd)} over ${spend.calls} agent call(s); tokens: ${spend.tokens.input} in, ${spend.tokens.output} out${machines}`;
}
