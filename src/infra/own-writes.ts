/**
 * A ledger of br's writes to its own files (.buildrunner/, outside state/), so a running `br run`
 * can tell the user's `br features add` in another terminal, which it must keep, from an agent
 * rewriting the record, which it puts back. Each entry names the content's hash and who wrote it:
 * the writer's process ancestry and session, and whether it ran inside an agent attempt.
 */
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { nodeCrypto } from "./crypto.js";

export interface OwnWrite {
  /** Path relative to the project's .buildrunner folder. */
  file: string;
  sha: string;
  at: number;
  pid: number;
  /** Parent, grandparent, … (Linux; empty elsewhere). */
  ancestors: number[];
  sid?: number;
  /** BR_AGENT_ATTEMPT of the writer: set when an agent that br started ran the br command. */
  agentAttempt?: string;
}

const LEDGER = join("state", "own-writes.jsonl");
/** Past this size the ledger starts again: only writes during the current attempt matter. */
const MAX_BYTES = 1_000_000;
const MAX_ANCESTORS = 64;

interface ContentHasher {
  update(bytes: Buffer): ContentHasher;
  digest(encoding: "hex"): string;
}

/** The hash the ledger records: sha256, fed whole or a part at a time (see writeFileAtomic). */
export function contentHasher(): ContentHasher {
  return nodeCrypto().createHash("sha256");
}

export function contentHash(content: string | Buffer): string {
  return contentHasher()
    .update(typeof content === "string" ? Buffer.from(content, "utf8") : content)
    .digest("hex");
}

/** Whether br keeps a ledger entry for writes to this path (its own files, outside state/). */
export function isOwnFile(path: string): boolean {
  return ownPlace(path) !== undefined;
}

/** The project folder (.buildrunner) a path lies in, and the path within it; undefined for state/ and outside. */
function ownPlace(path: string): { projectDir: string; file: string } | undefined {
  const full = resolve(path);
  for (let dir = dirname(full); dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) !== ".buildrunner") continue;
    const file = relative(dir, full);
    return file === "state" || file.startsWith(`state${sep}`) ? undefined : { projectDir: dir, file };
  }
  return undefined;
}

/** /proc/<pid>/stat: ppid is field 4 and the session field 6, counted after the command name's closing parenthesis. */
function procStat(pid: number): { ppid: number; sid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), sid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

function ancestry(): { ancestors: number[]; sid?: number } {
  const own = procStat(process.pid);
  const ancestors: number[] = [];
  for (let pid = own?.ppid ?? 0; pid > 1 && ancestors.length < MAX_ANCESTORS; pid = procStat(pid)?.ppid ?? 0) ancestors.push(pid);
  return own ? { ancestors, sid: own.sid } : { ancestors };
}

/** Records a write br just made to one of its own files, by its content's hash (contentHasher). Best effort: the write itself has happened. */
export function noteOwnWrite(path: string, sha: string): void {
  const place = ownPlace(path);
  if (!place) return;
  const ledger = join(place.projectDir, LEDGER);
  try {
    if (existsSync(ledger) && statSync(ledger).size > MAX_BYTES) truncateSync(ledger, 0);
    const agentAttempt = process.env.BR_AGENT_ATTEMPT;
    const entry: OwnWrite = {
      file: place.file,
      sha,
      at: Date.now(),
      pid: process.pid,
      ...ancestry(),
      ...(agentAttempt ? { agentAttempt } : {}),
    };
    appendFileSync(ledger, `${JSON.stringify(entry)}\n`);
  } catch {
    // no state folder yet (br init), or a read-only one: nothing to protect against then
  }
}

/** The writes recorded since `since` (ms), newest last. */
export function ownWritesSince(projectDir: string, since: number): OwnWrite[] {
  let text: string;
  try {
    text = readFileSync(join(projectDir, LEDGER), "utf8");
  } catch {
    return [];
  }
  const out: OwnWrite[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const entry = JSON.parse(line) as OwnWrite;
      if (entry.at >= since) out.push(entry);
    } catch {
      // a line cut by a kill
    }
  }
  return out;
}

/** Whether a write came from the agent of an attempt (its process tree or session, or the marker br sets in its environment). */
export function writtenByAgent(write: OwnWrite, agentPid: number | undefined): boolean {
  if (write.agentAttempt) return true;
  if (agentPid === undefined) return false;
  return write.pid === agentPid || write.sid === agentPid || write.ancestors.includes(agentPid);
}
