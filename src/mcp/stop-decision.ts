/**
 * What the Stop hook answers (stop-hook.ts does the reading and writing): allow when the evidence
 * holds, block with the failing checks while it does not, and let the agent go after `maxBlocks`
 * blocks in a row. Claude Code and Codex read the same answer: `{"decision":"block","reason":…}`
 * on stdout with exit 0 blocks; exit 0 with nothing allows. It never exits 2: to the agent that
 * means "block", and a broken payload must not hold an agent hostage.
 */
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

export const allow = (stderr = ""): HookAnswer => ({ exitCode: 0, stdout: "", stderr });

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

/**
 * The answer for a verification, given how many blocks in a row this one would make: a block
 * while it fails and the count allows, else an allow (with a word to the user when br gives up).
 */
export function decideStop(taskId: string, verification: Verification, blocks: number, maxBlocks: number): HookAnswer {
  if (verification.passed) return allow();
  if (blocks > maxBlocks)
    return allow(
      `br: task ${taskId} still fails its verification after ${maxBlocks} blocked stops; letting the agent stop. ${clip(mask(verification.reason ?? ""), 300)}\n`,
    );
  const reason = blockReason(taskId, verification, blocks, maxBlocks);
  return { exitCode: 0, stdout: `${JSON.stringify({ decision: "block", reason })}\n`, stderr: "" };
}

/** Blocks in a row: a stop that does not follow a block (stop_hook_active false) starts again at 1. */
export function nextBlockCount(payload: HookPayload, earlier: number): number {
  return payload.stop_hook_active === true ? earlier + 1 : 1;
}
