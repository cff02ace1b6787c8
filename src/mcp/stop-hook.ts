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
import type { Verification } from "../run/verify.js";
import { mask } from "../security/mask.js";
import { clip, clipStart } from "./views.js";

export interface HookPayload {
  session_id?: string;
  cwd?: string;
  hook_event_name?: string;
  stop_hook_active?: boolean;
}

export interface HookAnswer {
  exitCode: 0 | 1;
  stdout: string;
  stderr: string;
}

export const DEFAULT_MAX_BLOCKS = 5;

const allow = (stderr = ""): HookAnswer => ({ exitCode: 0, stdout: "", stderr });

export function parsePayload(input: string): HookPayload | string {
  try {
    const payload = JSON.parse(input) as unknown;
    if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) return payload as HookPayload;
    return "the hook's input is not a JSON object";
  } catch {
    return "the hook's input is not JSON (br verify --hook reads the agent's hook payload on stdin)";
  }
}

/** Why the stop is blocked, in words the agent acts on: the task, the failing check and its last lines. */
export function blockReason(taskId: string, verification: Verification, blocks: number, maxBlocks: number): string {
  const failing = verification.checks.find((c) => !c.passed);
  const lines = [`br: task ${taskId} is not done yet: ${clip(verification.reason ?? "its verification failed", 800)}`];
  if (failing) lines.push(`The check "${failing.name}" (${clip(failing.command, 200)}) failed:`, clipStart(failing.output, 1500));
  lines.push(
    "Fix the work so the checks pass (never by weakening or skipping tests, or by changing the checks), then stop again.",
    `(block ${blocks} of at most ${maxBlocks})`,
  );
  return mask(lines.join("\n"));
}

function blocksFile(paths: ProjectPaths, session: string): string {
  return join(paths.state, "hooks", `${session.replace(/[^\w.-]/g, "_").slice(0, 80) || "session"}.json`);
}

/** Blocks in a row for this session: a stop that does not follow a block starts the count again. */
function countBlock(paths: ProjectPaths, payload: HookPayload): number {
  const file = blocksFile(paths, payload.session_id ?? "session");
  let earlier = 0;
  if (payload.stop_hook_active === true && existsSync(file)) {
    try {
      earlier = Number((JSON.parse(readFileSync(file, "utf8")) as { blocks?: number }).blocks) || 0;
    } catch {
      earlier = 0;
    }
  }
  mkdirSync(join(paths.state, "hooks"), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ blocks: earlier + 1 })}\n`);
  return earlier + 1;
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
  const blocks = countBlock(paths, payload);
  if (blocks > options.maxBlocks)
    return allow(
      `br: task ${task.id} still fails its verification after ${options.maxBlocks} blocked stops; letting the agent stop. ${clip(mask(verification.reason ?? ""), 300)}\n`,
    );
  return { exitCode: 0, stdout: `${JSON.stringify({ decision: "block", reason: blockReason(task.id, verification, blocks, options.maxBlocks) })}\n`, stderr: "" };
}
