/** The pinned real agent CLIs (scripts/agent-clis.mjs) for the contract tests, and how to point them at a local model-API server. */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import type { ModelServer } from "./model-servers/common.ts";

const ROOT = resolve(import.meta.dirname, "..");

/** The command of each pinned CLI, installing it on first use; a skip reason if the registry is unreachable. */
export function installed(name: string): { command?: string; skip?: string } {
  const result = spawnSync(process.execPath, [join(ROOT, "scripts", "agent-clis.mjs"), name, "--path"], {
    encoding: "utf8",
    timeout: 6 * 60_000,
  });
  if (result.status === 0) return { command: result.stdout.trim() };
  const ping = spawnSync("npm", ["ping"], { encoding: "utf8", timeout: 30_000 });
  if (ping.status !== 0)
    return { skip: `the npm registry is unreachable, so ${name} could not be installed: ${ping.stderr.trim().split("\n").at(-1)}` };
  throw new Error(`Could not install the pinned ${name}: ${result.stderr}`);
}

/** Claude Code's variables, in its own home, pointing it at the server. */
export function claudeEnv(home: string, server: ModelServer): Record<string, string> {
  return {
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, ".claude"),
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: "sk-ant-test",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    // Claude Code retries 429/5xx/529 itself (10 times by default): once is enough here.
    CLAUDE_CODE_MAX_RETRIES: "0",
  };
}
