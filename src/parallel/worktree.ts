/**
 * A stream's worktree: created outside the project's tree (tools that scan the project do not see
 * it), set up like a fresh clone the user would prepare (ignored files named in .worktreeinclude
 * copied in, heavy folders linked, the project's set-up command run), and reset to the target's
 * tip before each task.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import picomatch from "picomatch";
import type { Config } from "../infra/config.js";
import { failure } from "../infra/errors.js";
import { git } from "../infra/git.js";
import { say, style, warn } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";

/** How long a stream's set-up or clean-up command may take. */
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

export function streamsDir(paths: ProjectPaths, config: Config): string {
  const configured = config.parallel.worktreeDir;
  if (configured) return resolve(paths.root, configured);
  return join(dirname(paths.root), `${basename(paths.root)}.br-streams`);
}

export function streamEnv(name: string, port: number): Record<string, string> {
  return { BR_STREAM: name, BR_PORT: String(port) };
}

function gitOrFail(cwd: string, args: string[], what: string): string {
  const result = git(cwd, args);
  if (result.code !== 0)
    throw failure(`${what} failed: ${result.stderr.trim() || result.stdout.trim()}`, {
      fix: "Fix what git reports (see `git worktree list`), then run the command again; verified work is kept on its branch.",
    });
  return result.stdout.trim();
}

/** Creates the worktree on its branch at `tip` (a branch left from before is kept under refs/br/saved if it is not merged). */
export function createWorktree(
  paths: ProjectPaths,
  config: Config,
  stream: { name: string; path: string; branch: string; port: number },
  tip: string,
): void {
  git(paths.root, ["worktree", "prune"]);
  const existing = git(paths.root, ["rev-parse", "-q", "--verify", `refs/heads/${stream.branch}`]).stdout.trim();
  if (existing && git(paths.root, ["merge-base", "--is-ancestor", existing, tip]).code !== 0)
    git(paths.root, ["update-ref", `refs/br/saved/${stream.branch}/${Date.now()}`, existing]);
  gitOrFail(paths.root, ["worktree", "add", "-q", "-B", stream.branch, stream.path, tip], `git worktree add ${stream.path}`);
  setUpEnvironment(paths, config, stream);
}

function setUpEnvironment(paths: ProjectPaths, config: Config, stream: { name: string; path: string; port: number }): void {
  const copied = copyIncluded(paths.root, stream.path);
  const linked = linkFolders(paths.root, stream.path, config.parallel.symlinks);
  if (copied.length || linked.length)
    say(style.dim(`  ${stream.name}: ${[...copied.map((c) => `copied ${c}`), ...linked.map((l) => `linked ${l}`)].join(", ")}`));
  if (config.parallel.setup) runScript("parallel.setup", config.parallel.setup, stream, true);
}

/** Runs a stream's set-up or clean-up command; a failing set-up stops the run (the stream cannot work). */
export function runScript(key: string, command: string, stream: { name: string; path: string; port: number }, mustPass: boolean): void {
  const result = spawnSync("sh", ["-c", command], {
    cwd: stream.path,
    env: { ...process.env, ...streamEnv(stream.name, stream.port) },
    encoding: "utf8",
    timeout: SCRIPT_TIMEOUT_MS,
  });
  if (result.status === 0) return;
  const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().slice(-1500);
  if (!mustPass) {
    warn(`${key} failed in ${stream.path}: ${output}`);
    return;
  }
  throw failure(`${key} (\`${command}\`) failed in ${stream.path}: ${output || `exit ${result.status ?? result.signal}`}`, {
    fix: `Fix the command (br config set ${key} "…") so it succeeds in a fresh worktree, then run again.`,
  });
}

/** The patterns of .worktreeinclude (gitignore syntax, as Claude Code reads it). */
function includePatterns(root: string): string[] {
  const file = join(root, ".worktreeinclude");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));
}

