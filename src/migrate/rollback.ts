/**
 * `br migrate rollback`: puts back exactly the files a migration or import wrote, as its manifest
 * lists them. A file the user changed since (its sha256 is no longer the one written) is named and
 * the rollback refused unless forced; nothing else is touched, and git is never reset.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { failure, usageError } from "../infra/errors.js";
import { loadJsonFile } from "../infra/json-file.js";
import { withLock } from "../infra/lock.js";
import { PROJECT_DIR, type ProjectPaths, projectPaths } from "../infra/project.js";
import { BACKUPS, copyPath, listBackups, type Manifest, manifestPath, manifestSchema, sha256 } from "./backup.js";

export interface RollbackResult {
  backup: string;
  restored: string[];
  removed: string[];
  /** Files the user changed since the migration, restored anyway under --force. */
  overwritten: string[];
}

/** The project whose backups to use: the nearest folder upward that has any. */
export function backupRoot(cwd: string): ProjectPaths {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_DIR, BACKUPS))) return projectPaths(dir);
    if (dirname(dir) === dir) break;
  }
  throw usageError(`No migration backup in ${resolve(cwd)} or any folder above it.`, {
    fix: "Rollback undoes a `br migrate` or `br import`; run it in the project that was migrated.",
  });
}

async function chooseBackup(paths: ProjectPaths, to: string | undefined): Promise<{ name: string; manifest: Manifest }> {
  const names = listBackups(paths);
  const read = (name: string) =>
    loadJsonFile(manifestPath(join(paths.dir, BACKUPS, name)), manifestSchema, {
      displayPath: `.buildrunner/${BACKUPS}/${name}/manifest.json`,
    });
  if (to !== undefined) {
    const name = to.split(/[\\/]/).filter(Boolean).at(-1) ?? to;
    if (!names.includes(name)) throw usageError(`No backup named ${to}.`, { fix: `Choose one of: ${names.join(", ") || "(none)"}.` });
    return { name, manifest: await read(name) };
  }
  for (const name of [...names].reverse()) {
    const manifest = await read(name);
    if (manifest.rolledBackAt === undefined) return { name, manifest };
  }
  throw usageError("Every migration backup has already been rolled back.", {
    fix: "Pass --to <backup> to restore a particular one again.",
  });
}

/** Files whose content is no longer what the migration wrote. */
function changedSince(paths: ProjectPaths, manifest: Manifest): string[] {
  return manifest.files.filter((f) => f.written !== undefined && sha256(join(paths.root, f.path)) !== f.written).map((f) => f.path);
}

/** Folders the migration created and that are empty again (context/) go too; the project root and state/ stay. */
function removeEmptyFolders(paths: ProjectPaths, removed: readonly string[]): void {
  for (const file of removed) {
    for (let dir = dirname(join(paths.root, file)); dir !== paths.root && dir !== paths.dir; dir = dirname(dir)) {
      if (!existsSync(dir) || readdirSync(dir).length > 0) break;
      rmdirSync(dir);
    }
  }
}

function restore(paths: ProjectPaths, dir: string, manifest: Manifest): { restored: string[]; removed: string[] } {
  const restored: string[] = [];
  const removed: string[] = [];
  for (const file of manifest.files) {
    const target = join(paths.root, file.path);
    if (file.before === null) {
      if (existsSync(target)) {
        rmSync(target, { force: true });
        removed.push(file.path);
      }
      continue;
    }
    const copy = copyPath(dir, file.path);
    if (sha256(copy) !== file.before)
      throw failure(`The backup copy of ${file.path} is missing or damaged; nothing further was restored.`, {
        file: copy,
        fix: "Restore the rest from git (git checkout -- <file>); the files listed as restored are already back.",
      });
    writeFileAtomic(target, readFileSync(copy));
    restored.push(file.path);
  }
  removeEmptyFolders(paths, removed);
  return { restored, removed };
}

export async function rollback(cwd: string, options: { to?: string; force?: boolean }): Promise<RollbackResult> {
  const paths = backupRoot(cwd);
  return withLock(
    paths.lock,
    async () => {
      const { name, manifest } = await chooseBackup(paths, options.to);
      const dir = join(paths.dir, BACKUPS, name);
      const changed = changedSince(paths, manifest);
      if (changed.length > 0 && !options.force) {
        throw usageError(
          `Refused: ${changed.length === 1 ? "this file was" : "these files were"} changed since the migration: ${changed.join(", ")}. Nothing was restored.`,
          {
            fix: "Keep your changes elsewhere first, or add --force to restore the migration's backup over them.",
          },
        );
      }
      const { restored, removed } = restore(paths, dir, manifest);
      const done: Manifest = { ...manifest, rolledBackAt: new Date().toISOString() };
      writeFileAtomic(manifestPath(dir), `${JSON.stringify(done, null, 2)}\n`);
      return { backup: `.buildrunner/${BACKUPS}/${name}`, restored, removed, overwritten: changed };
    },
    { what: "the project" },
  );
}
