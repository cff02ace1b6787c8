import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { usageError } from "./errors.js";

export const PROJECT_DIR = ".buildrunner";

export interface ProjectPaths {
  root: string;
  dir: string;
  features: string;
  tasks: string;
  config: string;
  status: string;
  context: string;
  state: string;
  lock: string;
  spec: string;
  agentsMd: string;
  claudeMd: string;
  gitignore: string;
}

export function projectPaths(root: string): ProjectPaths {
  const dir = join(root, PROJECT_DIR);
  const state = join(dir, "state");
  return {
    root,
    dir,
    features: join(dir, "features.json"),
    tasks: join(dir, "tasks.json"),
    config: join(dir, "config.yaml"),
    status: join(dir, "STATUS.md"),
    context: join(dir, "context"),
    state,
    lock: join(state, "project.lock"),
    spec: join(root, "PROJECT_SPEC.md"),
    agentsMd: join(root, "AGENTS.md"),
    claudeMd: join(root, "CLAUDE.md"),
    gitignore: join(root, ".gitignore"),
  };
}

/**
 * A parallel stream's view of the project: code, checks and the agent work in the stream's
 * worktree; br's own files (registry, plan, config, state, lock) stay the main checkout's, the one
 * record every stream shares.
 */
export function streamPaths(main: ProjectPaths, worktree: string): ProjectPaths {
  const own = projectPaths(worktree);
  return { ...main, root: worktree, spec: own.spec, agentsMd: own.agentsMd, claudeMd: own.claudeMd, gitignore: own.gitignore };
}

/** The path as the user should see it: relative to the project root. */
export function displayPath(paths: ProjectPaths, absolute: string): string {
  return relative(paths.root, absolute) || ".";
}

function isProjectRoot(dir: string): boolean {
  const marker = join(dir, PROJECT_DIR);
  return (
    existsSync(marker) &&
    statSync(marker).isDirectory() &&
    (existsSync(join(marker, "features.json")) || existsSync(join(marker, "config.yaml")))
  );
}

/** Finds the project that contains `cwd`, looking upward like git does. */
export function findProject(cwd: string): ProjectPaths {
  let dir = resolve(cwd);
  for (;;) {
    if (isProjectRoot(dir)) return projectPaths(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw usageError(`No BuildRunner project in ${resolve(cwd)} or any folder above it.`, {
    fix: "Run `br init` (new project) or `br attach` (existing codebase) first, or pass --cwd <project>.",
  });
}
