/** The official MCP SDK's client, spawning the built `br mcp serve` in a project as an agent CLI would. */
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { BR } from "../helpers.ts";

export interface ToolReply {
  isError: boolean;
  /** The reply's text (br answers with one JSON text block). */
  text: string;
  json: Record<string, unknown>;
}

export interface BrMcp {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<ToolReply>;
  close(): Promise<void>;
}

/** Every call has a deadline: a tool that hangs fails the test instead of holding the suite. */
const CALL_DEADLINE_MS = 120_000;

export async function connectBr(cwd: string, env: Record<string, string> = {}): Promise<BrMcp> {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  delete base.NODE_TEST_CONTEXT;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BR, "mcp", "serve"],
    cwd,
    env: { ...base, NO_COLOR: "1", BR_TELEMETRY_DISABLED: "1", ...env },
    stderr: "pipe",
  });
  const client = new Client({ name: "br-test", version: "1.0.0" });
  await client.connect(transport);
  return {
    client,
    async call(name, args = {}) {
      const reply = await client.callTool({ name, arguments: args }, { timeout: CALL_DEADLINE_MS });
      const blocks = reply.content as { type: string; text?: string }[];
      const text = blocks.map((b) => b.text ?? "").join("\n");
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // the SDK's own validation errors are plain text
      }
      return { isError: reply.isError === true, text, json };
    },
    close: () => client.close(),
  };
}
