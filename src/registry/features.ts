import { usageError } from "../infra/errors.js";
import type { ProjectPaths } from "../infra/project.js";
import { recordEvent } from "../infra/state-db.js";
import type { Feature, FeaturesFile } from "./feature.js";
import { checkMove, type FeatureStatus, type MoveOptions, type Priority, slugify, validateId } from "./rules.js";
import { mutateRegistry } from "./store.js";

function findFeature(registry: FeaturesFile, id: string): Feature {
  const feature = registry.features.find((f) => f.id === id);
  if (feature) return feature;
  const close = registry.features.filter((f) => f.id.includes(id) || id.includes(f.id)).map((f) => f.id);
  throw usageError(`No feature with id "${id}".`, {
    fix: close.length > 0 ? `Did you mean ${close.slice(0, 3).join(", ")}?` : "List the ids with `br features list`.",
  });
}

export function getFeature(registry: FeaturesFile, id: string): Feature {
  return findFeature(registry, id);
}

function checkDependencies(registry: FeaturesFile, id: string, dependsOn: readonly string[]): string[] {
  const unique = [...new Set(dependsOn.map((d) => d.trim()).filter(Boolean))];
  for (const dep of unique) {
    if (dep === id) throw usageError(`Feature "${id}" cannot depend on itself.`, { fix: "Leave its own id out of --depends-on." });
    if (!registry.features.some((f) => f.id === dep)) {
      throw usageError(`Unknown dependency "${dep}".`, { fix: "Name existing feature ids (`br features list`), separated by commas." });
    }
  }
  return unique;
}

export interface NewFeature {
  name: string;
  id?: string;
  description?: string;
  priority?: Priority;
  dependsOn?: string[];
  acceptance?: string[];
  files?: string[];
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (!name) throw usageError("A feature needs a name.", { fix: 'br features add "User authentication"' });
  if (/\p{Cc}/u.test(name))
    throw usageError("A feature name must be one line without control characters.", { fix: "Put details in --description." });
  return name;
}

export async function addFeature(paths: ProjectPaths, input: NewFeature): Promise<Feature> {
  const name = checkName(input.name);
  const slug = input.id ?? slugify(name);
  if (input.id === undefined && !slug)
    throw usageError(`Cannot make an id from the name "${name}".`, { fix: "Pass one with --id, e.g. --id checkout." });
  const id = validateId(slug);
  return mutateRegistry(paths, (registry) => {
    if (registry.features.some((f) => f.id === id)) {
      throw usageError(`A feature with id "${id}" already exists.`, {
        fix: "Pick another name, pass --id <id>, or change the existing one with `br features update`.",
      });
    }
    const now = new Date().toISOString();
    const feature: Feature = {
      id,
      name,
      ...(input.description ? { description: input.description } : {}),
      status: "planned",
      priority: input.priority ?? "medium",
      dependsOn: checkDependencies(registry, id, input.dependsOn ?? []),
      acceptance: input.acceptance ?? [],
      ...(input.files && input.files.length > 0 ? { files: input.files } : {}),
      createdAt: now,
      updatedAt: now,
    };
    registry.features.push(feature);
    return feature;
  });
}

export interface StatusChange extends MoveOptions {
  reason?: string;
}

/** Applies a status move to a feature in memory, recording completion and block reasons. */
function applyStatus(feature: Feature, to: FeatureStatus, change: StatusChange, now: string): { forced: boolean; from: FeatureStatus } {
  const from = feature.status;
  const { forced } = checkMove(feature, to, change);
  feature.status = to;
  if (to === "complete" && from !== "complete") feature.completedAt = now;
  if (to !== "complete") delete feature.completedAt;
  if (to === "blocked" && change.reason) feature.blockedReason = change.reason;
  if (to !== "blocked") delete feature.blockedReason;
  return { forced, from };
}

export interface FeatureUpdate extends StatusChange {
  name?: string;
  description?: string;
  priority?: Priority;
  status?: FeatureStatus;
  dependsOn?: string[];
  acceptance?: string[];
  files?: string[];
}

export interface UpdateResult {
  feature: Feature;
  forcedMove?: { from: FeatureStatus; to: FeatureStatus };
}

export async function updateFeature(paths: ProjectPaths, id: string, update: FeatureUpdate): Promise<UpdateResult> {
  const result = await mutateRegistry(
    paths,
    (registry) => {
      const feature = findFeature(registry, id);
      const now = new Date().toISOString();
      let forcedMove: UpdateResult["forcedMove"];
      if (update.name !== undefined) feature.name = checkName(update.name);
      if (update.description !== undefined) feature.description = update.description;
      if (update.priority !== undefined) feature.priority = update.priority;
      if (update.dependsOn !== undefined) feature.dependsOn = checkDependencies(registry, id, update.dependsOn);
      if (update.acceptance !== undefined) feature.acceptance = update.acceptance;
      if (update.files !== undefined) feature.files = update.files;
      if (update.status !== undefined) {
        const { forced, from } = applyStatus(feature, update.status, update, now);
        if (forced) forcedMove = { from, to: update.status };
      } else if (update.reason !== undefined && feature.status === "blocked") {
        feature.blockedReason = update.reason;
      }
      feature.updatedAt = now;
      return { feature: { ...feature }, ...(forcedMove ? { forcedMove } : {}) };
    },
    (result) => {
      // Overrides are kept in the machine-local journal for audit; recorded before the write so a
      // forced move is never saved without its record.
      if (result.forcedMove) recordEvent(paths, "feature.forced-move", id, { ...result.forcedMove, user: process.env.USER ?? null });
    },
  );
  return result;
}

export async function removeFeature(paths: ProjectPaths, id: string, options: { force?: boolean }): Promise<Feature> {
  return mutateRegistry(paths, (registry) => {
    const feature = findFeature(registry, id);
    const dependents = registry.features.filter((f) => f.dependsOn.includes(id));
    if (!options.force) {
      if (dependents.length > 0) {
        throw usageError(`Feature "${id}" is a dependency of ${dependents.map((f) => f.id).join(", ")}.`, {
          fix: "Remove those dependencies first, or add --force to remove it and drop them.",
        });
      }
      if (feature.status !== "planned" && feature.status !== "blocked") {
        throw usageError(`Feature "${id}" is ${feature.status}; removing it loses that record.`, {
          fix: "Add --force to remove it anyway.",
        });
      }
    }
    for (const dependent of dependents) dependent.dependsOn = dependent.dependsOn.filter((d) => d !== id);
    registry.features = registry.features.filter((f) => f.id !== id);
    return feature;
  });
}
