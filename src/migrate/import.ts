/** `br import taskmaster|speckit`: a peer's plan merged into the br project (created when there is none). */
import { resolve } from "node:path";
import { findProject } from "../infra/project.js";
import type { MigrationPlan } from "./plan.js";
import { readSpeckit } from "./speckit.js";
import { readTaskmaster } from "./taskmaster.js";
import { type WriteResult, writePlan } from "./write.js";

export interface ImportResult extends WriteResult {
  plan: MigrationPlan;
}

/** The project the folder belongs to, or the folder itself when it belongs to none yet. */
function projectRoot(cwd: string): string {
  try {
    return findProject(cwd).root;
  } catch {
    return cwd;
  }
}

export async function importPlan(
  cwd: string,
  kind: "taskmaster" | "speckit",
  path: string | undefined,
  options: { dryRun: boolean },
): Promise<ImportResult> {
  const root = projectRoot(cwd);
  const source = path === undefined ? undefined : resolve(cwd, path);
  const plan = kind === "taskmaster" ? readTaskmaster(root, source) : readSpeckit(root, source);
  const result = await writePlan(root, plan, { dryRun: options.dryRun, replacing: false, command: `import ${kind}` });
  return { ...result, plan };
}
