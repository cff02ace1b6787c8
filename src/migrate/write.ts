/**
 * Writes a migration plan as a br project through the registry and plan stores (their schemas,
 * masking and lock), after backing up every file it changes with a manifest for rollback. The
 * dry run computes the same contents and writes nothing at all.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import * as yaml from "yaml";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { configSchema, editConfig, renderInitialConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { ensureGitignoreEntry } from "../infra/git.js";
import { loadJsonFile } from "../infra/json-file.js";
import { withLock } from "../infra/lock.js";
import { displayPath, type ProjectPaths, projectPaths } from "../infra/project.js";
import { formatPath, problemsFrom } from "../infra/validation.js";
import { type Task, type TasksFile, tasksFileSchema } from "../plan/task.js";
import { refreshReadiness, serializeTasks } from "../plan/task-store.js";
import { bestEffort, ensureUserContextFiles, refreshDerivedFiles } from "../registry/derived.js";
import { type Feature, type FeaturesFile, featuresFileSchema } from "../registry/feature.js";
import { serializeRegistry } from "../registry/store.js";
import { type Backup, finishBackup, startBackup } from "./backup.js";
import type { ConfigSetting, MigrationPlan, PlanFeature, PlanTask } from "./plan.js";

export interface FileChange {
  path: string;
  action: "create" | "replace";
  /** The exact content for the files br's plan decides; generated files (STATUS.md, …) have none. */
  content?: string;
}

export interface WriteResult {
  dryRun: boolean;
  changed: boolean;
  files: FileChange[];
  /** config.yaml settings written, and those left because the project already sets them. */
  configApplied: ConfigSetting[];
  configKept: ConfigSetting[];
  backup?: string;
}

interface Contents {
  registry: FeaturesFile;
  plan: TasksFile;
  features: string;
  tasks: string;
  config: string;
  configApplied: ConfigSetting[];
  configKept: ConfigSetting[];
}

/** br's registry as it is, or undefined where there is none yet (or the file is the Python layout's, being replaced). */
async function existingRegistry(paths: ProjectPaths, replacing: boolean): Promise<FeaturesFile | undefined> {
  if (!existsSync(paths.features) || replacing) return undefined;
  return loadJsonFile(paths.features, featuresFileSchema, { displayPath: displayPath(paths, paths.features) });
}

async function existingTasks(paths: ProjectPaths): Promise<Task[]> {
  if (!existsSync(paths.tasks)) return [];
  return (await loadJsonFile(paths.tasks, tasksFileSchema, { displayPath: displayPath(paths, paths.tasks) })).tasks;
}

const SETTLED_FEATURE = new Set(["complete"]);

/** A feature from the plan, keeping what br has recorded: creation time, and progress the source does not know of. */
function mergeFeature(from: PlanFeature, old: Feature | undefined, now: string): Feature {
  const status = old && old.status !== "planned" && !SETTLED_FEATURE.has(from.status) ? old.status : from.status;
  const { origin: _origin, ...fields } = from;
  const next: Feature = { ...fields, status, createdAt: old?.createdAt ?? now, updatedAt: now };
  if (status === "complete") next.completedAt = old?.completedAt ?? now;
  if (old?.blockedReason && status === "blocked" && !next.blockedReason) next.blockedReason = old.blockedReason;
  // Nothing changed but the timestamps: keep the feature exactly as it was (a re-run writes nothing).
  if (old && JSON.stringify({ ...next, updatedAt: old.updatedAt }) === JSON.stringify(old)) return old;
  return next;
}

function buildRegistry(paths: ProjectPaths, plan: MigrationPlan, old: FeaturesFile | undefined, now: string): FeaturesFile {
  const registry: FeaturesFile = old
    ? structuredClone(old)
    : { schemaVersion: 1, project: plan.project ?? basename(paths.root), features: [] };
  if (!old && plan.description) registry.description = plan.description;
  for (const feature of plan.features) {
    const index = registry.features.findIndex((f) => f.id === feature.id);
    const merged = mergeFeature(feature, registry.features[index], now);
    if (index >= 0) registry.features[index] = merged;
    else registry.features.push(merged);
  }
  return registry;
}

const PROGRESSED = new Set(["running", "done", "failed", "skipped"]);

function mergeTask(from: PlanTask, old: Task | undefined): Task {
  const { origin: _origin, complexity, estimateMinutes, ...fields } = from;
  const status = old && PROGRESSED.has(old.status) && from.status !== "done" && from.status !== "skipped" ? old.status : from.status;
  return {
    ...fields,
    status,
    complexity: complexity ?? old?.complexity ?? "moderate",
    estimateMinutes: estimateMinutes ?? old?.estimateMinutes ?? 60,
    ...(old?.kind ? { kind: old.kind } : {}),
    ...(old?.failureReason && status === "failed" ? { failureReason: old.failureReason } : {}),
  };
}

function buildTasks(plan: MigrationPlan, old: Task[], registry: FeaturesFile): TasksFile {
  const tasks = structuredClone(old);
  for (const task of plan.tasks) {
    const index = tasks.findIndex((t) => t.id === task.id);
    const merged = mergeTask(task, tasks[index]);
    if (index >= 0) tasks[index] = merged;
    else tasks.push(merged);
  }
  refreshReadiness(tasks, registry);
  return { schemaVersion: 1, tasks };
}

