/** `br migrate`: finds which older layout a folder holds, reads it into a plan and writes it. */
import { join } from "node:path";
import { usageError } from "../infra/errors.js";
import { PROJECT_DIR } from "../infra/project.js";
import { detectBr3Python, readBr3Python } from "./br3-python.js";
import type { MigrationPlan } from "./plan.js";
import { detectV2, readV2 } from "./v2.js";
import { type WriteResult, writePlan } from "./write.js";

export const MIGRATE_SOURCES = ["v2", "br3-python"] as const;
export type MigrateSource = (typeof MIGRATE_SOURCES)[number];

export interface MigrateResult extends WriteResult {
  source: MigrateSource;
  plan: MigrationPlan;
}

function detect(root: string): MigrateSource {
  const found = MIGRATE_SOURCES.filter((s) => (s === "v2" ? detectV2(root) : detectBr3Python(root) !== undefined));
  if (found.length === 1) return found[0] as MigrateSource;
  if (found.length > 1)
    throw usageError(`${root} holds both a BuildRunner 2.0 (.runner/) and a Python BuildRunner 3.0 layout.`, {
      fix: "Say which to migrate with --from v2 or --from br3-python.",
    });
  throw usageError(
    `Nothing to migrate in ${root}: no .runner/hrpo.json or .runner/governance.json (BuildRunner 2.0) and no Python BuildRunner 3.0 features.json.`,
    {
      fix: "Run br migrate in the older project's root folder (or pass --cwd); for a Taskmaster or spec-kit plan use `br import`.",
    },
  );
}

export function parseSource(value: string | undefined): MigrateSource | undefined {
  if (value === undefined) return undefined;
  if ((MIGRATE_SOURCES as readonly string[]).includes(value)) return value as MigrateSource;
  throw usageError(`--from ${value}: unknown layout.`, { fix: `Use one of: ${MIGRATE_SOURCES.join(", ")}.` });
}

export async function migrate(root: string, options: { from?: MigrateSource; dryRun: boolean }): Promise<MigrateResult> {
  const source = options.from ?? detect(root);
  const pythonFile = source === "br3-python" ? detectBr3Python(root) : undefined;
  if (source === "v2" && !detectV2(root))
    throw usageError(`No BuildRunner 2.0 layout in ${root}: .runner/hrpo.json and .runner/governance.json are both missing.`, {
      fix: "Run it in the old project's root, or leave out --from to let br detect the layout.",
    });
  const plan = source === "v2" ? readV2(root) : readBr3Python(root, pythonFile);
  const replacing = pythonFile === join(root, PROJECT_DIR, "features.json");
  const result = await writePlan(root, plan, { dryRun: options.dryRun, replacing, command: `migrate --from ${source}` });
  return { ...result, source, plan };
}
