/**
 * What the run journal says each feature's verified attempts changed. The build loop writes it
 * (attempts.changed_files: `[{ path, hash }]`, hash null for a file the attempt deleted); the
 * evidence rules read whose a file is, and gap analysis reads what stands behind a feature. Both
 * read it here, below src/run and src/quality, so neither imports the other.
 */
import type { StateDb } from "./state-db.js";

interface ChangedFile {
  path: string;
  /** Null when the attempt deleted the file. */
  hash: string | null;
}

/** One row's changed files; older journals stored plain paths, which count as present. */
function parseChangedFiles(json: string): ChangedFile[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return []; // A row torn by a crash says nothing about the files.
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): ChangedFile[] => {
    if (typeof entry === "string") return [{ path: entry, hash: "" }];
    const file = entry as Partial<ChangedFile> | null;
    return file && typeof file.path === "string" ? [{ path: file.path, hash: typeof file.hash === "string" ? file.hash : null }] : [];
  });
}

/** The verified attempts' changes, oldest first. */
function verifiedChanges(db: StateDb): { featureId: string; files: ChangedFile[] }[] {
  const rows = db
    .prepare("SELECT feature_id, changed_files FROM attempts WHERE outcome = 'passed' AND changed_files IS NOT NULL ORDER BY id")
    .all() as { feature_id: string; changed_files: string }[];
  return rows.map((row) => ({ featureId: row.feature_id, files: parseChangedFiles(row.changed_files) }));
}

/**
 * Path → the feature whose verified attempt changed it last (a file a later attempt deleted has no
 * owner): whose a file is, for the rules of evidence.
 */
export function verifiedOwners(db: StateDb): Map<string, string> {
  const owners = new Map<string, string>();
  for (const change of verifiedChanges(db))
    for (const file of change.files)
      if (file.hash !== null) owners.set(file.path, change.featureId);
      else owners.delete(file.path);
  return owners;
}

/**
 * Feature id → every path its verified attempts wrote: the code and tests that stand behind a
 * feature built by `br run`. A file later changed by another feature still stands behind both.
 */
export function verifiedFilesByFeature(db: StateDb): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const change of verifiedChanges(db)) {
    const files = out.get(change.featureId) ?? new Set<string>();
    for (const file of change.files) if (file.hash !== null) files.add(file.path);
    out.set(change.featureId, files);
  }
  return out;
}
