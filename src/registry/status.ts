import { loadConfig } from "../infra/config.js";
import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { refreshDerivedFiles } from "./derived.js";
import type { FeaturesFile } from "./feature.js";
import { loadRegistry } from "./store.js";
import { type StatusSummary, summarize } from "./summary.js";

/** Reads the registry, regenerates STATUS.md (and the other generated files), returns the summary. */
export async function projectStatus(paths: ProjectPaths): Promise<{ summary: StatusSummary; registry: FeaturesFile }> {
  return withLock(
    paths.lock,
    async () => {
      const registry = await loadRegistry(paths);
      await refreshDerivedFiles(paths, registry, (await loadConfig(paths)).config);
      return { summary: summarize(registry), registry };
    },
    { what: "the project" },
  );
}