function includeMatcher(patterns: string[]): (path: string) => boolean {
  const globs = patterns.flatMap((p) => {
    const anchored = p.startsWith("/");
    const body = p.replace(/^\//, "").replace(/\/$/, "");
    const scoped = anchored || body.includes("/") ? [body] : [body, `**/${body}`];
    return scoped.flatMap((g) => [g, `${g}/**`]);
  });
  return picomatch(globs, { dot: true });
}

/** Copies ignored files the project names in .worktreeinclude (.env and the like): a fresh worktree lacks them. */
export function copyIncluded(root: string, worktree: string): string[] {
  const patterns = includePatterns(root);
  if (patterns.length === 0) return [];
  const matches = includeMatcher(patterns);
  const ignored = git(root, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]).stdout.split("\0");
  const copied: string[] = [];
  for (const entry of ignored.filter(Boolean)) {
    const path = entry.replace(/\/$/, "");
    if (path.startsWith(".buildrunner/") || !matches(path)) continue;
    cpSync(join(root, path), join(worktree, path), { recursive: true, dereference: false });
    copied.push(path);
  }
  return copied;
}

/** Links heavy folders (node_modules) from the main checkout, and keeps the links out of git. */
function linkFolders(root: string, worktree: string, folders: readonly string[]): string[] {
  const linked: string[] = [];
  for (const folder of folders) {
    const source = join(root, folder);
    const target = join(worktree, folder);
    if (!existsSync(source) || existsSync(target)) continue;
    symlinkSync(source, target);
    linked.push(folder);
  }
  if (linked.length > 0) excludeLinks(worktree, linked);
  return linked;
}

/** A link is a file to git, which a `folder/` ignore rule does not cover: excluded in this worktree's info/exclude. */
function excludeLinks(worktree: string, linked: string[]): void {
  const exclude = git(worktree, ["rev-parse", "--git-path", "info/exclude"]).stdout.trim();
  if (!exclude) return;
  const file = resolve(worktree, exclude);
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "";
  const have = new Set(existing.split("\n"));
  const entries = linked.map((l) => `/${l}`).filter((e) => !have.has(e));
  if (entries.length === 0) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${existing && !existing.endsWith("\n") ? "\n" : ""}${entries.join("\n")}\n`);
}

const gitDirs = new Map<string, string>();

/** Whether a rebase was left half-done in the worktree (a kill mid-integration). */
function rebaseInProgress(worktree: string): boolean {
  let dir = gitDirs.get(worktree);
  if (dir === undefined) {
    dir = git(worktree, ["rev-parse", "--absolute-git-dir"]).stdout.trim();
    if (dir) gitDirs.set(worktree, dir);
  }
  return !!dir && (existsSync(join(dir, "rebase-merge")) || existsSync(join(dir, "rebase-apply")));
}

/**
 * Puts the worktree at `tip` with nothing of an earlier task left (ignored files such as linked
 * folders stay). With `keep`, commits on the branch that `tip` does not hold are kept under
 * refs/br/saved/ first: a reset never loses a commit.
 */
export function resetWorktree(worktree: string, branch: string, tip: string, keep = true): void {
  if (rebaseInProgress(worktree)) git(worktree, ["rebase", "--abort"]);
  const head = git(worktree, ["rev-parse", "-q", "--verify", "HEAD"]).stdout.trim();
  const onBranch = git(worktree, ["symbolic-ref", "-q", "--short", "HEAD"]).stdout.trim() === branch;
  if (head === tip && onBranch && git(worktree, ["status", "--porcelain", "--untracked-files=all"]).stdout === "") return;
  if (keep && head && head !== tip && git(worktree, ["merge-base", "--is-ancestor", head, tip]).code !== 0)
    git(worktree, ["update-ref", `refs/br/saved/${branch}/${Date.now()}`, head]);
  gitOrFail(worktree, ["checkout", "-q", "-f", "-B", branch, tip], `resetting the stream worktree ${worktree}`);
  gitOrFail(worktree, ["clean", "-fdq"], `cleaning the stream worktree ${worktree}`);
}

/** Removes the worktree (its branch is deleted by the caller once nothing on it is unintegrated). */
export function removeWorktree(root: string, worktree: string): void {
  if (existsSync(worktree)) git(root, ["worktree", "remove", "--force", worktree]);
  git(root, ["worktree", "prune"]);
}
