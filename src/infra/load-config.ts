/**
 * Loads the project's config without loading the YAML parser and the config schema, when this
 * build has read the same config.yaml before: the validated result is kept in
 * `.buildrunner/state/config-cache.json`, keyed by the build and the file's exact text. Every
 * command in a project reads the config, and loading the parser and building the schema took
 * 55-86 ms of CPU on the development machine, a tenth of a pre-commit hook. Any other text, another build, or a cache that cannot be read sends
 * the load through the full parse and validation (src/infra/config.ts), which refreshes the cache.
 * The cache sits in the state folder, which an agent can write: `br run`, the parallel streams and
 * merges read the config in full, never from here; br commands an agent runs during an attempt
 * (BR_AGENT_ATTEMPT) read it in full too; and every attempt ends with the cache removed
 * (forgetLoadedConfig), so the pre-commit hook that judges the attempt's commit, and the commands
 * after it, never read what the agent may have written there.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { writeFileAtomic } from "./atomic-file.js";
import type { LoadedConfig } from "./config.js";
import type { ProjectPaths } from "./project.js";
import { stripBom } from "./validation.js";

interface CacheEntry {
  build: string;
  /** config.yaml's text, or null when the project has none (the defaults). */
  text: string | null;
  loaded: LoadedConfig;
}

/** The build the cache is valid for: none when running from source, where the schema may change between runs. */
function buildId(): string | undefined {
  return typeof __BR_BUILD_ID__ === "string" ? __BR_BUILD_ID__ : undefined;
}

const cacheFile = (paths: ProjectPaths) => join(paths.state, "config-cache.json");

function configText(paths: ProjectPaths): string | null {
  return existsSync(paths.config) ? stripBom(readFileSync(paths.config, "utf8")) : null;
}

function cachedLoad(paths: ProjectPaths, build: string, text: string | null): LoadedConfig | undefined {
  try {
    const entry = JSON.parse(readFileSync(cacheFile(paths), "utf8")) as Partial<CacheEntry> | null;
    if (entry?.build !== build || entry.text !== text) return undefined;
    // An entry edited into another shape is no config: the full load replaces it.
    const loaded = entry.loaded;
    return typeof loaded?.config === "object" && loaded.config !== null && typeof loaded.raw === "object" ? loaded : undefined;
  } catch {
    return undefined; // none yet, or cut short: the full load writes a new one
  }
}

/** Keeps a validated load for the next command; only a result that survives JSON unchanged is kept. */
export function rememberLoadedConfig(paths: ProjectPaths, text: string | null, loaded: LoadedConfig): void {
  const build = buildId();
  if (build === undefined || !existsSync(paths.state)) return;
  const entry: CacheEntry = { build, text, loaded };
  const json = JSON.stringify(entry);
  if (!isDeepStrictEqual(JSON.parse(json), entry)) return;
  try {
    writeFileAtomic(cacheFile(paths), `${json}\n`);
  } catch {
    // a read-only state folder: the next command parses the config again
  }
}

/** Drops the kept config (after an agent's attempt: see above). */
export function forgetLoadedConfig(paths: ProjectPaths): void {
  rmSync(cacheFile(paths), { force: true });
}

/** The project's config: defaults filled in, validated, with what the file itself sets (see LoadedConfig). */
export async function loadConfig(paths: ProjectPaths): Promise<LoadedConfig> {
  const build = buildId();
  if (build !== undefined && !process.env.BR_AGENT_ATTEMPT) {
    const cached = cachedLoad(paths, build, configText(paths));
    if (cached) return cached;
  }
  return (await import("./config.js")).loadConfig(paths);
}
