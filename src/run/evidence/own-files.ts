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

/**
 * Reads br's own files now; the function returned restores them and says what the agent had
 * changed. It is called with the agent's pid, and under the project lock, so that a br command
 * writing at that moment either finished (and is recognised) or waits.
 */
export function guardOwnFiles(root: string, ownDir: string, stateDir: string): (agentPid?: number) => Violation[] {
  const since = Date.now();
  const before = new Map(walk(ownDir, stateDir, []).map((file) => [file, readFileSync(file)]));
  return (agentPid) => {
    const violations: Violation[] = [];
    const now = walk(ownDir, stateDir, []);
    for (const file of new Set([...before.keys(), ...now])) {
      const was = before.get(file);
      const is = existsSync(file) ? readFileSync(file) : undefined;
      if (was !== undefined && is !== undefined && was.equals(is)) continue;
      if (is !== undefined && writtenByBr(ownDir, file, is, since, agentPid)) continue;
      if (was === undefined) rmSync(file, { force: true });
      else {
        mkdirSync(dirname(file), { recursive: true });
        writeFileAtomic(file, was.toString("utf8"));
      }
      const path = relative(root, file);
      violations.push({
        kind: "own-files",
        path,
        message: `${was === undefined ? "created" : is === undefined ? "deleted" : "changed"} ${path} (br's own record; only br changes it)`,
      });
    }
    return violations;
  };
}
