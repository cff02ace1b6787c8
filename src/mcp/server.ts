/**
 * `br mcp serve`: the tools (tools.ts) over MCP's stdio transport, with the official SDK. stdout
 * belongs to the protocol, so everything br would print goes to stderr. A refusal br would exit 2
 * for (a task that does not exist, one that is not ready) comes back as a tool error with the
 * same message and fix as the CLI's, which the model can read and act on.
 */
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import pkg from "../../package.json" with { type: "json" };
import { BrError } from "../infra/errors.js";
import { reserveStdoutForJson } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import { mask } from "../security/mask.js";
import { TOOLS, type ToolSpec } from "./tools.js";

type ToolAnswer = { content: { type: "text"; text: string }[]; isError?: boolean };

function text(value: unknown, isError = false): ToolAnswer {
  return { content: [{ type: "text", text: mask(JSON.stringify(value)) }], ...(isError ? { isError: true } : {}) };
}

/** The CLI's words for a refusal: the message and, when there is one, the fix. */
function refusal(error: unknown): ToolAnswer {
  if (error instanceof BrError) return text({ error: error.message, ...(error.fix ? { fix: error.fix } : {}) }, true);
  return text({ error: `br failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` }, true);
}

async function call(tool: ToolSpec, paths: ProjectPaths, args: Record<string, unknown>): Promise<ToolAnswer> {
  if (tool.writes && process.env.BR_AGENT_ATTEMPT)
    return text(
      {
        error: `br run started this agent for task ${process.env.BR_AGENT_ATTEMPT}: br run judges and records its work, not ${tool.name}.`,
        fix: "Do the task; br run verifies it when you finish.",
      },
      true,
    );
  try {
    const { result, failed } = await tool.run(paths, args);
    return text(result, failed === true);
  } catch (error) {
    return refusal(error);
  }
}

export function buildServer(paths: ProjectPaths): McpServer {
  const server = new McpServer(
    { name: "br", version: pkg.version },
    { instructions: "BuildRunner's plan for this project. next_task, start_task, then complete_task: only verified work is done." },
  );
  for (const tool of TOOLS)
    server.registerTool(tool.name, { description: tool.description, inputSchema: tool.input }, (args: unknown) =>
      call(tool, paths, (args ?? {}) as Record<string, unknown>),
    );
  return server;
}

/** Serves until the client closes stdin. */
export async function serveMcp(paths: ProjectPaths): Promise<void> {
  reserveStdoutForJson();
  await new Promise<void>((resolve) => {
    const handle = serveStdio(() => buildServer(paths), {
      onerror: (error) => process.stderr.write(`br mcp: ${mask(error.message)}\n`),
    });
    process.stdin.once("end", () => void handle.close().then(resolve));
    process.stdin.once("close", () => void handle.close().then(resolve));
  });
}
