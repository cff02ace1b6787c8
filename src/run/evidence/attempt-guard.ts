/**
 * What br holds still while an agent works: its own files and the git state. Captured before the
 * agent starts (or taken from the attempt's baseline); the function returned puts back whatever
 * the agent changed and names it.
 */
import type { ProjectPaths } from "../../infra/project.js";
import { captureGitState, type GitState, restoreGitState } from "./git-state.js";
import { guardOwnFiles, type OwnSnapshot } from "./own-files.js";
import type { Violation } from "./violation.js";

export interface GuardOptions {
  /** false for a human at the manual executor, who marks tasks done by editing the plan through br. */
  ownFiles: boolean;
  git?: GitState;
  own?: { files: OwnSnapshot; at: number };
}

export function guardAttempt(paths: ProjectPaths, options: GuardOptions): (agentPid?: number) => Violation[] {
  const restoreOwn = options.ownFiles ? guardOwnFiles(paths.root, paths.dir, paths.state, options.own) : () => [];
  const git = options.git ?? captureGitState(paths.root);
  return (agentPid) => [...restoreGitState(paths.root, git), ...restoreOwn(agentPid)];
}
