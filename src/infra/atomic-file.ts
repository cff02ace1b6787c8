import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { nodeCrypto } from "./crypto.js";
import { contentHasher, isOwnFile, noteOwnWrite } from "./own-writes.js";
import { isAlive } from "./process.js";
import { PROJECT_DIR, type ProjectPaths } from "./project.js";

/** Temp files live here, inside the git-ignored state folder, so a kill -9 never leaves one where it could be committed. */
const SCRATCH = join("state", "tmp");
/** `<name>.<pid>.<8 hex>.tmp`: the names writeFileAtomic gives its temp files. */
const TEMP_NAME = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temp file younger than this may belong to a write still in progress (on another host, whose pids mean nothing here). */
const STALE_AFTER_MS = 60_000;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The scratch folder of the project `path` belongs to (created on demand), or undefined outside a project. */
function scratchDirFor(path: string): string | undefined {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const projectDir = basename(dir) === PROJECT_DIR ? dir : join(dir, PROJECT_DIR);
    if (isDirectory(projectDir)) {
      try {
        mkdirSync(join(projectDir, SCRATCH), { recursive: true });
        return join(projectDir, SCRATCH);
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Writes the content into `fd` and returns its ledger hash, for a file the ledger tracks. */
type Writer = (fd: number) => string | undefined;

function writeThenRename(temp: string, path: string, write: Writer): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(temp, "w", 0o644);
    const sha = write(fd);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    return sha;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Writes a file so that readers, and a process killed mid-write, only ever see the old or the
 * new content: write a temp file, flush it, then rename over the target. Inside a project the temp
 * file is written in `.buildrunner/state/tmp/` (git-ignored), elsewhere next to the target.
 * Content given in parts (a large plan, see maskedJsonParts) is encoded, written and hashed a part
 * at a time, so the whole file never sits in memory as one buffer.
 */
export function writeFileAtomic(path: string, content: string | Buffer | readonly string[]): void {
  const parts = typeof content === "string" || Buffer.isBuffer(content) ? [content] : content;
  const hashed = isOwnFile(path);
  const sha = writeReplacing(path, (fd) => {
    const hash = hashed ? contentHasher() : undefined;
    for (const part of parts) {
      const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      hash?.update(bytes);
    }
    return hash?.digest("hex");
  });
  if (sha !== undefined) noteOwnWrite(path, sha);
}

/** Whether parts (as writeFileAtomic takes them) make up exactly `text`, without joining them. */
export function sameText(parts: readonly string[], text: string): boolean {
  let at = 0;
  for (const part of parts) {
    if (!text.startsWith(part, at)) return false;
    at += part.length;
  }
  return at === text.length;
}

function writeReplacing(path: string, write: Writer): string | undefined {
  mkdirSync(dirname(path), { recursive: true });
  const name = `${basename(path)}.${process.pid}.${nodeCrypto().randomBytes(4).toString("hex")}.tmp`;
  const scratch = scratchDirFor(path);
  if (scratch !== undefined) {
    try {
      return writeThenRename(join(scratch, name), path, write);
    } catch (error) {
      // A rename cannot cross filesystems (state/ mounted or linked elsewhere): use a sibling temp file.
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    }
  }
  return writeThenRename(join(dirname(path), name), path, write);
}

function isStaleTemp(file: string, now: number): boolean {
  const pid = Number(TEMP_NAME.exec(file)?.[1] ?? 0);
  if (pid <= 0 || pid === process.pid) return false;
  try {
    if (now - statSync(file).mtimeMs < STALE_AFTER_MS) return false;
  } catch {
    return false;
  }
  return !isAlive(pid);
}

function entries(dir: string, keep: (name: string) => boolean = () => true): string[] {
  try {
    return readdirSync(dir)
      .filter(keep)
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/**
 * Removes the temp files of writes whose process was killed (kill -9, power loss): left in
 * `.buildrunner/` by older versions or a cross-filesystem fallback they would show in `git status`
 * and block `br run`. Only old files of dead processes go; cleaning is best effort.
 */
export function removeStaleTempFiles(paths: ProjectPaths): void {
  const rootFiles = [paths.agentsMd, paths.claudeMd, paths.gitignore].map((file) => `${basename(file)}.`);
  const candidates = [
    ...entries(paths.dir),
    ...entries(paths.context),
    ...entries(join(paths.dir, SCRATCH)),
    ...entries(paths.root, (name) => rootFiles.some((prefix) => name.startsWith(prefix))),
  ];
  const now = Date.now();
  for (const file of candidates) {
    if (!isStaleTemp(file, now)) continue;
    try {
      rmSync(file, { force: true });
    } catch {
      // Left for the next run; it harms nothing but the tidiness of the tree.
    }
  }
}
