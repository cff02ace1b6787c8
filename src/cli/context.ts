import { resolve } from "node:path";
import { findProject, type ProjectPaths } from "../infra/project.js";
import type { GlobalOptions } from "./output.js";

export function workingDir(options: GlobalOptions): string {
  return resolve(options.cwd ?? process.cwd());
}

export function project(options: GlobalOptions): ProjectPaths {
  return findProject(workingDir(options));
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