/** config.yaml with the plan's settings, each only where the project does not set it already. */
function buildConfig(paths: ProjectPaths, settings: readonly ConfigSetting[]): Pick<Contents, "config" | "configApplied" | "configKept"> {
  const text = existsSync(paths.config) ? readFileSync(paths.config, "utf8") : renderInitialConfig({});
  const doc = yaml.parseDocument(text);
  const fresh = !existsSync(paths.config);
  const configApplied: ConfigSetting[] = [];
  const configKept: ConfigSetting[] = [];
  for (const setting of settings) {
    const path = setting.key.split(".");
    // A new config.yaml's commented defaults are not the user's choices; an existing file's values are.
    if (!fresh && doc.hasIn(path)) configKept.push(setting);
    else {
      doc.setIn(path, setting.value);
      configApplied.push(setting);
    }
  }
  const next = configApplied.length > 0 ? doc.toString() : text;
  const parsed = configSchema.safeParse(yaml.parse(next) ?? {});
  if (!parsed.success) {
    const [problem] = problemsFrom(parsed.error, yaml.parse(next));
    throw usageError(
      `The migrated settings would make config.yaml invalid: ${formatPath(problem?.path ?? [])} ${problem?.message ?? ""}.`,
      {
        file: displayPath(paths, paths.config),
        fix: "Correct the setting in the source, or set it afterwards with `br config set`.",
      },
    );
  }
  return { config: next, configApplied, configKept };
}

async function compute(paths: ProjectPaths, plan: MigrationPlan, replacing: boolean): Promise<Contents> {
  const now = new Date().toISOString();
  const registry = buildRegistry(paths, plan, await existingRegistry(paths, replacing), now);
  const tasksPlan = buildTasks(plan, replacing ? [] : await existingTasks(paths), registry);
  return {
    registry,
    plan: tasksPlan,
    features: serializeRegistry(registry),
    tasks: serializeTasks(tasksPlan, displayPath(paths, paths.tasks)),
    ...buildConfig(paths, plan.config),
  };
}

function current(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** The files br decides the content of, and whether each changes. */
function primaryChanges(paths: ProjectPaths, contents: Contents): FileChange[] {
  const out: FileChange[] = [];
  for (const [path, content] of [
    [paths.features, contents.features],
    [paths.tasks, contents.tasks],
    [paths.config, contents.config],
  ] as const) {
    const before = current(path);
    if (before !== content) out.push({ path: displayPath(paths, path), action: before === undefined ? "create" : "replace", content });
  }
  return out;
}

/** Files generated from the registry (and the .gitignore entry), which a real run may also change. */
export function generatedFiles(paths: ProjectPaths): string[] {
  return [
    paths.status,
    join(paths.context, "architecture.md"),
    join(paths.context, "decisions.md"),
    join(paths.context, "project.md"),
    join(paths.context, "blockers.md"),
    paths.agentsMd,
    paths.claudeMd,
    paths.gitignore,
  ];
}

/** Whether a real run may change a generated file: the user's context files and .gitignore only when something is missing. */
function mayChange(paths: ProjectPaths, path: string): boolean {
  if (path === paths.gitignore)
    return !(current(path) ?? "").split(/\r?\n/).some((l) => l.trim().replace(/\/$/, "") === ".buildrunner/state");
  if (path.endsWith("architecture.md") || path.endsWith("decisions.md")) return !existsSync(path);
  return true;
}

async function writeContents(paths: ProjectPaths, contents: Contents): Promise<void> {
  writeFileAtomic(paths.features, contents.features);
  writeFileAtomic(paths.tasks, contents.tasks);
  if (!existsSync(paths.config)) writeFileAtomic(paths.config, renderInitialConfig({}));
  const config = await editConfig(
    paths,
    (doc) => {
      for (const setting of contents.configApplied) doc.setIn(setting.key.split("."), setting.value);
    },
    { lockHeld: true },
  );
  mkdirSync(paths.state, { recursive: true });
  ensureUserContextFiles(paths);
  bestEffort(paths, paths.gitignore, () => ensureGitignoreEntry(paths.gitignore, ".buildrunner/state/", "BuildRunner machine-local state"));
  await refreshDerivedFiles(paths, contents.registry, config);
}

export interface WriteOptions {
  dryRun: boolean;
  /** The source's features.json is br's own path (the Python layout): replace it rather than merge into it. */
  replacing: boolean;
  command: string;
}

/** Writes the plan (or, dry, says what it would write). Nothing changes when nothing would. */
export async function writePlan(root: string, plan: MigrationPlan, options: WriteOptions): Promise<WriteResult> {
  const paths = projectPaths(root);
  const preview = await compute(paths, plan, options.replacing);
  const files = primaryChanges(paths, preview);
  const base = { configApplied: preview.configApplied, configKept: preview.configKept };
  if (files.length === 0) return { dryRun: options.dryRun, changed: false, files, ...base };
  if (options.dryRun) {
    const generated = generatedFiles(paths)
      .filter((p) => mayChange(paths, p))
      .map((p) => ({ path: displayPath(paths, p), action: existsSync(p) ? "replace" : "create" }) as const);
    return { dryRun: true, changed: true, files: [...files, ...generated], ...base };
  }
  return withLock(
    paths.lock,
    async () => {
      // Computed again under the lock: another br may have changed the project since the preview.
      const contents = await compute(paths, plan, options.replacing);
      const candidates = [paths.features, paths.tasks, paths.config, ...generatedFiles(paths)];
      const backup: Backup = startBackup(paths, candidates, { command: options.command, source: plan.source });
      await writeContents(paths, contents);
      const changed = finishBackup(paths, backup);
      if (changed.length === 0) rmSync(backup.dir, { recursive: true, force: true });
      return {
        dryRun: false,
        changed: true,
        files: changed.map((c) => ({ path: c.path, action: c.before === null ? "create" : "replace" }) as const),
        configApplied: contents.configApplied,
        configKept: contents.configKept,
        backup: displayPath(paths, backup.dir),
      };
    },
    { what: "the project" },
  );
}
