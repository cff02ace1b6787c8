import type { Command } from "commander";
import { style } from "../../infra/log.js";
import type { MigrationPlan } from "../../migrate/plan.js";
import type { WriteResult } from "../../migrate/write.js";
import { project, workingDir } from "../context.js";
import { action } from "../main.js";
import { emit } from "../output.js";

/** The JSON document of a migration or import: what was read, mapped, written, and where the backup is. */
export function planReport(plan: MigrationPlan, result: WriteResult): Record<string, unknown> {
  return {
    source: plan.source,
    dryRun: result.dryRun,
    changed: result.changed,
    read: plan.read,
    files: result.files,
    features: plan.features.map(({ origin: _o, ...f }) => f),
    tasks: plan.tasks.map((t) => ({ id: t.id, featureId: t.featureId, status: t.status, dependsOn: t.dependsOn })),
    statusMapping: plan.statusMapping,
    config: { applied: result.configApplied, kept: result.configKept },
    notCarried: plan.notCarried,
    notes: plan.notes,
    ...(result.backup ? { backup: result.backup } : {}),
  };
}

export function planLines(plan: MigrationPlan, result: WriteResult): string[] {
  const lines: string[] = [`Read: ${plan.read.join(", ") || "(nothing)"}`];
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  lines.push(`${count(plan.features.length, "feature")}, ${count(plan.tasks.length, "task")}`);
  if (plan.statusMapping.length) lines.push("Statuses:", ...plan.statusMapping.map((m) => `  ${m.from} → ${m.to} (${m.count})`));
  if (result.configApplied.length)
    lines.push("Settings carried into config.yaml:", ...result.configApplied.map((c) => `  ${c.key} = ${String(c.value)}  (${c.from})`));
  if (result.configKept.length)
    lines.push("Settings config.yaml already sets (kept):", ...result.configKept.map((c) => `  ${c.key}  (${c.from})`));
  if (plan.notCarried.length) lines.push("Not carried (no meaning in br):", ...plan.notCarried.map((n) => `  ${n.setting}: ${n.why}`));
  for (const note of plan.notes) lines.push(style.yellow(`note: ${note}`));
  if (!result.changed) {
    lines.push(`${style.green("✓")} Nothing to change: the project already holds this plan.`);
    return lines;
  }
  const verb = result.dryRun ? "Would write" : "Wrote";
  lines.push(
    `${verb}:`,
    ...result.files.map((f) => `  ${f.action.padEnd(7)} ${f.path}${f.content === undefined && result.dryRun ? " (generated)" : ""}`),
  );
  if (result.dryRun) lines.push(`${style.green("✓")} Dry run: nothing was written.`);
  else lines.push(`${style.green("✓")} Backup: ${result.backup} (\`br migrate rollback\` restores it)`);
  return lines;
}

export function registerMigrate(program: Command): void {
  const migrate = program
    .command("migrate")
    .description("turn a BuildRunner 2.0 (.runner/) or Python BuildRunner 3.0 project into this version's, after a backup")
    .option("--from <layout>", "the layout to read: v2 | br3-python (default: detected)")
    .option("--dry-run", "print what would be written, write nothing")
    .option("--json", "print the plan, the status mapping, the settings and the files as JSON")
    .action(
      action<[]>(async (options) => {
        const { migrate: run, parseSource } = await import("../../migrate/migrate.js");
        const result = await run(workingDir(options), {
          ...withFrom(parseSource(options.from as string | undefined)),
          dryRun: options.dryRun === true,
        });
        emit(options.json, planReport(result.plan, result), () => planLines(result.plan, result));
      }),
    );
  migrate
    .command("rollback")
    .description("restore exactly the files the last migration or import wrote (refuses where you changed one since)")
    .option("--to <backup>", "the backup to restore (a folder name under .buildrunner/state/backups/; default the latest)")
    .option("--force", "restore even the files changed since the migration")
    .option("--json", 'print { "backup", "restored", "removed", "overwritten" }')
    .action(
      action<[]>(async (options) => {
        const { rollback } = await import("../../migrate/rollback.js");
        const result = await rollback(workingDir(options), {
          ...(typeof options.to === "string" ? { to: options.to } : {}),
          force: options.force === true,
        });
        emit(options.json, result, () => [
          ...result.restored.map((p) => `  restored ${p}`),
          ...result.removed.map((p) => `  removed  ${p} (the migration created it)`),
          ...result.overwritten.map((p) => style.yellow(`  overwritten your change to ${p} (--force)`)),
          `${style.green("✓")} Rolled back ${result.backup}`,
        ]);
      }),
    );
}

function withFrom<T>(from: T | undefined): { from?: T } {
  return from === undefined ? {} : { from };
}

export function registerImport(program: Command): void {
  const command = program.command("import").description("bring a peer tool's plan in as features and tasks (re-running updates in place)");
  for (const [kind, arg, what] of [
    ["taskmaster", "[path]", "Taskmaster's tasks.json (default .taskmaster/tasks/tasks.json)"],
    ["speckit", "[dir]", "spec-kit's specs/ folder or one specs/<NNN-name>/ folder (default specs/)"],
  ] as const) {
    command
      .command(`${kind} ${arg}`)
      .description(`import ${what}`)
      .option("--dry-run", "print what would be written, write nothing")
      .option("--json", "print the plan, the status mapping and the files as JSON")
      .action(
        action<[string | undefined]>(async (path, options) => {
          const { importPlan } = await import("../../migrate/import.js");
          const result = await importPlan(workingDir(options), kind, path, { dryRun: options.dryRun === true });
          emit(options.json, planReport(result.plan, result), () => planLines(result.plan, result));
        }),
      );
  }
  program
    .command("export")
    .description("write the plan in a peer tool's format")
    .command("taskmaster [path]")
    .description("write .taskmaster/tasks/tasks.json (or [path]) for Taskmaster; other tags in it are kept")
    .option("--json", 'print { "file", "tasks", "tags" }')
    .action(
      action<[string | undefined]>(async (path, options) => {
        const { exportTaskmaster } = await import("../../migrate/taskmaster-export.js");
        const { resolve } = await import("node:path");
        const result = await exportTaskmaster(project(options), path === undefined ? undefined : resolve(workingDir(options), path));
        emit(
          options.json,
          result,
          () => `${style.green("✓")} Wrote ${result.tasks} tasks to ${result.file} (tags: ${result.tags.join(", ") || "master"})`,
        );
      }),
    );
}
