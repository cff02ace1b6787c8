/**
 * The git state br leaves an agent in (branch, HEAD, index, branches, hooks) and its restoration:
 * an attempt that switches branch, rewinds or rewrites history, or edits a hook has changed what br
 * commits to or how it is checked. Commits on top of the starting commit are the agent's work,
 * measured like any other change; everything else is put back and the attempt fails.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { nodeCrypto } from "../../infra/crypto.js";
import { git, gitBatch, gitWritingIndex } from "../../infra/git.js";
import { gitConfigFingerprint, gitStateFingerprint } from "./git-files.js";
import type { Violation } from "./violation.js";

export interface GitState {
  head: string | undefined;
  branch: string | undefined;
  /** The index as a tree, so staging by the agent can be undone exactly. */
  index: string | undefined;
  branches: Record<string, string>;
  hooksDir: string;
  hooks: Record<string, string>;
  hooksPath: string | undefined;
  /**
   * Branches other br processes move meanwhile (the other streams', the target that verified work
   * is integrated into): names, or prefixes ending in "/". Not the agent's to change, nor to judge it by.
   */
  ignored?: string[];
}

function isIgnored(name: string, ignored: readonly string[]): boolean {
  return ignored.some((entry) => (entry.endsWith("/") ? name.startsWith(entry) : name === entry));
}

function out(root: string, args: string[]): string | undefined {
  const result = git(root, args);
  return result.code === 0 ? result.stdout.trim() || undefined : undefined;
}

function hooksIn(dir: string): Record<string, string> {
  // core.hooksPath=/dev/null is a common way to turn hooks off: no folder, no hooks.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return {};
  const hooks: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (!name.endsWith(".sample") && statSync(file).isFile()) hooks[name] = readFileSync(file, "utf8");
  }
  return hooks;
}

const defaultHooksDirs = new Map<string, string>();

/** Where git looks for hooks: core.hooksPath, or the repository's hooks folder (asked of git once per root). */
function hooksDirOf(root: string, hooksPath: string | undefined): string {
  if (hooksPath !== undefined) return isAbsolute(hooksPath) ? hooksPath : join(root, hooksPath);
  let dir = defaultHooksDirs.get(root);
  if (dir === undefined) {
    const found = out(root, ["rev-parse", "--git-path", "hooks"]) ?? ".git/hooks";
    dir = isAbsolute(found) ? found : join(root, found);
    defaultHooksDirs.set(root, dir);
  }
  return dir;
}

/**
 * The queries a capture asks. The branch checked out and HEAD come with the branches (%(HEAD)
 * marks the current one); only a detached or unborn HEAD needs the two queries after them.
 */
const CAPTURE = [["for-each-ref", "--format=%(HEAD) %(refname:short) %(objectname)", "refs/heads"], ["write-tree"]] as const;
const HOOKS_PATH = ["config", "--get", "core.hooksPath"] as const;
const OFF_BRANCH = [
  ["symbolic-ref", "-q", "--short", "HEAD"],
  ["rev-parse", "-q", "--verify", "HEAD"],
] as const;

/** The last core.hooksPath per root, with the fingerprint of the configuration files it was read under. */
const lastHooksPath = new Map<string, { fingerprint: string; value: string | undefined }>();

/** core.hooksPath, asked of git only when a configuration file changed since it was last asked. */
function configuredHooksPath(root: string): string | undefined {
  const before = gitConfigFingerprint(root);
  const last = lastHooksPath.get(root);
  if (before !== undefined && last?.fingerprint === before) return last.value;
  const value = out(root, [...HOOKS_PATH]);
  if (before !== undefined && gitConfigFingerprint(root) === before) lastHooksPath.set(root, { fingerprint: before, value });
  else lastHooksPath.delete(root);
  return value;
}

/** What git says of the state, without the hooks (read from their files each time). */
type GitAnswers = Pick<GitState, "head" | "branch" | "index" | "hooksPath"> & { refs: [name: string, sha: string][] };

function askGit(root: string): GitAnswers {
  const hooksPath = configuredHooksPath(root);
  // Only the end is trimmed: each line starts with its %(HEAD) mark, a space for a branch not checked out.
  const [refs, index] = gitBatch(root, CAPTURE).map((r) => (r.code === 0 ? r.stdout.trimEnd() || undefined : undefined));
  const branches: [string, string][] = [];
  let current: [string, string] | undefined;
  for (const line of (refs ?? "").split("\n")) {
    // "* main <sha>" for the current branch, "  other <sha>" for the rest.
    const [name, sha] = line.slice(2).split(" ");
    if (!name || !sha) continue;
    branches.push([name, sha]);
    if (line.startsWith("*")) current = [name, sha];
  }
  if (current) return { hooksPath, head: current[1], branch: current[0], index, refs: branches };
  const [branch, head] = gitBatch(root, OFF_BRANCH).map((r) => (r.code === 0 ? r.stdout.trim() || undefined : undefined));
  return { hooksPath, head, branch, index, refs: branches };
}

/** The last answers per root, with the fingerprint of git's files they were read under. */
const lastAnswers = new Map<string, { fingerprint: string; answers: GitAnswers }>();

