/**
 * `br hooks install --agent claude|codex`: adds `br verify --hook` as the agent's Stop hook in the
 * project's settings, next to whatever hooks the user has. A Stop hook br wrote before is updated in
 * place rather than added twice, so the command can run any number of times.
 */
import { join } from "node:path";
import type { ProjectPaths } from "../infra/project.js";
import { readSettings, type SettingsFile, setIn, writeSettings } from "./client-config.js";

export const HOOK_AGENTS = ["claude", "codex"] as const;
export type HookAgent = (typeof HOOK_AGENTS)[number];

/** How long the agent lets the hook run, in seconds: it runs the project's tests. */
const HOOK_TIMEOUT_S = 600;

interface HookCommand {
  type?: string;
  command?: string;
  timeout?: number;
}
interface HookGroup {
  matcher?: string;
  hooks?: HookCommand[];
}

/** Where each agent reads project hooks, and what else it needs to run them. */
const FILES: Record<HookAgent, { file: string; note: string }> = {
  claude: {
    file: join(".claude", "settings.json"),
    note: "Claude Code runs it when the agent stops (the project's .claude/settings.json).",
  },
  codex: {
    file: join(".codex", "hooks.json"),
    note: "Codex runs a project's hooks only in a trusted project, and only once you trust the hook itself: review it in codex's /hooks (Codex skips an untrusted hook without a word).",
  },
};

export interface HookInstall {
  agent: HookAgent;
  file: string;
  command: string;
  changed: boolean;
  note: string;
}

function isOurs(hook: HookCommand): boolean {
  return typeof hook.command === "string" && /\bverify --hook\b/.test(hook.command);
}

/** The Stop groups with br's hook set: replaced where it was, else added as a group of its own. */
function stopGroups(file: SettingsFile, hook: HookCommand): HookGroup[] {
  const hooks = (file.data.hooks ?? {}) as Record<string, unknown>;
  const groups = Array.isArray(hooks.Stop) ? (hooks.Stop as HookGroup[]) : [];
  let found = false;
  const updated = groups.map((group) => ({
    ...group,
    hooks: (group.hooks ?? []).map((h) => {
      if (!isOurs(h)) return h;
      found = true;
      return hook;
    }),
  }));
  return found ? updated : [...updated, { hooks: [hook] }];
}

export function installAgentHook(paths: ProjectPaths, agent: HookAgent, program: string, maxBlocks?: number): HookInstall {
  const { file: relative, note } = FILES[agent];
  const command = `${program} verify --hook --agent ${agent}${maxBlocks !== undefined ? ` --max-blocks ${maxBlocks}` : ""}`;
  const file = readSettings(join(paths.root, relative), relative);
  const hook: HookCommand = { type: "command", command, timeout: HOOK_TIMEOUT_S };
  const changed = writeSettings(file, setIn(file, ["hooks", "Stop"], stopGroups(file, hook)));
  return { agent, file: relative, command, changed, note };
}
