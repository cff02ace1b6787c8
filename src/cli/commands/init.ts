import type { Command } from "commander";
import { style } from "../../infra/log.js";
import type { InitResult } from "../../registry/init.js";
import { workingDir } from "../context.js";
import { action } from "../main.js";
import { emit } from "../output.js";

function describe(result: InitResult, verb: string): string[] {
  const lines = [`${style.green("✓")} ${verb} BuildRunner project "${result.project}" in ${result.root}`];
  if (result.created.length > 0) lines.push(`  created: ${result.created.join(", ")}`);
  if (result.kept.length > 0) lines.push(`  kept:    ${result.kept.join(", ")}`);
  if (result.detection) {
    const d = result.detection;
    const langs = d.languages.map((l) => `${l.name} (${l.files} files)`).join(", ") || "none recognised";
    lines.push(`  languages: ${langs}`);
    const pms = Object.entries(d.packageManagers).map(([eco, pm]) => `${pm} (${eco})`);
    if (pms.length > 0) lines.push(`  package manager: ${pms.join(", ")}`);
    for (const name of ["test", "build", "lint", "typecheck", "coverage"] as const) {
      const found = d.commands[name];
      const written = result.commandsAdded.includes(name) ? "" : style.dim(" (config.yaml already sets it; kept)");
      lines.push(
        found
          ? `  ${name.padEnd(9)} ${found.command}  ${style.dim(`← ${found.reason}`)}${written}`
          : `  ${name.padEnd(9)} ${style.dim(`not detected; set it with \`br config set commands.${name} "<${name === "coverage" ? "report file" : "command"}>"\``)}`,
      );
    }
  }
  if (!result.gitRepo) lines.push(style.yellow("  note: not a git repository; run `git init` so BuildRunner can track changes."));
  lines.push("", "Next: `br features add <name>` or write PROJECT_SPEC.md, then `br status`.");
  return lines;
}

export function registerInit(program: Command): void {
  program
    .command("init [name]")
    .description("create a BuildRunner project in the current folder")
    .option("--force", "recreate missing files and refresh generated ones; features and settings are kept")
    .option("--json", "print the result as JSON")
    .action(
      action<[string | undefined]>(async (name, options) => {
        const { initProject } = await import("../../registry/init.js");
        const result = await initProject(workingDir(options), {
          ...(name ? { name } : {}),
          force: options.force === true,
        });
        emit(options.json, result, () => describe(result, "Initialised"));
      }),
    );

  program
    .command("attach")
    .description("add BuildRunner to an existing codebase, detecting its language and commands")
    .option("--name <name>", "project name (default: the folder's name)")
    .option("--force", "re-run on a project that is already set up; fills in commands not yet configured")
    .option("--json", "print the result as JSON")
    .action(
      action<[]>(async (options) => {
        const { initProject } = await import("../../registry/init.js");
        const result = await initProject(workingDir(options), {
          ...(typeof options.name === "string" ? { name: options.name } : {}),
          force: options.force === true,
          detect: true,
        });
        emit(options.json, result, () => describe(result, "Attached"));
      }),
    );
}
