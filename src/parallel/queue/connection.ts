/**
 * The connection to the shared queue: pg-boss on PostgreSQL for the jobs (one per task to run:
 * leases, heartbeats, retries of a job whose worker died), and a few tables of br's own beside it
 * for what every machine must see (the cost ledger, the workers). pg-boss is loaded only here, so
 * a project without a queue never loads it nor connects.
 */
import type { PgBoss } from "pg-boss";
import type { Config } from "../../infra/config.js";
import { nodeCrypto } from "../../infra/crypto.js";
import { failure, usageError } from "../../infra/errors.js";
import { git } from "../../infra/git.js";
import { warn } from "../../infra/log.js";
import { redactQueueUrl } from "../../infra/queue-url.js";

/** pg-boss's tables live in a schema of their own, br's beside them. */
export const BOSS_SCHEMA = "br_boss";
export const SHARED_SCHEMA = "br_shared";

export interface QueueSettings {
  leaseSeconds: number;
  heartbeatSeconds: number;
  retries: number;
}

export interface QueueConnection {
  boss: PgBoss;
  /** The queue of this project's tasks. */
  queue: string;
  project: string;
  url: string;
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A project's identity on a shared server: its first commit, which every clone of it has, so an
 * orchestrator and workers on other machines agree on it without configuration.
 */
export function projectKey(root: string): string {
  const roots = git(root, ["rev-list", "--max-parents=0", "HEAD"]).stdout.trim().split("\n").sort();
  const first = roots[0];
  if (!first)
    throw usageError(`${root} is not a git repository with a commit: the queue knows a project by its first commit.`, {
      fix: "Run br in a clone of the project (git clone <shared remote>), or commit once.",
    });
  return nodeCrypto().createHash("sha256").update(first).digest("hex").slice(0, 12);
}

export function tasksQueueName(project: string): string {
  return `br-${project}-tasks`;
}

/** How often pg-boss looks for expired leases and silent workers (BR_QUEUE_SUPERVISE_SECONDS shortens it in tests). */
function superviseSeconds(env: NodeJS.ProcessEnv): number {
  const wanted = Number(env.BR_QUEUE_SUPERVISE_SECONDS);
  return Number.isInteger(wanted) && wanted >= 1 ? wanted : 10;
}

/** The version of br's tables below: a connection to a server that has it changes nothing (no DDL, no locks). */
const SHARED_VERSION = 2;

/**
 * br's tables, made in one transaction under an advisory lock: workers starting together on a new
 * server would otherwise race on CREATE … IF NOT EXISTS (PostgreSQL then reports a duplicate type).
 */
const SHARED_TABLES = `
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('buildrunner.shared-tables'));
CREATE SCHEMA IF NOT EXISTS ${SHARED_SCHEMA};
CREATE TABLE IF NOT EXISTS ${SHARED_SCHEMA}.attempts (
  project text NOT NULL,
  run_key text NOT NULL,
  job_id text,
  task_id text NOT NULL,
  attempt integer NOT NULL,
  machine text NOT NULL,
  worker text NOT NULL,
  local_id bigint NOT NULL,
  executor text,
  model text,
  tier text,
  outcome text NOT NULL,
  reason text,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  cache_write_tokens bigint NOT NULL DEFAULT 0,
  cache_read_tokens bigint NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  duration_ms bigint,
  started_at timestamptz,
  finished_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, worker, local_id)
);
CREATE INDEX IF NOT EXISTS attempts_run ON ${SHARED_SCHEMA}.attempts (project, run_key);
-- What each machine copies into its own journal (br status, br model stats, the dashboard), read in order from a cursor.
ALTER TABLE ${SHARED_SCHEMA}.attempts ADD COLUMN IF NOT EXISTS seq bigserial;
ALTER TABLE ${SHARED_SCHEMA}.attempts ADD COLUMN IF NOT EXISTS feature_id text;
ALTER TABLE ${SHARED_SCHEMA}.attempts ADD COLUMN IF NOT EXISTS cost_source text;
ALTER TABLE ${SHARED_SCHEMA}.attempts ADD COLUMN IF NOT EXISTS prompt_tokens bigint;
ALTER TABLE ${SHARED_SCHEMA}.attempts ADD COLUMN IF NOT EXISTS route_score integer;
ALTER TABLE ${SHARED_SCHEMA}.attempts ADD COLUMN IF NOT EXISTS route_reason text;
CREATE INDEX IF NOT EXISTS attempts_seq ON ${SHARED_SCHEMA}.attempts (project, seq);
-- The one orchestrator of each project (conductor-lease.ts).
CREATE TABLE IF NOT EXISTS ${SHARED_SCHEMA}.conductors (
  project text PRIMARY KEY,
  owner text NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  machine text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${SHARED_SCHEMA}.workers (
  project text NOT NULL,
  worker text NOT NULL,
  machine text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL,
  task_id text,
  PRIMARY KEY (project, worker)
);
-- Jobs an orchestrator has settled (integrated, failed, conflicted): never adopted again by a later run.
CREATE TABLE IF NOT EXISTS ${SHARED_SCHEMA}.settled (
  project text NOT NULL,
  job_id text NOT NULL,
  outcome text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, job_id)
);
CREATE TABLE IF NOT EXISTS ${SHARED_SCHEMA}.schema_version (version integer NOT NULL);
DELETE FROM ${SHARED_SCHEMA}.schema_version;
INSERT INTO ${SHARED_SCHEMA}.schema_version VALUES (${SHARED_VERSION});
COMMIT;`;

async function sharedTablesCurrent(sql: <T>(text: string) => Promise<T[]>): Promise<boolean> {
  try {
    const [row] = await sql<{ version: number }>(`SELECT version FROM ${SHARED_SCHEMA}.schema_version`);
    return (row?.version ?? 0) >= SHARED_VERSION;
  } catch {
    return false; // a new server: no tables yet
  }
}

/** pg-boss's error events: reported once per kind, so an outage is one line and not one per poll. */
function quietErrors(boss: PgBoss, url: string): void {
  const seen = new Set<string>();
  boss.on("error", (error: Error) => {
    const message = redactQueueUrl(error.message);
    const kind = message.slice(0, 60);
    if (seen.has(kind)) return;
    seen.add(kind);
    warn(`queue (${redactQueueUrl(url)}): ${message}`);
  });
}

export interface ConnectOptions {
  /** Whether the queue's lease options are set to `settings` even if it exists (the orchestrator's config rules them). */
  update?: boolean;
  /** A look only (status, copying the ledger): no maintenance timers, and a shorter wait for the server. */
  observe?: boolean;
}

/** Connects, installing pg-boss's schema and br's tables if need be; `settings` (not for a read-only look) also sets the queue's lease options. */
export async function connectQueue(
  url: string,
  root: string,
  settings?: QueueSettings,
  options: ConnectOptions = {},
): Promise<QueueConnection> {
  const project = projectKey(root);
  const { PgBoss } = await import("pg-boss");
  const seconds = superviseSeconds(process.env);
  const boss = new PgBoss({
    connectionString: url,
    schema: BOSS_SCHEMA,
    application_name: "buildrunner",
    superviseIntervalSeconds: seconds,
    monitorIntervalSeconds: seconds,
    connectionTimeoutMillis: options.observe ? 3000 : 10_000,
    ...(options.observe ? { supervise: false, schedule: false } : {}),
    // A new job wakes idle workers at once (NOTIFY); polling stays as the fallback.
    useListenNotify: true,
    max: 4,
  });
  quietErrors(boss, url);
  try {
    await boss.start();
  } catch (error) {
    // What did start (timers, a pool) would keep br from exiting.
    await boss.stop({ graceful: false, timeout: 1000, close: true }).catch(() => undefined);
    throw failure(`Could not reach the queue at ${redactQueueUrl(url)}: ${redactQueueUrl((error as Error).message)}`, {
      fix: "Check that the PostgreSQL server is up and reachable from this machine, and the user, database and password (PGPASSWORD or ~/.pgpass).",
    });
  }
  try {
    return await prepared(boss, project, url, settings, options.update ?? true);
  } catch (error) {
    await boss.stop({ graceful: false, timeout: 1000, close: true }).catch(() => undefined);
    throw error;
  }
}

/** br's tables made, and the project's queue with its lease options when `settings` are given. */
async function prepared(
  boss: PgBoss,
  project: string,
  url: string,
  settings: QueueSettings | undefined,
  update: boolean,
): Promise<QueueConnection> {
  const db = boss.getDb();
  async function sql<T>(text: string, values?: unknown[]): Promise<T[]> {
    return (await db.executeSql(text, values)).rows as T[];
  }
  if (!(await sharedTablesCurrent(sql))) await sql(SHARED_TABLES);
  const queue = tasksQueueName(project);
  if (settings) {
    const options = {
      expireInSeconds: settings.leaseSeconds,
      heartbeatSeconds: settings.heartbeatSeconds,
      retryLimit: settings.retries,
      retryDelay: 1,
      notify: true,
    };
    await boss.createQueue(queue, options);
    // The orchestrator's config rules the lease options (a worker's clone may hold an older one).
    if (update) await boss.updateQueue(queue, options);
  }
  return {
    boss,
    queue,
    project,
    url,
    sql,
    close: () => boss.stop({ graceful: true, timeout: 5000, close: true }),
  };
}

export function queueSettings(config: Config): QueueSettings {
  return { leaseSeconds: config.queue.leaseSeconds, heartbeatSeconds: config.queue.heartbeatSeconds, retries: config.queue.retries };
}
