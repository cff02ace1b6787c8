import { existsSync, mkdirSync } from "node:fs";
import { basename } from "node:path";
import { removeStaleTempFiles, writeFileAtomic } from "../infra/atomic-file.js";
import { type Config, editConfig, loadConfig, renderInitialConfig } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { ensureGitignoreEntry, gitDirPlace, isGitRepo } from "../infra/git.js";
import { withLock } from "../infra/lock.js";
import { displayPath, type ProjectPaths, projectPaths } from "../infra/project.js";
import { bestEffort, ensureUserContextFiles, refreshDerivedFiles } from "./derived.js";
import { type Detection, detectProject } from "./detect.js";
import type { FeaturesFile } from "./feature.js";
import { loadRegistry, serializeRegistry } from "./store.js";

export interface InitOptions {
  name?: string;
  force?: boolean;
  /** Detect the codebase's language and commands (br attach). */
  detect?: boolean;
}

export interface InitResult {
  root: string;
  project: string;
  created: string[];
  kept: string[];
  gitRepo: boolean;
  detection?: Detection;
  /** Commands written to config.yaml by this run. */
  commandsAdded: string[];
}

/** Refuses to re-initialise without --force and validates what exists; run again under the lock. */
async function existingProject(paths: ProjectPaths, options: InitOptions): Promise<FeaturesFile | undefined> {
  const exists = existsSync(paths.features) || existsSync(paths.config);
  if (exists && !options.force) {
    throw usageError(`${paths.root} is already a BuildRunner project.`, {
      file: displayPath(paths, existsSync(paths.features) ? paths.features : paths.config),
      fix: "Add --force to recreate missing files and refresh generated ones (features and settings are kept).",
    });
  }
  const registry = existsSync(paths.features) ? await loadRegistry(paths) : undefined;
  await loadConfig(paths);
  return registry;
}

/** Project files belong in a working tree: in a bare repository or in .git they would land among git's own files. */
function refuseGitDir(root: string, command: string): void {
  const place = gitDirPlace(root);
  if (place === undefined) return;
  const bare = place.kind === "bare";
  const repo = bare ? "a bare git repository, which has no working tree" : "git's own folder";
  const where = root === place.gitDir ? `${root} is ${repo}` : `${root} is inside ${place.gitDir}, ${repo}`;
  throw usageError(`${where}: ${command} would write .buildrunner/, AGENTS.md and CLAUDE.md among git's files. Nothing was written.`, {
    fix: bare
      ? `Run it in a clone with a working tree: \`git clone ${place.gitDir} <folder>\`, then \`cd <folder> && ${command}\`.`
      : `Run it in the repository's working tree (the folder that holds ${basename(place.gitDir)}), not inside it.`,
  });
}

export async function initProject(root: string, options: InitOptions): Promise<InitResult> {
  refuseGitDir(root, options.detect ? "br attach" : "br init");
  const paths = projectPaths(root);
  removeStaleTempFiles(paths);
  // Checked before the lock so a refusal creates nothing, and again under it against a racing init.
  await existingProject(paths, options);
  const detection = options.detect ? await detectProject(root) : undefined;

  return withLock(
    paths.lock,
    async () => {
      const existingRegistry = await existingProject(paths, options);
      const created: string[] = [];
      const kept: string[] = [];
      const note = (path: string, wasThere: boolean) => (wasThere ? kept : created).push(displayPath(paths, path));

      const registry: FeaturesFile = existingRegistry ?? {
        schemaVersion: 1,
        project: options.name ?? basename(root),
        features: [],
      };
      if (options.name && existingRegistry) registry.project = options.name;
      if (!existingRegistry || options.name) writeFileAtomic(paths.features, serializeRegistry(registry));
      note(paths.features, existingRegistry !== undefined);

      const detected = Object.fromEntries(
        Object.entries(detection?.commands ?? {}).map(([name, found]) => [name, found.command]),
      ) as Config["commands"];
      const commandsAdded: string[] = [];
      if (!existsSync(paths.config)) {
        writeFileAtomic(paths.config, renderInitialConfig(detected));
        commandsAdded.push(...Object.keys(detected));
        note(paths.config, false);
      } else {
        // Re-attaching fills in commands the user has not set; it never overwrites one.
        const current = (await loadConfig(paths)).raw.commands as Record<string, unknown> | undefined;
        const missing = Object.entries(detected).filter(([name]) => current?.[name] === undefined);
        if (missing.length > 0) {
          await editConfig(
            paths,
            (doc) => {
              for (const [name, command] of missing) doc.setIn(["commands", name], command);
            },
            { lockHeld: true }, // the project lock is already ours
          );
          commandsAdded.push(...missing.map(([name]) => name));
        }
        note(paths.config, true);
      }

      if (!existsSync(paths.tasks)) {
        writeFileAtomic(paths.tasks, `${JSON.stringify({ schemaVersion: 1, tasks: [] }, null, 2)}\n`);
        note(paths.tasks, false);
      } else note(paths.tasks, true);
      mkdirSync(paths.state, { recursive: true });
      ensureUserContextFiles(paths);
      const ignored = bestEffort(paths, paths.gitignore, () =>
        ensureGitignoreEntry(paths.gitignore, ".buildrunner/state/", "BuildRunner machine-local state"),
      );
      if (ignored) created.push(".gitignore entry .buildrunner/state/");
      const hadAgents = existsSync(paths.agentsMd);
      const hadClaude = existsSync(paths.claudeMd);
      await refreshDerivedFiles(paths, registry, (await loadConfig(paths)).config);
      note(paths.agentsMd, hadAgents);
      note(paths.claudeMd, hadClaude);
      return {
        root,
        project: registry.project,
        created,
        kept,
        gitRepo: isGitRepo(root),
        ...(detection ? { detection } : {}),
        commandsAdded,
      };
    },
    { what: "the project" },
  );
}
