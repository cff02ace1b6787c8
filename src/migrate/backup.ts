/**
 * Backups of the files a migration or import changes: a copy of each as it was, under
 * `.buildrunner/state/backups/<timestamp>/files/`, and a manifest with, per file, its sha256
 * before (null when it did not exist) and the sha256 written. Rollback restores from these and
 * nothing else.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { displayPath, type ProjectPaths } from "../infra/project.js";

export const BACKUPS = join("state", "backups");

export const manifestSchema = z.strictObject({
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  command: z.string(),
  source: z.string(),
  /** False while the migration runs: a manifest left so shows a migration that stopped midway. */
  complete: z.boolean(),
  rolledBackAt: z.string().optional(),
  files: z.array(
    z.strictObject({
      path: z.string(),
      before: z.string().nullable(),
      written: z.string().nullable().optional(),
    }),
  ),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestEntry = Manifest["files"][number];

export interface Backup {
  dir: string;
  manifest: Manifest;
}

export function sha256(path: string): string | null {
  return existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : null;
}

/** A name that sorts by time and is valid on every filesystem (no colons). */
function stamp(dir: string): string {
  const base = new Date().toISOString().replace(/[:.]/g, "-");
  let name = base;
  for (let n = 2; existsSync(join(dir, name)); n++) name = `${base}-${n}`;
  return name;
}

export function manifestPath(dir: string): string {
  return join(dir, "manifest.json");
}

export function copyPath(dir: string, path: string): string {
  return join(dir, "files", path);
}

/** Copies every candidate that exists and records the manifest, before anything is written. */
export function startBackup(paths: ProjectPaths, candidates: readonly string[], meta: { command: string; source: string }): Backup {
  const root = join(paths.dir, BACKUPS);
  const dir = join(root, stamp(root));
  const files: ManifestEntry[] = [];
  for (const absolute of candidates) {
    const path = displayPath(paths, absolute);
    const before = sha256(absolute);
    if (before !== null) writeFileAtomic(copyPath(dir, path), readFileSync(absolute));
    files.push({ path, before });
  }
  const manifest: Manifest = { schemaVersion: 1, createdAt: new Date().toISOString(), ...meta, complete: false, files };
  writeFileAtomic(manifestPath(dir), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest };
}

/** Keeps, in the manifest and the copies, only the files that changed, with what was written. */
export function finishBackup(paths: ProjectPaths, backup: Backup): ManifestEntry[] {
  const changed: ManifestEntry[] = [];
  for (const entry of backup.manifest.files) {
    const written = sha256(join(paths.root, entry.path));
    if (written === entry.before) rmSync(copyPath(backup.dir, entry.path), { force: true });
    else changed.push({ ...entry, written });
  }
  const manifest: Manifest = { ...backup.manifest, complete: true, files: changed };
  writeFileAtomic(manifestPath(backup.dir), `${JSON.stringify(manifest, null, 2)}\n`);
  return changed;
}

/** The backups of a project, oldest first. */
export function listBackups(paths: ProjectPaths): string[] {
  const root = join(paths.dir, BACKUPS);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => existsSync(manifestPath(join(root, name))))
    .sort();
}
