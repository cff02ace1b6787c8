import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { failure } from "./errors.js";
import { runSync } from "./process.js";

export function git(cwd: string, args: readonly string[], timeoutMs?: number): { code: number; stdout: string; stderr: string } {
  return runSync("git", args, timeoutMs === undefined ? { cwd } : { cwd, timeoutMs });
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

/**
 * Uncommitted changes (tracked and untracked, not ignored) under `cwd`, with paths relative to
 * `cwd` even when it is a subfolder of the repository.
 */
export function workingChanges(cwd: string): WorkingChange[] {
  const result = git(cwd, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."]);
  if (result.code !== 0) return [];
  const prefix = prefixOf(cwd);
  const out: WorkingChange[] = [];
  const entries = result.stdout.split("\0");
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    if (entry.length < 4) continue;
    const status = entry.slice(0, 2);
    const path = entry.slice(3);
    if (path.startsWith(prefix)) out.push({ path: path.slice(prefix.length), status });
    // A rename or copy is followed by its original path.
    if (status.startsWith("R") || status.startsWith("C")) i++;
  }
  return out;
}

export function headCommit(cwd: string): string | undefined {
  const result = git(cwd, ["rev-parse", "--verify", "-q", "HEAD"]);
  return result.code === 0 ? result.stdout.trim() : undefined;
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

/** br's identity for a commit, when the repository has none configured (a fresh CI machine). */
export function identityArgs(cwd: string): string[] {
  return git(cwd, ["config", "user.email"]).stdout.trim() ? [] : ["-c", "user.name=BuildRunner", "-c", "user.email=buildrunner@localhost"];
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
): { ok: true; commit: string } | { ok: false; output: string } {
  const identity = identityArgs(cwd);
  const add = git(cwd, ["add", "-A", "--", ...paths]);
  if (add.code !== 0)
    throw failure(`git add failed: ${add.stderr.trim()}`, { fix: "Fix the repository (see git's message), then run br run again." });
  const verify = options.hooks === false ? ["--no-verify"] : [];
  const started = Date.now();
  const commit = git(cwd, [...identity, "commit", "-q", ...verify, "-m", message, "--", ...paths], COMMIT_TIMEOUT_MS);
  if (commit.code !== 0) {
    const output = `${commit.stderr}\n${commit.stdout}`.trim();
    const slow = Date.now() - started >= COMMIT_TIMEOUT_MS;
    return { ok: false, output: slow ? `git commit did not finish within 10 minutes (a hook waiting for input?) ${output}` : output };
  }
  return { ok: true, commit: git(cwd, ["rev-parse", "--short", "HEAD"]).stdout.trim() };
}

/**
 * Files as HEAD has them (paths relative to cwd), read by one git process (`cat-file --batch`)
 * rather than one `git show` each: verification reads a dozen per attempt. Missing files and
 * folders come back undefined.
 */
export function committedFiles(cwd: string, paths: readonly string[]): Map<string, string | undefined> {
  const files = new Map<string, string | undefined>();
  const asked = [...new Set(paths)].filter((p) => !p.includes("\n"));
  if (asked.length === 0) return files;
  const objects = catFileBatch(
    cwd,
    asked.map((p) => `HEAD:./${p}`),
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
  const result = spawnSync("git", ["cat-file", "--batch"], {
    cwd,
    input: `${requests.join("\n")}\n`,
    maxBuffer: 1024 * 1024 * 1024,
  });
  return batchObjects(result.stdout ?? Buffer.alloc(0), requests.length);
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

let committedCache: { cwd: string; files: Map<string, string | undefined> } | undefined;

/**
 * Runs `work` with HEAD's files cached for `cwd` (HEAD does not move during it), the likely ones
 * read at once: a verification's every reader then costs no git process of its own.
 */
export async function withCommittedFiles<T>(cwd: string, likely: readonly string[], work: () => Promise<T>): Promise<T> {
  committedCache = { cwd, files: committedFiles(cwd, likely) };
  try {
    return await work();
  } finally {
    committedCache = undefined;
  }
}

/** A file as HEAD has it (relative to cwd): from the cache when one is open for cwd. */
export function committedFile(cwd: string, path: string): string | undefined {
  const cache = committedCache?.cwd === cwd ? committedCache.files : undefined;
  if (cache?.has(path)) return cache.get(path);
  const text = committedFiles(cwd, [path]).get(path);
  cache?.set(path, text);
  return text;
}
