/**
 * Where scanned text comes from, kept apart from the engine: files of the working tree (as git
 * sees them, so .gitignore is respected), explicit paths, the staged blobs of the index, stdin.
 * Commits (the lines each one added) come from src/security/history.ts.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { git, listProjectFiles } from "../infra/git.js";

export interface ScanTarget {
  /** The path shown in findings, relative to the scan root. */
  path: string;
  /** The whole content; undefined when there is none to read (a staged blob git did not return). */
  read: () => Buffer | undefined;
  /** A file on disk: read by position when it is large, never whole (src/security/chunks.ts). */
  file?: string;
  /** Named on the command line by the user, who then must hear if it was not scanned. */
  named?: boolean;
  /**
   * Set for targets from history (src/security/history.ts): the text is then only the lines that
   * commit added to the file, not the whole file, so scanners that need whole files can skip it.
   */
  commit?: string;
}

const SKIPPED_DIRS = new Set([".git", "node_modules", ".buildrunner"]);

function walk(dir: string, root: string, out: ScanTarget[], skip: ReadonlySet<string> = SKIPPED_DIRS): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) walk(full, root, out, skip);
    } else if (entry.isFile()) out.push(fileTarget(full, relative(root, full) || entry.name));
  }
}

function fileTarget(full: string, shown: string): ScanTarget {
  return { path: shown, file: full, read: () => readFileSync(full) };
}

/** The working tree (tracked and untracked files, minus ignored ones), or every file outside git. */
export function workingTreeTargets(root: string): ScanTarget[] {
  const files = listProjectFiles(root);
  if (!files) {
    const out: ScanTarget[] = [];
    walk(root, root, out);
    return out;
  }
  return files.filter((f) => !f.startsWith(".buildrunner/state/")).map((f) => fileTarget(join(root, f), f));
}

/** Paths named on the command line: files as given, folders walked. */
export function pathTargets(root: string, paths: readonly string[]): ScanTarget[] {
  const out: ScanTarget[] = [];
  for (const path of paths) {
    const full = resolve(root, path);
    const stat = statSync(full);
    // A folder named on the command line is scanned whole, dependencies included; only .git is skipped.
    if (stat.isDirectory()) walk(full, root, out, new Set([".git"]));
    else out.push({ ...fileTarget(full, relative(root, full) || path), named: true });
  }
  return out;
}

/**
 * Exactly what is staged: the index's version of each added, copied, modified or renamed file,
 * read in one `git cat-file --batch` call (a pre-commit hook must stay fast on large commits).
 */
export function stagedTargets(root: string): ScanTarget[] {
  const names = git(root, ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--relative"]).stdout.split("\0").filter(Boolean);
  if (names.length === 0) return [];
  const staged = git(root, ["ls-files", "-s", "-z", "--", ...names])
    .stdout.split("\0")
    .filter(Boolean);
  const blobs = new Map<string, string>();
  for (const entry of staged) {
    const match = /^\d+ ([0-9a-f]+) \d\t(.*)$/s.exec(entry);
    if (match) blobs.set(match[2] as string, match[1] as string);
  }
  const ids = names.map((n) => blobs.get(n)).filter((id): id is string => id !== undefined);
  const batch = spawnSync("git", ["cat-file", "--batch"], { cwd: root, input: `${ids.join("\n")}\n`, maxBuffer: 1024 * 1024 * 1024 });
  const contents = new Map<string, Buffer>();
  const out = batch.stdout ?? Buffer.alloc(0);
  let offset = 0;
  for (const id of ids) {
    const headerEnd = out.indexOf(10, offset);
    if (headerEnd < 0) break;
    const header = out.subarray(offset, headerEnd).toString();
    const size = Number(header.split(" ")[2]);
    if (!Number.isFinite(size)) {
      offset = headerEnd + 1;
      continue;
    }
    contents.set(id, out.subarray(headerEnd + 1, headerEnd + 1 + size));
    offset = headerEnd + 1 + size + 1;
  }
  return names.map((name) => ({ path: name, read: () => contents.get(blobs.get(name) ?? "") }));
}

export function stdinTarget(): ScanTarget {
  return { path: "(stdin)", read: () => readFileSync(0), named: true };
}
