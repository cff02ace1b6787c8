/**
 * br's own files (.buildrunner/: the registry, the plan, config, the security baseline, anything
 * else br keeps there except its state folder) as they were before the agent ran. An agent that
 * edits them is rewriting the record or the rules it is judged by: they are put back, and the
 * attempt fails.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { writeFileAtomic } from "../../infra/atomic-file.js";
import { contentHash, ownWritesSince, writtenByAgent } from "../../infra/own-writes.js";
import type { Violation } from "./violation.js";

/** Files br rewrites whenever they are stale (an agent may run `br status`): not a record to guard. */
const DERIVED = new Set(["STATUS.md"]);

function walk(dir: string, skip: string, out: string[]): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (full === skip || DERIVED.has(name)) continue;
    if (statSync(full).isDirectory()) walk(full, skip, out);
    else out.push(full);
  }
  return out;
}

/**
 * Whether the file's content now is what a br command wrote meanwhile (the user's `br features add`
 * in another terminal), not the agent's doing: such changes are kept.
 */
function writtenByBr(ownDir: string, file: string, content: Buffer, since: number, agentPid: number | undefined): boolean {
  const name = relative(ownDir, file);
  const last = ownWritesSince(ownDir, since)
    .filter((w) => w.file === name)
    .at(-1);
  return last !== undefined && last.sha === contentHash(content) && !writtenByAgent(last, agentPid);
}

/** br's own files as they are now: path (relative to the project folder) → content. Kept with an attempt's baseline. */
export type OwnSnapshot = Record<string, string>;

export function snapshotOwnFiles(ownDir: string, stateDir: string): OwnSnapshot {
  return Object.fromEntries(walk(ownDir, stateDir, []).map((file) => [relative(ownDir, file), readFileSync(file, "utf8")]));
}

/**
 * Puts br's own files back as they were in `before`, except changes a br command outside the
 * agent wrote since `since` (the user's, kept); says what the agent had changed.
 */
export function restoreOwnFiles(
  root: string,
  ownDir: string,
  stateDir: string,
  before: OwnSnapshot,
  since: number,
  agentPid?: number,
): Violation[] {
  const violations: Violation[] = [];
  const now = walk(ownDir, stateDir, []).map((file) => relative(ownDir, file));
  for (const name of new Set([...Object.keys(before), ...now])) {
    const file = join(ownDir, name);
    const was = before[name];
    const is = existsSync(file) ? readFileSync(file) : undefined;
    if (was !== undefined && is?.equals(Buffer.from(was, "utf8"))) continue;
    if (is !== undefined && writtenByBr(ownDir, file, is, since, agentPid)) continue;
    if (was === undefined) rmSync(file, { force: true });
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomic(file, was);
    }
    const path = relative(root, file);
    violations.push({
      kind: "own-files",
      path,
      message: `${was === undefined ? "created" : is === undefined ? "deleted" : "changed"} ${path} (br's own record; only br changes it)`,
    });
  }
  return violations;
}

/**
 * Reads br's own files now; the function returned restores them and says what the agent had
 * changed. It is called with the agent's pid, and under the project lock, so that a br command
 * writing at that moment either finished (and is recognised) or waits.
 */
export function guardOwnFiles(
  root: string,
  ownDir: string,
  stateDir: string,
  taken: { files: OwnSnapshot; at: number } = { at: Date.now(), files: snapshotOwnFiles(ownDir, stateDir) },
): (agentPid?: number) => Violation[] {
  const { files: before, at: since } = taken;
  return (agentPid) => restoreOwnFiles(root, ownDir, stateDir, before, since, agentPid);
}
