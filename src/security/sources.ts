/**
 * Where scanned text comes from, kept apart from the engine: files of the working tree (as git
 * sees them, so .gitignore is respected), explicit paths, the staged blobs of the index, stdin.
 * Commits (the lines each one added) come from src/security/history.ts.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { catFileBatch, catFileBatchAsync, type GitObject, git, listProjectFiles } from "../infra/git.js";

export interface ScanTarget {
  /** The path shown in findings, relative to the scan root. */
  path: string;
  /** The whole content; undefined when there is none to read (a staged blob git did not return). */
  read: () => Buffer | undefined;
  /** A file on disk: read by position when it is large, never whole (src/security/chunks.ts). */
  file?: string;
  /** The file's size, when the caller has already asked the disk (no second stat). */
  size?: number;
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

/** A file the next commit adds or changes, as `git diff-index --cached` lists it. */
export interface StagedChange {
  /** Relative to the folder git ran in. */
  path: string;
  /** The staged blob: what the commit will hold. */
  blob: string;
  /** The blob HEAD holds for it (at `headPath` when the commit renames it); undefined for a new file. */
  headBlob?: string;
  /** Where HEAD has the file when the commit renames it. */
  headPath?: string;
}

const NO_BLOB = /^0+$/;
const SUBMODULE = "160000";

/**
 * The files staged for the next commit (added, copied, modified or renamed) with their staged and
 * HEAD blob ids, from one `git diff-index` (before the first commit, against the empty tree).
 * Submodules are commits, not files: left out.
 */
export function stagedChanges(root: string): StagedChange[] {
  return listStaged(root) ?? [];
}

/** stagedChanges, or undefined when git cannot list them (no working tree here, or no repository). */
export function listStaged(root: string): StagedChange[] | undefined {
  let listed = git(root, [...DIFF_INDEX, "HEAD"]);
  if (listed.code !== 0) listed = git(root, [...DIFF_INDEX, git(root, EMPTY_TREE).stdout.trim()]);
  return listed.code === 0 ? parseDiffIndex(listed.stdout) : undefined;
}

/** listStaged while this thread goes on with other work (the pre-commit check loads its config meanwhile). */
export async function listStagedAsync(root: string): Promise<StagedChange[] | undefined> {
  const run = (args: readonly string[]) =>
    new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile("git", args, { cwd: root, maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => resolve({ code: error ? 1 : 0, stdout })),
    );
  let listed = await run([...DIFF_INDEX, "HEAD"]);
  if (listed.code !== 0) listed = await run([...DIFF_INDEX, (await run(EMPTY_TREE)).stdout.trim()]);
  return listed.code === 0 ? parseDiffIndex(listed.stdout) : undefined;
}

const DIFF_INDEX = ["diff-index", "--cached", "-z", "-M", "--diff-filter=ACMR", "--relative"];
/** Before the first commit there is no HEAD: what is staged is compared with the empty tree. */
const EMPTY_TREE = ["hash-object", "-t", "tree", "/dev/null"];

/** `git diff-index -z` output: `:<mode> <mode> <blob> <blob> <status>`, then one path (two for a rename or copy). */
function parseDiffIndex(output: string): StagedChange[] {
  const fields = output.split("\0");
  const changes: StagedChange[] = [];
  for (let i = 0; i + 1 < fields.length; ) {
    const [headMode, mode, headBlob = "", blob = "", status = ""] = (fields[i] as string).replace(/^:/, "").split(" ");
    // A rename or copy names its source first; a copy is a new file, whatever it was copied from.
    const twoPaths = status.startsWith("R") || status.startsWith("C");
    const path = fields[twoPaths ? i + 2 : i + 1] as string;
    const source = status.startsWith("R") ? { headPath: fields[i + 1] as string } : {};
    i += twoPaths ? 3 : 2;
    if (mode === SUBMODULE || headMode === SUBMODULE) continue;
    const inHead = (status === "M" || status.startsWith("R")) && !NO_BLOB.test(headBlob);
    changes.push({ path, blob, ...(inHead ? { headBlob, ...source } : {}) });
  }
  return changes;
}

/** Blobs by id, read in one `git cat-file --batch` process; an id git does not have is left out. */
export function readBlobs(root: string, ids: readonly string[]): Map<string, Buffer> {
  const unique = [...new Set(ids)];
  return blobsById(unique, catFileBatch(root, unique));
}

/** readBlobs while this thread goes on with other work (the pre-commit check loads its rules meanwhile). */
export async function readBlobsAsync(root: string, ids: readonly string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(ids)];
  return blobsById(unique, await catFileBatchAsync(root, unique));
}

function blobsById(ids: readonly string[], objects: readonly (GitObject | undefined)[]): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  for (const [i, id] of ids.entries()) {
    const object = objects[i];
    if (object?.type === "blob") blobs.set(id, object.content);
  }
  return blobs;
}

/**
 * Exactly what is staged: the index's version of each added, copied, modified or renamed file,
 * listed by one git call and read in one `git cat-file --batch` call (a pre-commit hook must stay
 * fast on large commits).
 */
export function stagedTargets(
  root: string,
  changes: readonly StagedChange[] = stagedChanges(root),
  contents: ReadonlyMap<string, Buffer> = readBlobs(
    root,
    changes.map((c) => c.blob),
  ),
): ScanTarget[] {
  return changes.map((change) => ({ path: change.path, read: () => contents.get(change.blob) }));
}

export function stdinTarget(): ScanTarget {
  return { path: "(stdin)", read: () => readFileSync(0), named: true };
}
