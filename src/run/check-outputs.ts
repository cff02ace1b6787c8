/**
 * Files the project's own checks write (coverage reports, caches) are not the agent's work and
 * must not make the tree dirty for the next run. After an attempt's checks, new untracked files
 * that the agent did not write and that were not there before are excluded locally in
 * .git/info/exclude (never in the project's .gitignore, which is the team's).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { git, workingChanges } from "../infra/git.js";
import { say, style } from "../infra/log.js";
import { isOwnFile } from "./scope.js";
import type { TreeSnapshot } from "./tree.js";

const HEADER = "# br: files the project's checks write (coverage reports, caches); see br run";

/**
 * The entry that covers a path: its top folder when nothing in that folder is tracked and every
 * new file in it is a check's output (never a folder the agent is writing into), else the file.
 */
function entryFor(root: string, path: string, keep: readonly string[]): string {
  const top = path.split("/")[0] as string;
  const others = keep.some((p) => p.startsWith(`${top}/`));
  if (top !== path && !others && git(root, ["ls-files", "--", top]).stdout.trim() === "") return `/${top}/`;
  return `/${path}`;
}

export function excludeCheckOutputs(root: string, baseline: TreeSnapshot, agentChanged: readonly string[]): string[] {
  const agent = new Set(agentChanged);
  const untracked = workingChanges(root).filter((c) => c.status === "??");
  const isOutput = (path: string) => !agent.has(path) && !(path in baseline.dirty) && !isOwnFile(path);
  const outputs = untracked.filter((c) => isOutput(c.path)).map((c) => c.path);
  // Untracked files that are not outputs (the agent's, the user's) keep their folder visible.
  const keep = untracked.filter((c) => !isOutput(c.path)).map((c) => c.path);
  if (outputs.length === 0) return [];
  const file = git(root, ["rev-parse", "--git-path", "info/exclude"]).stdout.trim();
  if (!file) return [];
  const full = file.startsWith("/") ? file : `${root}/${file}`;
  const existing = existsSync(full) ? readFileSync(full, "utf8") : "";
  const have = new Set(existing.split("\n"));
  const entries = [...new Set(outputs.map((p) => entryFor(root, p, keep)))].filter((e) => !have.has(e));
  if (entries.length === 0) return [];
  mkdirSync(dirname(full), { recursive: true });
  const prefix = have.has(HEADER) ? "" : `${existing && !existing.endsWith("\n") ? "\n" : ""}${HEADER}\n`;
  appendFileSync(full, `${prefix}${entries.join("\n")}\n`);
  say(style.dim(`  files the checks wrote are kept out of git (.git/info/exclude): ${entries.join(", ")}`));
  return entries;
}
