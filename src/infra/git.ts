import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.js";
import { runSync } from "./process.js";

export function git(cwd: string, args: readonly string[]): { code: number; stdout: string; stderr: string } {
  return runSync("git", args, { cwd });
}

export function isGitRepo(cwd: string): boolean {
  return git(cwd, ["rev-parse", "--is-inside-work-tree"]).stdout.trim() === "true";
}

export function gitRoot(cwd: string): string | undefined {
  const result = git(cwd, ["rev-parse", "--show-toplevel"]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** Files git knows about or would add (tracked plus untracked, minus ignored), relative to cwd. */
export function listProjectFiles(cwd: string): string[] | undefined {
  const result = git(cwd, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  if (result.code !== 0) return undefined;
  return result.stdout.split("\0").filter(Boolean);
}

/** Adds a line to a .gitignore unless an identical line is already there. Returns whether it wrote. */
export function ensureGitignoreEntry(gitignorePath: string, entry: string, comment?: string): boolean {
  const current = existsSync(gitignorePath) ? readFileSync(gitignorePath, "utf8") : "";
  const lines = current.split(/\r?\n/).map((line) => line.trim());
  if (lines.includes(entry) || lines.includes(entry.replace(/\/$/, ""))) return false;
  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  writeFileAtomic(gitignorePath, `${current}${separator}${comment ? `# ${comment}\n` : ""}${entry}\n`);
  return true;
}

export interface WorkingChange {
  path: string;
  /** Two-letter porcelain status, e.g. " M", "??", "D ". */
  status: string;
}

/** Uncommitted changes (tracked and untracked, not ignored), with paths relative to the repository root. */
export function workingChanges(cwd: string): WorkingChange[] {
  const result = git(cwd, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
  if (result.code !== 0) return [];
  const out: WorkingChange[] = [];
  const entries = result.stdout.split("\0");
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    if (entry.length < 4) continue;
    const status = entry.slice(0, 2);
    out.push({ path: entry.slice(3), status });
    // A rename or copy is followed by its original path.
    if (status.startsWith("R") || status.startsWith("C")) i++;
  }
  return out;
}

/** Puts paths back as they are at HEAD: tracked files restored, files git did not know removed. */
export function revertPaths(cwd: string, changes: readonly WorkingChange[]): void {
  const tracked = changes.filter((c) => c.status !== "??").map((c) => c.path);
  const untracked = changes.filter((c) => c.status === "??").map((c) => c.path);
  if (tracked.length > 0) git(cwd, ["checkout", "HEAD", "--", ...tracked]);
  if (untracked.length > 0) git(cwd, ["clean", "-f", "-q", "--", ...untracked]);
}

/** Commits exactly these paths, with a fallback identity when the repository has none configured. */
export function commitPaths(cwd: string, paths: readonly string[], message: string): string | undefined {
  if (paths.length === 0) return undefined;
  const identity = git(cwd, ["config", "user.email"]).stdout.trim()
    ? []
    : ["-c", "user.name=BuildRunner", "-c", "user.email=buildrunner@localhost"];
  const add = git(cwd, ["add", "-A", "--", ...paths]);
  if (add.code !== 0) return undefined;
  const commit = git(cwd, [...identity, "commit", "-q", "--no-verify", "-m", message, "--", ...paths]);
  if (commit.code !== 0) return undefined;
  return git(cwd, ["rev-parse", "--short", "HEAD"]).stdout.trim();
}
