/**
 * One conductor per project on a queue: the orchestrator (`br run --parallel`, `br orchestrate`,
 * `br merge --streams`) holds a lease row in PostgreSQL while it sends and integrates. A second one,
 * on any machine, is refused, since two would integrate the same results into two targets. The
 * lease is renewed as the run goes; one not renewed for STALE_SECONDS, or held by a process of
 * this machine that is gone (kill -9), is taken over.
 */
import { hostname } from "node:os";
import { usageError } from "../../infra/errors.js";
import { isAlive } from "../../infra/process.js";
import { type QueueConnection, SHARED_SCHEMA } from "./connection.js";
import { machineLabel, workerName } from "./jobs.js";

export const STALE_SECONDS = 60;
/** How often a conductor renews its lease (well inside STALE_SECONDS, through a short outage). */
export const RENEW_MS = 5000;

interface Holder {
  owner: string;
  host: string;
  pid: number;
  machine: string;
  ago: number;
}

/** Whether the holder's lease may be taken: it is this process's, lapsed, or of a dead process here. */
export function canTakeOver(holder: Holder, me: string, here = hostname(), alive = isAlive): boolean {
  if (holder.owner === me || holder.ago > STALE_SECONDS) return true;
  return holder.host === here && !alive(holder.pid);
}

async function holderOf(connection: QueueConnection): Promise<Holder | undefined> {
  const [row] = await connection.sql<Holder>(
    `SELECT owner, host, pid, machine, extract(epoch FROM now() - seen_at)::float AS ago FROM ${SHARED_SCHEMA}.conductors WHERE project = $1`,
    [connection.project],
  );
  return row;
}

/** Takes the project's conductor lease, or refuses (exit 2) naming who holds it. */
export async function takeConductorLease(connection: QueueConnection): Promise<string> {
  const me = workerName();
  const values = [connection.project, me, hostname(), process.pid, machineLabel()];
  for (let tries = 0; tries < 3; tries++) {
    const holder = await holderOf(connection);
    if (holder && !canTakeOver(holder, me)) {
      throw usageError(
        `Another br is conducting this project's queue: ${holder.machine} (pid ${holder.pid}), seen ${Math.round(holder.ago)} s ago.`,
        {
          fix: `Let it finish or stop it; br queue status shows its work. A conductor that went away is replaced ${STALE_SECONDS} s after it was last seen.`,
        },
      );
    }
    // Compare-and-set on the holder seen: two takers at once, one wins.
    const taken = holder
      ? await connection.sql(
          `UPDATE ${SHARED_SCHEMA}.conductors SET owner = $2, host = $3, pid = $4, machine = $5, seen_at = now()
            WHERE project = $1 AND owner = $6 RETURNING owner`,
          [...values, holder.owner],
        )
      : await connection.sql(
          `INSERT INTO ${SHARED_SCHEMA}.conductors (project, owner, host, pid, machine) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (project) DO NOTHING RETURNING owner`,
          values,
        );
    if (taken.length === 1) return me;
  }
  throw usageError("Another br took this project's queue at the same moment.", { fix: "Run the command again once it has finished." });
}

/** Renews the lease; false when another conductor has taken it (this one was silent too long). */
export async function renewConductorLease(connection: QueueConnection, owner: string): Promise<boolean> {
  const rows = await connection.sql(
    `UPDATE ${SHARED_SCHEMA}.conductors SET seen_at = now() WHERE project = $1 AND owner = $2 RETURNING owner`,
    [connection.project, owner],
  );
  return rows.length === 1;
}

export async function releaseConductorLease(connection: QueueConnection, owner: string): Promise<void> {
  await connection.sql(`DELETE FROM ${SHARED_SCHEMA}.conductors WHERE project = $1 AND owner = $2`, [connection.project, owner]);
}
