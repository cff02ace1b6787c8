import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { nodeCrypto } from "./crypto.js";
import { noteOwnWrite } from "./own-writes.js";
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

function writeThenRename(temp: string, path: string, content: Buffer): void {
  let fd: number | undefined;
  try {
    fd = openSync(temp, "w", 0o644);
    for (let written = 0; written < content.length; ) written += writeSync(fd, content, written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
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
 */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  // Encoded once for the write and the ledger's hash (a large plan is tens of megabytes).
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  writeReplacing(path, bytes);
  noteOwnWrite(path, bytes);
}

function writeReplacing(path: string, content: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const name = `${basename(path)}.${process.pid}.${nodeCrypto().randomBytes(4).toString("hex")}.tmp`;
  const scratch = scratchDirFor(path);
  if (scratch !== undefined) {
    try {
      writeThenRename(join(scratch, name), path, content);
      return;
    } catch (error) {
      // A rename cannot cross filesystems (state/ mounted or linked elsewhere): use a sibling temp file.
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    }
  }
  writeThenRename(join(dirname(path), name), path, content);
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
