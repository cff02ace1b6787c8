// The real agent CLIs the contract tests drive (test/real-clis.test.ts), at pinned versions, from
// the npm registry only, installed once into a cache (no install scripts run):
//
//   node scripts/agent-clis.mjs                 installs all of them and prints their commands
//   node scripts/agent-clis.mjs claude --path   prints the command that runs Claude Code
//
// Claude Code and Codex are native binaries shipped in per-platform packages (optional
// dependencies of the main package); their install scripts only link them, so br runs the binary
// from the platform package directly. Gemini CLI is JavaScript, run with the pinned Node 24.
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { installFromRegistry, nodeBinary } from "./node-runtime.mjs";

/** Exact versions, raised on purpose: the tests pin the wire formats and output of these. */
export const AGENT_VERSIONS = { claude: "2.1.332", codex: "0.171.0", gemini: "0.61.0" };

const PLATFORM = `${process.platform}-${process.arch}`;

/** The npm package of each CLI, and where its runnable file is inside the install folder. */
const AGENTS = {
  claude: {
    package: "@anthropic-ai/claude-code",
    entry: () => ({ command: join("node_modules", "@anthropic-ai", `claude-code-${PLATFORM}`, "claude"), node: false }),
  },
  codex: {
    package: "@openai/codex",
    entry: () => ({ command: join("node_modules", "@openai", `codex-${PLATFORM}`, "vendor", rustTarget(), "bin", "codex"), node: false }),
  },
  gemini: {
    package: "@google/gemini-cli",
    entry: () => ({ command: join("node_modules", "@google", "gemini-cli", "bundle", "gemini.js"), node: true }),
  },
};

function rustTarget() {
  const targets = { "linux-x64": "x86_64-unknown-linux-musl", "linux-arm64": "aarch64-unknown-linux-musl" };
  const target = targets[PLATFORM];
  if (!target) throw new Error(`No pinned Codex build for ${PLATFORM} (pinned: ${Object.keys(targets).join(", ")}).`);
  return target;
}

export function agentsCacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "buildrunner", "agents");
}

/**
 * How to run one pinned CLI, installing it on first use: `{ command, args }` (args holds the
 * script for a JavaScript CLI run by the pinned Node 24).
 */
export function agentCommand(name) {
  const agent = AGENTS[name];
  const version = AGENT_VERSIONS[name];
  if (!agent) throw new Error(`No pinned agent CLI "${name}"; known: ${Object.keys(AGENTS).join(", ")}.`);
  const dir = join(agentsCacheDir(), `${name}-${version}`);
  const entry = agent.entry();
  const file = join(dir, entry.command);
  if (!existsSync(file)) installFromRegistry(`${agent.package}@${version}`, dir);
  if (!existsSync(file)) throw new Error(`${agent.package}@${version} installed, but ${file} is missing (no build for ${PLATFORM}?).`);
  return entry.node ? { command: nodeBinary("24"), args: [file] } : { command: file, args: [] };
}

/** Whether the npm registry answers, so the tests can say why they skip. */
export function registryReachable() {
  const result = spawnSync("npm", ["view", "@openai/codex@0.171.0", "version"], {
    encoding: "utf8",
    timeout: 30_000,
    shell: process.platform === "win32",
  });
  return result.status === 0 && result.stdout.trim() === "0.171.0";
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const [name, flag] = process.argv.slice(2);
  try {
    for (const each of name ? [name] : Object.keys(AGENTS)) {
      const { command, args } = agentCommand(each);
      console.log(flag === "--path" ? [command, ...args].join(" ") : `${each} ${AGENT_VERSIONS[each]}: ${[command, ...args].join(" ")}`);
    }
  } catch (error) {
    console.error(`Error: ${error.message}`);
    process.exit(2);
  }
}
