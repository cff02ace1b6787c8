/**
 * What br holds still while an agent works: its own files and the git state. Captured before the
 * agent starts; the function returned puts back whatever the agent changed and names it.
 */
import type { ProjectPaths } from "../../infra/project.js";
import { captureGitState, restoreGitState } from "./git-state.js";
import { guardOwnFiles } from "./own-files.js";
import type { Violation } from "./violation.js";

/** `ownFiles: false` for a human at the manual executor, who marks tasks done by editing the plan through br. */
export function guardAttempt(paths: ProjectPaths, options: { ownFiles: boolean }): (agentPid?: number) => Violation[] {
  const restoreOwn = options.ownFiles ? guardOwnFiles(paths.root, paths.dir, paths.state) : () => [];
  const git = captureGitState(paths.root);
  return (agentPid) => [...restoreGitState(paths.root, git), ...restoreOwn(agentPid)];
}
