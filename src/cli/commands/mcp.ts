import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import { checkedProject, positiveNumber, workingDir } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";

function oneOf<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw usageError(`${flag} ${String(value)}: not one br knows.`, { fix: `Use one of: ${allowed.join(", ")}.` });
}

/** The command line an agent runs to reach br: `br` on its PATH unless --command says otherwise. */
function brCommand(value: unknown): string[] {
  const words = typeof value === "string" ? value.trim().split(/\s+/).filter(Boolean) : [];
  return words.length > 0 ? words : ["br"];
}

export function registerMcp(program: Command): void {
  const mcp = program.command("mcp").description("the MCP server agents use to read the plan, take tasks and have their work verified");
  mcp
    .command("serve")
    .description("serve MCP over stdio (the agent starts it: see br mcp install)")
    .action(
      action<[]>(async (options) => {
        const paths = await checkedProject(options);
        const { serveMcp } = await import("../../mcp/server.js");
        await serveMcp(paths);
      }),
    );
  mcp
    .command("install")
    .description(
      "register br mcp serve with an agent CLI: the project's .mcp.json (claude), .gemini/settings.json (gemini), or the command to run (codex)",
    )
    .option("--client <name>", "claude | codex | gemini", "claude")
    .option("--command <cmd>", "how the agent starts br (default: br on its PATH)")
    .option("--json", 'print { "client", "file", "changed", "command", "note" }')
    .action(
      action<[]>(async (options) => {
        const { installMcp, MCP_CLIENTS } = await import("../../mcp/install.js");
        const client = oneOf("--client", options.client, MCP_CLIENTS);
        const paths = await checkedProject(options);
        const result = installMcp(paths, client, [...brCommand(options.command), "mcp", "serve"]);
        emit(options.json, result, () => [
          result.file
            ? `${style.green("✓")} ${result.file}: br ${result.changed ? "registered" : "already registered (unchanged)"}`
            : `Run: ${result.command}`,
          style.dim(`  ${result.note}`),
        ]);
      }),
    );
}

export function registerVerify(program: Command): void {
  program
    .command("verify [task]")
    .description("verify the work on a task started here (default: the one started last), as br run verifies an attempt; changes nothing")
    .option("--hook", "answer an agent's Stop hook: read its payload on stdin, block the stop while the evidence fails")
    .option("--agent <name>", "the agent whose hook format to answer in: claude | codex", "claude")
    .option("--max-blocks <n>", "with --hook: let the agent stop after this many blocks in a row (default 5)")
    .option("--json", 'print { "task", "passed", "reason", "changedFiles", "checks", "violations" }')
    .action(
      action<[string | undefined]>(async (taskId, options) => {
        if (options.hook) return answerHook(options);
        const paths = await checkedProject(options);
        const { checkWork, currentWork } = await import("../../run/agent-work.js");
        const id = taskId ?? (await currentWork(paths))?.id;
        if (!id) throw usageError("No task is started here.", { fix: "Name one (br verify <task>) or start one: br tasks start <id>." });
        const { verification } = await checkWork(paths, id);
        const { verificationView } = await import("../../mcp/views.js");
        emit(options.json, { task: id, ...verificationView(verification) }, () => [
          verification.passed
            ? `${style.green("✓")} ${id}: the work passes its verification`
            : `${style.red("✗")} ${id}: ${verification.reason}`,
          ...verification.checks.map((c) => `  ${c.passed ? "✓" : "✗"} ${c.name}: ${c.command}`),
        ]);
        if (!verification.passed) setExitCode(1);
      }),
    );
}

/**
 * To the agent, exit 2 from a Stop hook means "block": so every problem here (bad flags, a broken
 * config.yaml) exits 1, which the agent reports without holding the stop.
 */
async function answerHook(options: Record<string, unknown>): Promise<void> {
  const { reserveStdoutForJson } = await import("../../infra/log.js");
  reserveStdoutForJson(); // stdout carries the answer alone: anything br says goes to stderr
  try {
    oneOf("--agent", options.agent, ["claude", "codex"] as const);
    const { answerStopHook } = await import("../../mcp/stop-hook.js");
    const { DEFAULT_MAX_BLOCKS } = await import("../../mcp/stop-decision.js");
    const maxBlocks = positiveNumber("--max-blocks", options.maxBlocks, true) ?? DEFAULT_MAX_BLOCKS;
    const answer = await answerStopHook(readFileSync(0, "utf8"), { cwd: workingDir(options), maxBlocks });
    process.stdout.write(answer.stdout);
    process.stderr.write(answer.stderr);
    setExitCode(answer.exitCode);
  } catch (error) {
    const { BrError } = await import("../../infra/errors.js");
    const { mask } = await import("../../security/mask.js");
    const words = mask(error instanceof BrError ? `${error.message}${error.fix ? ` ${error.fix}` : ""}` : String(error));
    process.stderr.write(`br verify --hook: ${words} (the stop is allowed)\n`);
    setExitCode(1);
  }
}

/** `br hooks install --agent claude|codex`: the agent's Stop hook rather than git's hooks. */
export async function installAgentHookCommand(options: Record<string, unknown>): Promise<void> {
  const { installAgentHook, HOOK_AGENTS } = await import("../../mcp/hook-install.js");
  const agent = oneOf("--agent", options.agent, HOOK_AGENTS);
  const maxBlocks = positiveNumber("--max-blocks", options.maxBlocks, true);
  const paths = await checkedProject(options);
  const result = installAgentHook(paths, agent, brCommand(options.command).join(" "), maxBlocks);
  emit(options.json === true, result, () => [
    `${style.green("✓")} ${result.file}: Stop hook \`${result.command}\` ${result.changed ? "installed" : "already installed (unchanged)"}`,
    style.dim(`  ${result.note}`),
  ]);
}
