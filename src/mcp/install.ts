/**
 * `br mcp install`: registers `br mcp serve` with an agent CLI, in the project's own settings where
 * the client reads them (Claude Code's .mcp.json, Gemini CLI's .gemini/settings.json), or as the
 * command to run where the client keeps servers per user (Codex's ~/.codex/config.toml). Running
 * it again changes nothing; the user's other servers are kept.
 */
import { join } from "node:path";
import type { ProjectPaths } from "../infra/project.js";
import { readSettings, setIn, writeSettings } from "./client-config.js";

export const MCP_CLIENTS = ["claude", "codex", "gemini"] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];

export interface McpInstall {
  client: McpClient;
  /** The file written (relative to the project), when the client reads a project file. */
  file?: string;
  changed: boolean;
  /** The command the user runs instead, for a client configured per user. */
  command?: string;
  /** What to do next, in words. */
  note: string;
}

/** Where each client with a project file keeps its servers. */
const PROJECT_FILES: Partial<Record<McpClient, string>> = { claude: ".mcp.json", gemini: join(".gemini", "settings.json") };

export function installMcp(paths: ProjectPaths, client: McpClient, command: readonly string[]): McpInstall {
  const [program = "br", ...args] = command;
  const relative = PROJECT_FILES[client];
  if (!relative) {
    const line = `codex mcp add br -- ${[program, ...args].join(" ")}`;
    return {
      client,
      changed: false,
      command: line,
      note: `Codex keeps MCP servers in ~/.codex/config.toml: run \`${line}\`, and give br's checks time there (tool_timeout_sec = 600 under [mcp_servers.br]).`,
    };
  }
  const file = readSettings(join(paths.root, relative), relative);
  const entry = { command: program, args };
  const changed = writeSettings(file, setIn(file, ["mcpServers", "br"], entry));
  const note =
    client === "claude"
      ? "Claude Code asks once to approve a project's .mcp.json servers (or list br in enabledMcpjsonServers); its tools are mcp__br__*."
      : "Gemini CLI starts br mcp serve in this project; `gemini mcp list` shows it.";
  return { client, file: relative, changed, note };
}
