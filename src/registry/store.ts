import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { loadJsonFile } from "../infra/json-file.js";
import { loadConfig } from "../infra/load-config.js";
import { withLock } from "../infra/lock.js";
import { warn } from "../infra/log.js";
import { displayPath, type ProjectPaths } from "../infra/project.js";
import { formatPath, problemsFrom } from "../infra/validation.js";
import { refreshPlanReadiness } from "../plan/task-store.js";
import { MASKED_WARNING, maskedJson } from "../security/mask.js";
import { refreshDerivedFiles } from "./derived.js";
import { type FeaturesFile, featuresFileSchema } from "./feature.js";
import { findDependencyCycle } from "./rules.js";

export async function loadRegistry(paths: ProjectPaths): Promise<FeaturesFile> {
  const shownAs = displayPath(paths, paths.features);
  if (!existsSync(paths.features)) {
    throw usageError(`${shownAs} does not exist.`, {
      file: shownAs,
      fix: "Run `br init --force` to recreate the project files (existing settings are kept).",
    });
  }
  try {
    return await loadJsonFile(paths.features, featuresFileSchema, { displayPath: shownAs });
  } catch (error) {
    throw olderLayout(paths.features, shownAs) ?? error;
  }
}

/**
 * How many features the registry lists, without validating it (for advice such as telemetry's
 * thresholds, never for decisions): 0 when it cannot be read.
 */
export function featureCount(paths: ProjectPaths): number {
  try {
    const data = JSON.parse(readFileSync(paths.features, "utf8")) as { features?: unknown };
    return Array.isArray(data.features) ? data.features.length : 0;
  } catch {
    return 0;
  }
}

/** On the error path only: a registry in an older BuildRunner's shape is migrated, not repaired by hand. */
function olderLayout(path: string, shownAs: string): Error | undefined {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as { schemaVersion?: unknown; features?: unknown };
    if (data.schemaVersion !== undefined || !Array.isArray(data.features)) return undefined;
  } catch {
    return undefined;
  }
  return usageError(`${shownAs} is in the Python BuildRunner 3.0's format, not this version's.`, {
    file: shownAs,
    fix: "Run `br migrate --dry-run` to see the migration, then `br migrate` (it backs up every file it changes; `br migrate rollback` undoes it).",
  });
}

/** Checks the registry as a whole and renders it; throws (exit 2) rather than produce a bad file. */
export function serializeRegistry(registry: FeaturesFile): string {
  const cycle = findDependencyCycle(registry.features);
  if (cycle) {
    throw usageError(`Feature dependencies would form a cycle: ${cycle.join(" → ")}.`, {
      fix: "Remove one of these dependencies.",
    });
  }
  // Parsing puts keys in schema order, so the file diffs cleanly in git.
  const parsed = featuresFileSchema.safeParse(registry);
  if (!parsed.success) {
    const [problem] = problemsFrom(parsed.error, registry);
    throw usageError(
      `Refused: the change would make features.json invalid: ${formatPath(problem?.path ?? [])} ${problem?.message ?? ""}.`,
      {
        fix: "Correct the value given on the command line.",
      },
    );
  }
  const { text, masked } = maskedJson(parsed.data, { shapesOnly: true });
  if (masked) warn(MASKED_WARNING("features.json"));
  return `${text}\n`;
}

/**
 * Read-modify-write of the registry under the project lock, so concurrent br processes never
 * lose each other's updates. `change` mutates the registry in place and returns a result; if it
 * throws, nothing is written. `beforeWrite` runs once the change has passed every check, just
 * before the file is replaced (for records that must exist if, and only if, the change does).
 */
export async function mutateRegistry<T>(
  paths: ProjectPaths,
  change: (registry: FeaturesFile) => T | Promise<T>,
  beforeWrite?: (result: T) => void,
): Promise<T> {
  return withLock(paths.lock, () => mutateRegistryLocked(paths, change, beforeWrite), { what: "the project" });
}

/** The same read-modify-write, for callers that already hold the project lock. */
export async function mutateRegistryLocked<T>(
  paths: ProjectPaths,
  change: (registry: FeaturesFile) => T | Promise<T>,
  beforeWrite?: (result: T) => void,
  options: { planFollows?: boolean } = {},
): Promise<T> {
  const registry = await loadRegistry(paths);
  const config = (await loadConfig(paths)).config;
  const result = await change(registry);
  const content = serializeRegistry(registry);
  // An edit that changes nothing writes nothing: no timestamps move, git sees no diff.
  if (content === readFileSync(paths.features, "utf8")) return result;
  beforeWrite?.(result);
  writeFileAtomic(paths.features, content);
  // Everything derived comes from what was saved, secrets masked, not from the text as typed.
  const saved = JSON.parse(content) as FeaturesFile;
  // Task readiness depends on features (a blocked feature blocks its tasks): keep the plan in step.
  if (options.planFollows !== false) refreshPlanReadiness(paths, saved);
  await refreshDerivedFiles(paths, saved, config);
  return result;
}
