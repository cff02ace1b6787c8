/**
 * The PostgreSQL URL that switches parallel work from the local scheduler to the shared queue.
 * It comes from `--queue <url>`, BR_QUEUE_URL or `queue.url` in config.yaml, in that order. The
 * file is committed, so it may not hold a password (PGPASSWORD, ~/.pgpass or BR_QUEUE_URL can);
 * wherever br shows a URL it shows it redacted.
 */
import { usageError } from "./errors.js";

export type QueueUrlSource = "--queue" | "BR_QUEUE_URL" | "queue.url";

export interface QueueTarget {
  url: string;
  source: QueueUrlSource;
}

const PROTOCOLS = new Set(["postgres:", "postgresql:"]);

/** What is wrong with a URL for the queue (undefined when nothing is); `inFile` also refuses a password. */
export function queueUrlProblem(value: string, inFile: boolean): string | undefined {
  if (!URL.canParse(value)) return "must be a PostgreSQL URL, such as postgres://br@db.example.com:5432/buildrunner";
  const url = new URL(value);
  if (!PROTOCOLS.has(url.protocol)) return `must be a postgres:// or postgresql:// URL, not ${url.protocol}//`;
  if (!url.hostname) return "must name the database server's host, such as postgres://br@127.0.0.1:5432/buildrunner";
  if (inFile && (url.password || url.searchParams.has("password")))
    return "must not carry a password (config.yaml is committed): set PGPASSWORD, use ~/.pgpass, or put the whole URL in BR_QUEUE_URL";
  return undefined;
}

/** The URL as br may print or store it: any password replaced by ***. */
export function redactQueueUrl(value: string): string {
  if (!URL.canParse(value)) return value.replace(/:\/\/([^:/@\s]*):[^@\s]*@/, "://$1:***@");
  const url = new URL(value);
  if (url.password) url.password = "***";
  // libpq and node-postgres also take the password as a parameter.
  if (url.searchParams.has("password")) url.searchParams.set("password", "***");
  return url.toString();
}

/** The queue this command uses, or undefined for the local scheduler; a bad flag or variable is a usage error (exit 2). */
export function queueTarget(flag: string | undefined, env: NodeJS.ProcessEnv, configured: string | undefined): QueueTarget | undefined {
  const chosen: QueueTarget | undefined =
    flag !== undefined
      ? { url: flag, source: "--queue" }
      : env.BR_QUEUE_URL
        ? { url: env.BR_QUEUE_URL, source: "BR_QUEUE_URL" }
        : configured !== undefined
          ? { url: configured, source: "queue.url" }
          : undefined;
  if (!chosen) return undefined;
  const problem = queueUrlProblem(chosen.url, chosen.source === "queue.url");
  if (problem)
    throw usageError(`${chosen.source} ${problem} (got ${redactQueueUrl(chosen.url)}).`, {
      fix: "Give a PostgreSQL URL: br worker --queue postgres://user@host:5432/db, or BR_QUEUE_URL=…",
    });
  return chosen;
}
