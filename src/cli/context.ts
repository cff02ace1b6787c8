import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { removeStaleTempFiles } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { findProject, type ProjectPaths } from "../infra/project.js";
import type { GlobalOptions } from "./output.js";

/** The folder to work in: --cwd when given (it must be an existing folder), else the current one. */
export function workingDir(options: GlobalOptions): string {
  const dir = resolve(options.cwd ?? process.cwd());
  if (options.cwd !== undefined && !(existsSync(dir) && statSync(dir).isDirectory())) {
    throw usageError(`--cwd ${options.cwd}: no such folder.`, { fix: "Give the path of an existing project folder." });
  }
  return dir;
}

/** The project to work on; what a killed br left behind is tidied first, so it never dirties the tree. */
export function project(options: GlobalOptions): ProjectPaths {
  const paths = findProject(workingDir(options));
  removeStaleTempFiles(paths);
  return paths;
}

/**
 * The project, its config.yaml checked first, for commands that do not otherwise read it: a broken
 * config.yaml (YAML or schema) stops every project command with exit 2, naming the file, the place
 * and the fix, before anything is written. A project without config.yaml runs on the defaults.
 */
export async function checkedProject(options: GlobalOptions): Promise<ProjectPaths> {
  const paths = findProject(workingDir(options));
  const { loadConfig } = await import("../infra/load-config.js");
  await loadConfig(paths);
  removeStaleTempFiles(paths);
  return paths;
}

/** Commander collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function commaList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A flag's value as a number above 0 (a whole one with `integer`); anything else is a usage error. */
export function positiveNumber(flag: string, value: unknown, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (String(value).trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw usageError(`${flag} takes a ${integer ? "whole " : ""}number above 0, not "${String(value)}".`, {
      fix: `For example ${flag} ${integer ? "3" : "2.5"}.`,
    });
  }
  return n;
}
