/**
 * Where scanned text comes from, kept apart from the engine: files of the working tree (as git
 * sees them, so .gitignore is respected), explicit paths, the staged blobs of the index, stdin.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { git, listProjectFiles } from "../infra/git.js";

export interface ScanTarget {
  /** The path shown in findings, relative to the scan root. */
  path: string;
  read: () => Buffer | undefined;
}

const MAX_BYTES = 10 * 1024 * 1024;
const SKIPPED_DIRS = new Set([".git", "node_modules", ".buildrunner"]);

function walk(dir: string, root: string, out: ScanTarget[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(full, root, out);
    } else if (entry.isFile()) out.push(fileTarget(full, relative(root, full) || entry.name));
  }
}

function fileTarget(full: string, shown: string): ScanTarget {
  return {
    path: shown,
    read: () => {
      const size = statSync(full).size;
      return size > MAX_BYTES ? undefined : readFileSync(full);
    },
  };
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
    if (stat.isDirectory()) walk(full, root, out);
    else out.push(fileTarget(full, relative(root, full) || path));
  }
  return out;
}

/** Exactly what is staged: the index's version of each added, copied, modified or renamed file. */
export function stagedTargets(root: string): ScanTarget[] {
  const names = git(root, ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--relative"]).stdout.split("\0").filter(Boolean);
  return names.map((name) => ({
    path: name,
    read: () => {
      const blob = git(root, ["show", `:./${name}`]);
      return blob.code === 0 ? Buffer.from(blob.stdout) : undefined;
    },
  }));
}

export function stdinTarget(): ScanTarget {
  return { path: "(stdin)", read: () => readFileSync(0) };
}
