/**
 * A stale git index lock: a git killed mid-write (br killed during a merge, a commit, an add)
 * leaves `index.lock` behind, and every later git that writes the index fails on it ("File
 * exists") until someone removes it. br removes one only when no git can own it:
 *   - it was made before this br process started, so none of br's own git commands made it, and
 *   - no live git process works in the repository (its current folder in the work tree or the
 *     git folder), which is where a git writing this index runs.
 * Where processes cannot be listed (no /proc), br cannot tell and leaves the lock to the user.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** When this process started, in ms since the epoch. */
const processStart = performance.timeOrigin;

/** Whether git's message says it could not take the index lock because the file exists. */
export function isIndexLockError(stderr: string): boolean {
  return /index\.lock'?: File exists/.test(stderr);
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith("/") ? folder : `${folder}/`);
}

/**
 * Whether some live git process may be working in one of these folders; undefined when processes
 * cannot be listed. A git whose folder cannot be read (another user's) counts as working there.
 */
export function liveGitIn(folders: readonly string[]): boolean | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const roots = folders.map(realpathOrSelf);
  return pids.some((pid) => {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "git") return false;
    } catch {
      return false; // gone meanwhile
    }
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return roots.some((root) => isWithin(cwd, root));
    } catch {
      return true;
    }
  });
}

/**
 * Removes `lock` when it is stale by the rules above; returns whether it did (the caller then
 * retries). `folders` are the repository's work tree and git folder.
 */
export function removeStaleIndexLock(lock: string, folders: readonly string[]): boolean {
  let madeAt: number;
  try {
    madeAt = statSync(lock).mtimeMs;
  } catch {
    return true; // gone already: the retry can go ahead
  }
  if (madeAt >= processStart) return false;
  if (liveGitIn(folders) !== false) return false;
  rmSync(lock, { force: true });
  return true;
}
