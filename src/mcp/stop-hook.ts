/**
 * `br verify --hook`: the agent's Stop hook. When an agent the user started tries to stop while
 * the task it took through br still fails its evidence, the hook blocks the stop and hands the
 * agent the failing checks as the reason, so it keeps working; once the evidence holds, the stop
 * is allowed. After `maxBlocks` blocks in a row (the agent's `stop_hook_active` says a stop follows
 * a block) it lets the agent stop, so a task it cannot finish does not loop forever.
 *
 * Claude Code and Codex read the same answer: `{"decision":"block","reason":…}` on stdout with
 * exit 0 blocks; exit 0 with nothing allows. br never exits 2 here: to the agent, exit 2 means
 * "block", and a broken payload must not hold an agent hostage. When br itself runs the agent
 * (BR_AGENT_ATTEMPT), br's own verification after the run is the judge and the hook stands aside.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { findProject, type ProjectPaths } from "../infra/project.js";
import { checkWork, currentWork } from "../run/agent-work.js";
import { allow, decideStop, type HookAnswer, type HookPayload, nextBlockCount, parsePayload } from "./stop-decision.js";

export type { HookAnswer };

function blocksFile(paths: ProjectPaths, session: string): string {
  return join(paths.state, "hooks", `${session.replace(/[^\w.-]/g, "_").slice(0, 80) || "session"}.json`);
}

/** Records this block for the session and returns how many in a row it makes. */
function countBlock(paths: ProjectPaths, payload: HookPayload): number {
  const file = blocksFile(paths, payload.session_id ?? "session");
  let earlier = 0;
  if (existsSync(file)) {
    try {
      earlier = Number((JSON.parse(readFileSync(file, "utf8")) as { blocks?: number }).blocks) || 0;
    } catch {
      earlier = 0; // a torn record: count from here
    }
  }
  const blocks = nextBlockCount(payload, earlier);
  mkdirSync(join(paths.state, "hooks"), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ blocks })}\n`);
  return blocks;
}

export async function answerStopHook(input: string, options: { cwd: string; maxBlocks: number }): Promise<HookAnswer> {
  if (process.env.BR_AGENT_ATTEMPT) return allow(); // br run verifies its own agents' work
  const payload = parsePayload(input);
  if (typeof payload === "string") return { exitCode: 1, stdout: "", stderr: `br verify --hook: ${payload}; the stop is allowed.\n` };
  let paths: ProjectPaths;
  try {
    paths = findProject(payload.cwd ?? options.cwd);
  } catch {
    return allow(); // not a br project: nothing to judge
  }
  const task = await currentWork(paths);
  if (!task) return allow(); // no task taken through br here
  const { verification } = await checkWork(paths, task.id);
  if (verification.passed) return allow();
  return decideStop(task.id, verification, countBlock(paths, payload), options.maxBlocks);
}
