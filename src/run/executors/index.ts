import type { Config } from "../../infra/config.js";
import { EXECUTORS } from "../../infra/config-names.js";
import { usageError } from "../../infra/errors.js";
import { aiderExecutor } from "./aider.js";
import { claudeExecutor } from "./claude.js";
import { codexExecutor } from "./codex.js";
import { commandExecutor } from "./command.js";
import { geminiExecutor } from "./gemini.js";
import { type Evidence, manualExecutor } from "./manual.js";
import { replayExecutor } from "./replay.js";
import type { Executor } from "./types.js";

export function createExecutor(
  name: string,
  config: Config,
  projectRoot: string,
  evidence: (taskId: string) => Evidence | undefined,
): Executor {
  const settings = config.executors[name] ?? {};
  switch (name) {
    case "claude":
      return claudeExecutor(settings);
    case "codex":
      return codexExecutor(settings);
    case "gemini":
      return geminiExecutor(settings);
    case "aider":
      return aiderExecutor(settings);
    case "command":
      return commandExecutor(settings);
    case "manual":
      return manualExecutor(settings, evidence);
    case "replay":
      return replayExecutor(settings, projectRoot);
    case "anthropic":
      throw usageError("The anthropic executor plans; it cannot change files, so it cannot build tasks.", {
        fix: "Use claude, codex, gemini, aider, command, manual or replay with br run (anthropic serves `br tasks generate --llm`).",
      });
    default:
      throw usageError(`Unknown executor "${name}".`, { fix: `Use one of: ${EXECUTORS.join(", ")}.` });
  }
}

/** One executor per name for the whole run, made when a ladder step first needs it. */
export function executorPool(
  config: Config,
  projectRoot: string,
  evidence: (taskId: string) => Evidence | undefined,
): (name: string) => Executor {
  const made = new Map<string, Executor>();
  return (name) => {
    let executor = made.get(name);
    if (!executor) {
      executor = createExecutor(name, config, projectRoot, evidence);
      made.set(name, executor);
    }
    return executor;
  };
}
