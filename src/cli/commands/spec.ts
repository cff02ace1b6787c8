import type { Command } from "commander";
import { style } from "../../infra/log.js";
import { project } from "../context.js";
import { action } from "../main.js";
import { emit } from "../output.js";

const FORMAT = `
The spec (PROJECT_SPEC.md):
  # <Project name>
  ## Overview
  <free text>
  ## Features
  ### <Feature name>
  Priority: high                       (critical | high | medium | low; default medium)
  Depends on: <Feature name>, <id>     (optional)
  <description paragraphs>
  Acceptance criteria:
  - <criterion>
  Files: src/auth/**, test/auth.test.ts (optional hint)
Other ## sections are kept as project context (.buildrunner/context/spec.md).`;

export function registerSpec(program: Command): void {
  const spec = program.command("spec").description("the written spec (PROJECT_SPEC.md)");
  spec
    .command("sync [file]")
    .description("create and update features from the spec (default PROJECT_SPEC.md); never deletes recorded work")
    .option("--prune", "remove features the spec no longer mentions, when no work is recorded for them")
    .option("--dry-run", "report what would change, change nothing")
    .option("--json", 'print { "added", "updated", "unchanged", "notInSpec", "removed" }')
    .addHelpText("after", FORMAT)
    .action(
      action<[string | undefined]>(async (file, options) => {
        const { syncSpec } = await import("../../plan/spec-sync.js");
        const result = await syncSpec(project(options), {
          ...(file ? { file } : {}),
          prune: options.prune === true,
          dryRun: options.dryRun === true,
        });
        emit(options.json, result, () => {
          const verb = result.dryRun ? "would be " : "";
          const lines = [
            `${style.green("✓")} ${result.dryRun ? "Dry run: " : ""}${result.added.length} ${verb}added, ${result.updated.length} ${verb}updated, ${result.unchanged.length} unchanged`,
          ];
          if (result.added.length) lines.push(`  added:   ${result.added.join(", ")}`);
          if (result.updated.length) lines.push(`  updated: ${result.updated.join(", ")}`);
          if (result.removed.length) lines.push(`  removed: ${result.removed.join(", ")}`);
          if (result.notInSpec.length) {
            lines.push(
              style.yellow(
                `  not in the spec (kept): ${result.notInSpec.join(", ")}${options.prune ? " (work is recorded or others depend on them)" : "; --prune removes those without recorded work"}`,
              ),
            );
          }
          return lines;
        });
      }),
    );
}
