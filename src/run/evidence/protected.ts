/**
 * Protected paths: what decides whether work is verified (test and coverage configuration, CI,
 * hooks, allowlists, lock files, manifests' scripts). An attempt that changes one fails unless its
 * task's files name the path, since an agent that can edit the judge can pass any test.
 */
import picomatch from "picomatch";
import { parse as parseToml } from "smol-toml";
import defaults from "../../../data/protected-paths.json" with { type: "json" };
import type { Task } from "../../plan/task.js";
import type { Violation } from "./violation.js";

interface ProtectedGlob {
  glob: string;
  why: string;
}

/** The file as it was before the attempt and as it is now (undefined: absent). */
export type ReadVersions = (path: string) => { before: string | undefined; after: string | undefined };

/** The default globs, with `run.protect` entries added (`!glob` removes a default). */
export function protectedGlobs(extra: readonly string[]): ProtectedGlob[] {
  const removed = new Set(extra.filter((g) => g.startsWith("!")).map((g) => g.slice(1)));
  const added = extra.filter((g) => !g.startsWith("!")).map((glob) => ({ glob, why: "protected by run.protect" }));
  return [...defaults.paths.filter((p) => !removed.has(p.glob)), ...added];
}

/** Whether the task's own files name the path itself (not merely a folder or a broad glob holding it). */
export function namedByTask(task: Task, path: string): boolean {
  return task.files.some((f) => f === path || (picomatch.scan(f).isGlob && picomatch(f, { dot: true })(path) && !/\*\*/.test(f)));
}

function manifestKeyChanges(path: string, versions: ReadVersions): string[] {
  const name = path.split("/").pop() ?? path;
  const { before, after } = versions(path);
  if (name === "package.json") return changedKeys(parseJson(before), parseJson(after), defaults.manifests["package.json"].keys);
  if (name === "pyproject.toml")
    return changedKeys(
      flattenTables(parseTomlSafe(before)),
      flattenTables(parseTomlSafe(after)),
      defaults.manifests["pyproject.toml"].tables,
    );
  return [];
}

function parseJson(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = text === undefined ? {} : JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    // Unparseable now: whatever it configured can no longer be trusted to be the same.
    return { "(the whole file)": text };
  }
}

function parseTomlSafe(text: string | undefined): Record<string, unknown> {
  try {
    return text === undefined ? {} : (parseToml(text) as Record<string, unknown>);
  } catch {
    return { "(the whole file)": text };
  }
}

/** `{tool: {pytest: {...}}}` → `{"tool.pytest": …, "tool": …}` so tables are compared by dotted name. */
function flattenTables(value: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, inner] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    out[name] = inner;
    if (inner && typeof inner === "object" && !Array.isArray(inner) && name.split(".").length < 4)
      flattenTables(inner as Record<string, unknown>, name, out);
  }
  return out;
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>, keys: readonly string[]): string[] {
  const watched = [...keys, "(the whole file)"];
  return watched.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** Changes to protected paths, and to the protected parts of manifests, that the task does not name. */
export function protectedChanges(task: Task, changed: readonly string[], extra: readonly string[], versions: ReadVersions): Violation[] {
  const globs = protectedGlobs(extra).map((p) => ({ ...p, isMatch: picomatch(p.glob, { dot: true }) }));
  const violations: Violation[] = [];
  for (const path of changed) {
    if (namedByTask(task, path)) continue;
    const hit = globs.find((g) => g.isMatch(path));
    if (hit) {
      violations.push({ kind: "protected-path", path, message: `changed ${path} (${hit.why}), which the task's files do not name` });
      continue;
    }
    const keys = manifestKeyChanges(path, versions);
    if (keys.length > 0)
      violations.push({
        kind: "protected-path",
        path,
        message: `changed ${keys.map((k) => `"${k}"`).join(", ")} in ${path} (test, coverage and hook settings), which the task's files do not name`,
      });
  }
  return violations;
}
