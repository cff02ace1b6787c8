/**
 * Whose a file is: the feature whose verified attempts changed it last (the journal), or whose
 * task names it exactly. An attempt may build on another feature's code, but not rewrite the tests
 * that judge that feature, nor edit its files outside the attempt's own scope.
 */
import type { Task } from "../../plan/task.js";
import { inTaskScope } from "../scope.js";
import { namedByTask, type ReadVersions } from "./protected.js";
import { testSignals, weakenings } from "./test-signals.js";
import type { Violation } from "./violation.js";

export interface OwnershipContext {
  task: Task;
  plan: readonly Task[];
  /** Feature id → name, for messages. */
  featureNames: ReadonlyMap<string, string>;
  /** Path → feature id of the verified attempt that changed it last (Journal.verifiedFiles). */
  owners: ReadonlyMap<string, string>;
  /** The attempt's changed paths, br's own files left out. */
  changed: readonly string[];
  /** Changed paths that are tests or test data (snapshots, fixtures). */
  tests: ReadonlySet<string>;
  versions: ReadVersions;
}

/** The other feature a path belongs to, if any. */
export function otherOwner(ctx: OwnershipContext, path: string): string | undefined {
  const recorded = ctx.owners.get(path);
  if (recorded !== undefined) return recorded === ctx.task.featureId ? undefined : recorded;
  const lister = ctx.plan.find((t) => t.featureId !== ctx.task.featureId && t.files.includes(path));
  return lister?.featureId;
}

function featureLabel(ctx: OwnershipContext, featureId: string): string {
  return `the ${ctx.featureNames.get(featureId) ?? featureId} feature`;
}

/** A test the task owns: in its scope, and not another feature's unless the task names it. */
export function ownsTest(ctx: OwnershipContext, path: string): boolean {
  if (!inTaskScope(ctx.task, path)) return false;
  return otherOwner(ctx, path) === undefined || namedByTask(ctx.task, path);
}

function verb(before: string | undefined, after: string | undefined): string {
  if (after === undefined) return "deleted";
  return before === undefined ? "added" : "changed";
}

/** Tests the attempt deleted or changed without owning them, and tests it weakened. */
export function testViolations(ctx: OwnershipContext): Violation[] {
  const out: Violation[] = [];
  for (const path of ctx.changed.filter((p) => ctx.tests.has(p))) {
    const { before, after } = ctx.versions(path);
    if (before !== undefined && !ownsTest(ctx, path)) {
      const owner = otherOwner(ctx, path);
      const whose = owner ? `which belongs to ${featureLabel(ctx, owner)}` : "which the task's files do not name";
      out.push({ kind: "test-not-owned", path, message: `${verb(before, after)} ${path}, ${whose}` });
      continue;
    }
    if (after === undefined) continue; // An owned test removed: the runner's counts judge it.
    const weakened = weakenings(
      before === undefined ? undefined : testSignals(path, before),
      testSignals(path, after),
      namedByTask(ctx.task, path),
    );
    if (weakened.length > 0) out.push({ kind: "test-weakened", path, message: `${weakened.join(" and ")} in ${path}` });
  }
  return out;
}

/** Source files of another feature changed outside the task's scope. */
export function otherFeatureViolations(ctx: OwnershipContext): Violation[] {
  const out: Violation[] = [];
  for (const path of ctx.changed) {
    if (ctx.tests.has(path) || inTaskScope(ctx.task, path)) continue;
    const owner = otherOwner(ctx, path);
    if (owner === undefined) continue;
    const { before, after } = ctx.versions(path);
    out.push({
      kind: "other-feature",
      path,
      message: `${verb(before, after)} ${path}, which belongs to ${featureLabel(ctx, owner)} and is outside the task's files`,
    });
  }
  return out;
}
