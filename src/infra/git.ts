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
