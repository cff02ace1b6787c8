/** Names the config schema allows, in a module of their own: code that only needs a name need not load the schema. */

export const EXECUTORS = ["claude", "codex", "gemini", "aider", "command", "anthropic", "manual", "replay"] as const;

/** Executors that can run a step of a routing ladder: the agent CLIs and a command (a human or a replay cannot escalate). */
export const LADDER_EXECUTORS = ["claude", "codex", "gemini", "aider", "command"] as const;

export const GATE_NAMES = [
  "build",
  "typecheck",
  "lint",
  "tests",
  "coverage",
  "complexity",
  "function-length",
  "file-length",
  "duplication",
] as const;
export type GateName = (typeof GATE_NAMES)[number];
