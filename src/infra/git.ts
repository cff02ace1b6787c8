import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { nodeCrypto } from "./crypto.js";
import { failure } from "./errors.js";
import { isIndexLockError, removeStaleIndexLock } from "./index-lock.js";
import { runSync } from "./process.js";
import { queryShellUsable, runQuery, runQueryBytes, shellWord } from "./query-shell.js";

/** Runs git through br's query shell (see query-shell.ts): a fork of git from a small shell, not a spawn from node. */
export function git(cwd: string, args: readonly string[], timeoutMs?: number): { code: number; stdout: string; stderr: string } {
  return runQuery("git", args, timeoutMs === undefined ? { cwd } : { cwd, timeoutMs });
}

/** How long a commit (with its hooks) may take: a hook waiting for input must not hang br. */
const COMMIT_TIMEOUT_MS = 10 * 60_000;

export function isGitRepo(cwd: string): boolean {
  return git(cwd, ["rev-parse", "--is-inside-work-tree"]).stdout.trim() === "true";
}

/** Whether cwd is in a git repository at all, bare ones included (history can be read there). */
export function inGitRepository(cwd: string): boolean {
  return git(cwd, ["rev-parse", "--git-dir"]).code === 0;
}

/**
 * Whether cwd is a bare repository or inside git's own folder (.git), places without a working
 * tree, and that repository's git folder.
 */
export function gitDirPlace(cwd: string): { kind: "bare" | "git-dir"; gitDir: string } | undefined {
  const result = git(cwd, ["rev-parse", "--is-bare-repository", "--is-inside-git-dir", "--absolute-git-dir"]);
  if (result.code !== 0) return undefined;
  const [bare, insideGitDir, gitDir = cwd] = result.stdout.trim().split("\n");
  if (bare === "true") return { kind: "bare", gitDir };
  return insideGitDir === "true" ? { kind: "git-dir", gitDir } : undefined;
}

export interface GitDirs {
  /** The folder of this work tree's HEAD and index (.git, or .git/worktrees/<name> for a linked one). */
  gitDir: string;
  /** The folder of the refs and the configuration every work tree shares. */
  commonDir: string;
}

const dirsOf = new Map<string, GitDirs | null>();

