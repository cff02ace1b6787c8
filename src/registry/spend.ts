import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb } from "../infra/state-db.js";

/** What the executor calls cost, as the ledger (`attempts` in .buildrunner/state/state.db) recorded them. */
export interface ProjectSpend {
  calls: number;
  costUsd: number;
  tokens: { input: number; output: number };
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
    return { calls: row.calls, costUsd: Math.round(row.cost * 1e6) / 1e6, tokens: { input: row.input, output: row.output } };
  } finally {
    db.close();
  }
}

const usd = (n: number) => `$${n.toFixed(4)}`;

/** One line for people: `$0.1234 over 3 agent call(s); tokens: 1200 in, 340 out`. */
export function describeSpend(spend: ProjectSpend): string {
  if (spend.calls === 0) return `${usd(0)} (no agent calls recorded yet)`;
  return `${usd(spend.costUsd)} over ${spend.calls} agent call(s); tokens: ${spend.tokens.input} in, ${spend.tokens.output} out`;
}