/**
 * git's answers, or the last ones when git's state files have not changed since (see git-files.ts).
 * Kept only when the fingerprint was the same before and after asking, so a change made while git
 * answered is never taken for the state.
 */
function answersFor(root: string): GitAnswers {
  const before = gitStateFingerprint(root);
  const last = lastAnswers.get(root);
  if (before !== undefined && last?.fingerprint === before) return last.answers;
  const answers = askGit(root);
  if (before !== undefined && gitStateFingerprint(root) === before) lastAnswers.set(root, { fingerprint: before, answers });
  else lastAnswers.delete(root);
  return answers;
}

export function captureGitState(root: string, ignored: readonly string[] = []): GitState {
  const { hooksPath, head, branch: current, index, refs } = answersFor(root);
  const absoluteHooks = hooksDirOf(root, hooksPath);
  const branches: Record<string, string> = {};
  for (const [name, sha] of refs) {
    // The branch checked out here is always guarded: it is where the attempt's work goes.
    if (name === current || !isIgnored(name, ignored)) branches[name] = sha;
  }
  return {
    head,
    branch: current,
    index,
    branches,
    hooksDir: absoluteHooks,
    hooks: hooksIn(absoluteHooks),
    hooksPath,
    ...(ignored.length > 0 ? { ignored: [...ignored] } : {}),
  };
}

function hash(text: string): string {
  return nodeCrypto().createHash("sha1").update(text).digest("hex");
}

function restoreBranch(root: string, before: GitState, now: GitState, violations: Violation[]): void {
  if (now.branch === before.branch || !before.branch) return;
  git(root, ["symbolic-ref", "HEAD", `refs/heads/${before.branch}`]);
  violations.push({
    kind: "git-state",
    message: now.branch ? `switched from branch ${before.branch} to ${now.branch}` : `detached HEAD from branch ${before.branch}`,
  });
}

function isAncestor(root: string, ancestor: string, of: string): boolean {
  return git(root, ["merge-base", "--is-ancestor", ancestor, of]).code === 0;
}

/**
 * Keeps a commit a branch pointed to before br moves or deletes the branch, under refs/br/saved/,
 * so nothing is lost (after a kill, the branch may be the user's, made since). Returns the ref.
 */
function saveTip(root: string, name: string, sha: string): string {
  const ref = `refs/br/saved/${name}/${Date.now()}`;
  git(root, ["update-ref", ref, sha]);
  return ref;
}

/** Branch tips the agent moved other than by committing on top, and branches it created or deleted. */
function restoreBranches(root: string, before: GitState, now: GitState, violations: Violation[]): void {
  for (const [name, sha] of Object.entries(before.branches)) {
    const current = now.branches[name];
    if (current === sha) continue;
    const committedOnTop = name === before.branch && current !== undefined && isAncestor(root, sha, current);
    if (committedOnTop) continue; // Undone softly by the change measurement: the commits become the attempt's changes.
    const saved = current === undefined ? "" : ` (its commit is kept as ${saveTip(root, name, current)})`;
    git(root, ["update-ref", `refs/heads/${name}`, sha]);
    violations.push({
      kind: "git-state",
      message: current === undefined ? `deleted branch ${name}` : `moved branch ${name} off its commit (reset, rebase or amend)${saved}`,
    });
  }
  for (const name of Object.keys(now.branches).filter((n) => !(n in before.branches))) {
    const saved = saveTip(root, name, now.branches[name] as string);
    git(root, ["branch", "-q", "-D", name]);
    violations.push({ kind: "git-state", message: `created branch ${name} (its commit is kept as ${saved})` });
  }
}

function restoreHooks(root: string, before: GitState, hooksPath: string | undefined, violations: Violation[]): void {
  const now = hooksIn(before.hooksDir);
  for (const name of new Set([...Object.keys(before.hooks), ...Object.keys(now)])) {
    const was = before.hooks[name];
    if (was !== undefined && now[name] !== undefined && hash(was) === hash(now[name])) continue;
    if (was === undefined) rmSync(join(before.hooksDir, name), { force: true });
    else writeFileSync(join(before.hooksDir, name), was, { mode: 0o755 });
    violations.push({ kind: "git-state", message: `${was === undefined ? "added" : "changed"} the git hook ${name}` });
  }
  if (hooksPath !== before.hooksPath) {
    if (before.hooksPath === undefined) git(root, ["config", "--unset", "core.hooksPath"]);
    else git(root, ["config", "core.hooksPath", before.hooksPath]);
    violations.push({ kind: "git-state", message: "changed core.hooksPath, which decides which git hooks run" });
  }
}

/**
 * Puts the branch, branch tips, hooks and index back where the attempt found them; what had to be
 * put back is returned as violations. The working tree is left alone: its changes are measured next.
 */
export function restoreGitState(root: string, before: GitState): Violation[] {
  const violations: Violation[] = [];
  const now = captureGitState(root, before.ignored);
  restoreBranch(root, before, now, violations);
  restoreBranches(root, before, now, violations);
  restoreHooks(root, before, now.hooksPath, violations);
  // The index as a tree is unchanged when the agent staged nothing: reading it back would only
  // throw away git's cached file stats (and make the next status hash every file again).
  if (before.index && before.index !== now.index) gitWritingIndex(root, ["read-tree", before.index]);
  return violations;
}