/** The repository's git folder and common folder, asked of git once per folder (they do not move). */
export function gitDirs(root: string): GitDirs | undefined {
  let dirs = dirsOf.get(root);
  if (dirs === undefined) {
    const result = git(root, ["rev-parse", "--absolute-git-dir", "--git-common-dir"]);
    const [gitDir, common] = result.stdout.trim().split("\n");
    dirs = result.code === 0 && gitDir && common ? { gitDir, commonDir: resolve(root, common) } : null;
    if (result.code === 0) dirsOf.set(root, dirs);
  }
  return dirs ?? undefined;
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * HEAD's commit read from git's files: HEAD names a branch whose loose ref holds it (git writes
 * one whenever it moves a branch, as a commit just did) or holds it itself when detached. Asked
 * of git when the files say otherwise (a packed ref, the reftable format).
 */
export function headFromFiles(cwd: string): string | undefined {
  const dirs = gitDirs(cwd);
  try {
    if (dirs === undefined) throw new Error("no git folders");
    const head = readFileSync(join(dirs.gitDir, "HEAD"), "utf8").trim();
    const ref = head.startsWith("ref: refs/heads/") ? head.slice("ref: ".length) : undefined;
    const id = ref === undefined ? head : readFileSync(join(dirs.commonDir, ref), "utf8").trim();
    if (OBJECT_ID.test(id)) return id;
  } catch {
    // Not in the files: git knows.
  }
  return headCommit(cwd);
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

const prefixes = new Map<string, string>();

/** Where cwd lies in its repository ("" at the top): fixed for a folder, so asked of git once. */
function prefixOf(cwd: string): string {
  let prefix = prefixes.get(cwd);
  if (prefix === undefined) {
    const result = git(cwd, ["rev-parse", "--show-prefix"]);
    prefix = result.stdout.trim();
    if (result.code === 0) prefixes.set(cwd, prefix);
  }
  return prefix;
}

/** Porcelain v2's two-letter status in v1's spelling (" M", "??", "R "), which br's readers use. */
function v1Status(xy: string): string {
  return xy.replaceAll(".", " ");
}

/** How many space-separated fields come before the path in a porcelain v2 entry, by its kind. */
const FIELDS_BEFORE_PATH: Record<string, number> = { "1": 8, "2": 9, u: 10, "?": 1 };

/** What follows the first `count` space-separated fields of an entry (a path may hold spaces itself). */
function afterFields(entry: string, count: number): string | undefined {
  let at = 0;
  for (let field = 0; field < count; field++) {
    const space = entry.indexOf(" ", at);
    if (space < 0) return undefined;
    at = space + 1;
  }
  return entry.slice(at);
}

/** Parses `git status --porcelain=v2 -z` output: HEAD (from --branch's header, when asked) and the changes under the prefix. */
function parseStatusV2(output: string, prefix: string): TreeStatus {
  let head: string | undefined;
  const changes: WorkingChange[] = [];
  const entries = output.split("\0");
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    if (entry.startsWith("# branch.oid ")) {
      const oid = entry.slice("# branch.oid ".length);
      head = oid === "(initial)" ? undefined : oid;
      continue;
    }
    const fields = FIELDS_BEFORE_PATH[entry[0] as string];
    if (fields === undefined) continue; // other headers, ignored files
    const path = afterFields(entry, fields);
    if (path === undefined) continue;
    const status = entry[0] === "?" ? "??" : v1Status(entry.slice(2, 4));
    if (path.startsWith(prefix)) changes.push({ path: path.slice(prefix.length), status });
    // A rename or copy is followed by its original path.
    if (entry[0] === "2") i++;
  }
  return { head, changes };
}

/** HEAD (undefined before the first commit) and the uncommitted changes under a folder, as one `git status` tells them. */
export interface TreeStatus {
  head: string | undefined;
  changes: WorkingChange[];
}

function statusArgs(branch: boolean, pathspecs: readonly string[]): string[] {
  return [
    // A question, not an update: git does not take the index lock to store what it refreshed, so
    // it never collides with the user's git, nor leaves a stale lock if br is killed meanwhile.
    "--no-optional-locks",
    "status",
    "--porcelain=v2",
    "-z",
    "--untracked-files=all",
    // A rename is its two paths: a deleted test or protected file must show as deleted.
    "--no-renames",
    // HEAD comes in the branch header; counting commits ahead of the upstream is not wanted.
    ...(branch ? ["--branch", "--no-ahead-behind"] : []),
    "--",
    ...pathspecs,
  ];
}

/**
 * Uncommitted changes (tracked and untracked, not ignored) under `cwd`, with paths relative to
 * `cwd` even when it is a subfolder of the repository. `pathspecs` (relative to cwd) narrows the
 * question to some paths, which git then answers without walking the rest of the tree.
 */
export function workingChanges(cwd: string, pathspecs: readonly string[] = ["."]): WorkingChange[] {
  const result = git(cwd, statusArgs(false, pathspecs));
  if (result.code !== 0) return [];
  return parseStatusV2(result.stdout, prefixOf(cwd)).changes;
}

/**
 * HEAD and the uncommitted changes under `cwd` from one `git status` (its branch header names
 * HEAD's commit): what a `rev-parse HEAD` and a `status` would say, for one process instead of two.
 */
export function treeStatus(cwd: string): TreeStatus {
  const result = git(cwd, statusArgs(true, ["."]));
  if (result.code !== 0) return { head: headCommit(cwd), changes: [] };
  return parseStatusV2(result.stdout, prefixOf(cwd));
}

export function headCommit(cwd: string): string | undefined {
  const result = git(cwd, ["rev-parse", "--verify", "-q", "HEAD"]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/**
 * Runs several git queries in one shell, in order, and returns each one's exit code and output.
 * Starting a process from br costs more CPU than most queries themselves (node forks a large
 * process and sets up a loop for each), so queries asked together are started by one shell
 * instead. For quick read-only queries: their stderr is not kept, and no one has a timeout.
 */
export function gitBatch(cwd: string, commands: readonly (readonly string[])[]): { code: number; stdout: string }[] {
  // The query shell already starts each from a shell.
  if (queryShellUsable())
    return commands.map((args) => {
      const { code, stdout } = git(cwd, args);
      return { code, stdout };
    });
  const marker = `br-batch-${nodeCrypto().randomBytes(8).toString("hex")}`;
  const script = commands.map((args) => `git ${args.map(shellWord).join(" ")}; printf '\\n${marker} %d\\n' "$?"`).join("\n");
  const parts = runSync("/bin/sh", ["-c", script], { cwd }).stdout.split(`\n${marker} `);
  return commands.map((_, i) => {
    // Part i is command i's output, after the previous command's exit code line.
    const part = parts[i];
    const codeLine = i + 1 < parts.length ? /^(\d+)\n/.exec(parts[i + 1] as string) : null;
    if (part === undefined || !codeLine) return { code: 1, stdout: "" };
    return { code: Number(codeLine[1]), stdout: i === 0 ? part : part.slice(part.indexOf("\n") + 1) };
  });
}

/** Whether a path (relative to cwd) exists in a commit. */
export function existsInCommit(cwd: string, commit: string, path: string): boolean {
  return git(cwd, ["cat-file", "-e", `${commit}:./${path}`]).code === 0;
}

/** Commits exactly these paths (relative to cwd); throws with git's reason when it cannot. */
export function commitPaths(cwd: string, paths: readonly string[], message: string, options: { hooks?: boolean } = {}): string {
  const result = tryCommitPaths(cwd, paths, message, options);
  if (!result.ok)
    throw failure(`git commit failed: ${result.output}`, {
      fix: "Fix what git reports (signing, hooks, identity), then run br run again; the verified work is kept uncommitted.",
    });
  return result.commit;
}

/** Folders whose repository has an identity configured: asked of git once (an identity, once set, stays). */
const hasIdentity = new Set<string>();

/** br's identity for a commit, when the repository has none configured (a fresh CI machine). */
export function identityArgs(cwd: string): string[] {
  if (hasIdentity.has(cwd)) return [];
  if (!git(cwd, ["config", "user.email"]).stdout.trim()) return ["-c", "user.name=BuildRunner", "-c", "user.email=buildrunner@localhost"];
  hasIdentity.add(cwd);
  return [];
}

/**
 * Runs a git command that writes the index; when it fails on an index.lock that no git can own
 * (left by a git killed mid-write, see index-lock.ts), removes the lock and runs it once more.
 */
export function gitWritingIndex(
  cwd: string,
  args: readonly string[],
  timeoutMs?: number,
): { code: number; stdout: string; stderr: string } {
  const result = git(cwd, args, timeoutMs);
  if (result.code === 0 || !isIndexLockError(result.stderr)) return result;
  const where = git(cwd, ["rev-parse", "--absolute-git-dir", "--show-toplevel"]);
  const [gitDir, top] = where.stdout.trim().split("\n");
  if (where.code !== 0 || !gitDir) return result;
  const folders = top ? [gitDir, top] : [gitDir];
  return removeStaleIndexLock(join(gitDir, "index.lock"), folders) ? git(cwd, args, timeoutMs) : result;
}

/**
 * Commits exactly these paths. With hooks (the default for br run) the repository's pre-commit and
 * commit-msg hooks run, so a team's checks see br's commits too; a rejection comes back as output.
 */
export function tryCommitPaths(
  cwd: string,
  paths: readonly string[],
  message: string,
  options: { hooks?: boolean } = {},
): { ok: true /** The new HEAD. */; commit: string } | { ok: false; output: string } {
  const identity = identityArgs(cwd);
  const add = gitWritingIndex(cwd, ["add", "-A", "--", ...paths]);
  if (add.code !== 0)
    throw failure(`git add failed: ${add.stderr.trim()}`, {
      fix: isIndexLockError(add.stderr)
        ? "Another git is running in this repository, or was killed there: once none runs, remove the index.lock git names, then run br run again."
        : "Fix the repository (see git's message), then run br run again.",
    });
  const verify = options.hooks === false ? ["--no-verify"] : [];
  const started = Date.now();
  const commit = gitWritingIndex(cwd, [...identity, "commit", "-q", ...verify, "-m", message, "--", ...paths], COMMIT_TIMEOUT_MS);
  if (commit.code !== 0) {
    const output = `${commit.stderr}\n${commit.stdout}`.trim();
    const slow = Date.now() - started >= COMMIT_TIMEOUT_MS;
    return { ok: false, output: slow ? `git commit did not finish within 10 minutes (a hook waiting for input?) ${output}` : output };
  }
  return { ok: true, commit: headFromFiles(cwd) ?? "" };
}

/**
 * Files as HEAD (or `rev`) has them (paths relative to cwd), read by one git process
 * (`cat-file --batch`) rather than one `git show` each: verification reads a dozen per attempt.
 * Missing files and folders come back undefined.
 */
export function committedFiles(cwd: string, paths: readonly string[], rev = "HEAD"): Map<string, string | undefined> {
  const files = new Map<string, string | undefined>();
  const asked = [...new Set(paths)].filter((p) => !p.includes("\n"));
  if (asked.length === 0) return files;
  const objects = catFileBatch(
    cwd,
    asked.map((p) => `${rev}:./${p}`),
  );
  for (const [i, path] of asked.entries()) {
    const object = objects[i];
    files.set(path, object?.type === "blob" ? object.content.toString("utf8") : undefined);
  }
  return files;
}

/** An object `git cat-file --batch` returned: its type and content. */
export interface GitObject {
  type: string;
  content: Buffer;
}

/**
 * Objects read in one `git cat-file --batch` process, one per request (an object id or
 * `<rev>:<path>`), in order: undefined for one git does not have. A request must not hold a newline.
 */
export function catFileBatch(cwd: string, requests: readonly string[]): (GitObject | undefined)[] {
  if (requests.length === 0) return [];
  const result = runQueryBytes("git", ["cat-file", "--batch"], { cwd, input: `${requests.join("\n")}\n` });
  return batchObjects(result.stdout, requests.length);
}

/**
 * catFileBatch while this thread goes on with other work: git writes into a temporary file rather
 * than a pipe, which would stall it whenever this thread is busy, and the file is read once git is done.
 */
export async function catFileBatchAsync(cwd: string, requests: readonly string[]): Promise<(GitObject | undefined)[]> {
  if (requests.length === 0) return [];
  const dir = temporaryFolder();
  if (dir === undefined) return catFileBatch(cwd, requests); // nowhere to write: through a pipe, blocking
  const file = join(dir, "objects");
  try {
    const fd = openSync(file, "w");
    try {
      await new Promise<void>((resolve) => {
        const child = spawn("git", ["cat-file", "--batch"], { cwd, stdio: ["pipe", fd, "ignore"] });
        child.once("error", () => resolve()); // no git: nothing read, as with the blocking call
        child.once("close", () => resolve());
        child.stdin?.on("error", () => undefined); // git gone early: its exit says the rest
        child.stdin?.end(`${requests.join("\n")}\n`);
      });
    } finally {
      closeSync(fd);
    }
    return batchObjects(readFileSync(file), requests.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function temporaryFolder(): string | undefined {
  try {
    return mkdtempSync(join(tmpdir(), "br-cat-file-"));
  } catch {
    return undefined;
  }
}

/** `git cat-file --batch` output: `<id> <type> <size>` then the content, or `<request> missing`, per request. */
function batchObjects(out: Buffer, count: number): (GitObject | undefined)[] {
  const objects: (GitObject | undefined)[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = out.indexOf(10, at);
    if (end < 0) break;
    const [, type = "", size] = out.subarray(at, end).toString("utf8").split(" ");
    at = end + 1;
    const length = Number(size);
    if (size === undefined || !Number.isFinite(length)) {
      objects.push(undefined); // "<request> missing" (or ambiguous)
      continue;
    }
    objects.push({ type, content: out.subarray(at, at + length) });
    at += length + 1;
  }
  return objects;
}

let committedCache: { cwd: string; rev: string; files: Map<string, string | undefined> } | undefined;

/**
 * Runs `work` with HEAD's files cached for `cwd` (HEAD does not move during it), the likely ones
 * read at once: a verification's every reader then costs no git process of its own. With `rev`,
 * "committed" means that commit's files instead: work an agent began there and may have
 * committed since is judged against where it began.
 */
export async function withCommittedFiles<T>(cwd: string, likely: readonly string[], work: () => Promise<T>, rev = "HEAD"): Promise<T> {
  committedCache = { cwd, rev, files: committedFiles(cwd, likely, rev) };
  try {
    return await work();
  } finally {
    committedCache = undefined;
  }
}

/** A file as HEAD has it (relative to cwd): from the cache when one is open for cwd (as of its commit). */
export function committedFile(cwd: string, path: string): string | undefined {
  const open = committedCache?.cwd === cwd ? committedCache : undefined;
  const cache = open?.files;
  if (cache?.has(path)) return cache.get(path);
  const text = committedFiles(cwd, [path], open?.rev).get(path);
  cache?.set(path, text);
  return text;
}
