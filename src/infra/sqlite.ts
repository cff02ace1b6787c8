import { createRequire } from "node:module";

type SqliteModule = typeof import("node:sqlite");

let loaded: SqliteModule | undefined;

/**
 * Loads node:sqlite on first use (most commands never touch state), without the ExperimentalWarning
 * Node 22 prints when the module loads: br's users did not opt into anything experimental, and the
 * API br uses is stable from Node 22.13 to 24. Only that one warning is dropped, and only while the
 * module loads; every other warning, br's or a library's, still prints.
 */
export function loadSqlite(): SqliteModule {
  if (loaded) return loaded;
  const emitWarning = process.emitWarning;
  process.emitWarning = function filtered(this: typeof process, warning: string | Error, ...rest: unknown[]) {
    if (isSqliteExperimentalWarning(warning, rest[0])) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)("node:sqlite") as SqliteModule;
  } finally {
    process.emitWarning = emitWarning;
  }
  return loaded;
}

export function isSqliteExperimentalWarning(warning: string | Error, typeOrOptions: unknown): boolean {
  const message = typeof warning === "string" ? warning : warning.message;
  const type =
    typeof warning !== "string"
      ? warning.name
      : typeof typeOrOptions === "string"
        ? typeOrOptions
        : (typeOrOptions as { type?: string } | undefined)?.type;
  return type === "ExperimentalWarning" && /^SQLite\b/.test(message);
}
