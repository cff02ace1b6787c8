import { existsSync } from "node:fs";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { type Config, loadConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { loadJsonFile } from "../infra/json-file.js";
import { withLock } from "../infra/lock.js";
import { displayPath, type ProjectPaths } from "../infra/project.js";
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
  return loadJsonFile(paths.features, featuresFileSchema, { displayPath: shownAs });
}

export function serializeRegistry(registry: FeaturesFile): string {
  // Parsing puts keys in schema order, so the file diffs cleanly in git.
  return `${JSON.stringify(featuresFileSchema.parse(registry), null, 2)}\n`;
}

/** Writes the registry and everything generated from it. Call with the project lock held. */
export async function saveRegistry(paths: ProjectPaths, registry: FeaturesFile, config?: Config): Promise<void> {
  const cycle = findDependencyCycle(registry.features);
  if (cycle) {
    throw usageError(`Feature dependencies would form a cycle: ${cycle.join(" → ")}.`, {
      fix: "Remove one of these dependencies.",
    });
  }
  writeFileAtomic(paths.features, serializeRegistry(registry));
  await refreshDerivedFiles(paths, registry, config ?? (await loadConfig(paths)).config);
}

/**
 * Read-modify-write of the registry under the project lock, so concurrent br processes never
 * lose each other's updates. `change` mutates the registry in place and returns a result; if it
 * throws, nothing is written.
 */
export async function mutateRegistry<T>(paths: ProjectPaths, change: (registry: FeaturesFile) => T | Promise<T>): Promise<T> {
  return withLock(
    paths.lock,
    async () => {
      const registry = await loadRegistry(paths);
      const config = (await loadConfig(paths)).config;
      const result = await change(registry);
      await saveRegistry(paths, registry, config);
      return result;
    },
    { what: "the project" },
  );
}
