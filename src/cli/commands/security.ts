import { existsSync } from "node:fs";
import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { findProject } from "../../infra/project.js";
import { workingDir } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";

export function registerSecurity(program: Command): void {
  const security = program.command("security").description("secret detection (SQL injection, hooks and baselines are next)");
  security
    .command("check [paths...]")
    .description("scan the working tree (default), paths, the staged changes, or stdin (-) for secrets")
    .option("--staged", "scan exactly what is staged")
    .option("--format <format>", "text | json | sarif", "text")
    .option("--json", "same as --format json")
    .option("--config <file>", "a gitleaks-format TOML config (default: .gitleaks.toml when present)")
    .action(
      action<[string[]]>(async (paths, options) => {
        const format = options.json ? "json" : String(options.format);
        if (!["text", "json", "sarif"].includes(format))
          throw usageError(`Unknown format "${format}".`, { fix: "Use text, json or sarif." });
        const root = workingDir(options);
        const configFile = typeof options.config === "string" ? options.config : undefined;
        if (configFile && !existsSync(configFile)) throw usageError(`${configFile} does not exist.`, { file: configFile });
        const sources = await import("../../security/sources.js");
        const { fails, rulesFor, scanTargets } = await import("../../security/scan.js");
        let failOn: "critical" | "high" | "medium" | "low" = "high";
        try {
          const { loadConfig } = await import("../../infra/config.js");
          failOn = (await loadConfig(findProject(root))).config.security.failOn;
        } catch {
          // Outside a project: the default threshold.
        }
        for (const path of paths) if (path !== "-" && !existsSync(path)) throw usageError(`${path} does not exist.`, { file: path });
        const targets = options.staged
          ? sources.stagedTargets(root)
          : paths.length === 1 && paths[0] === "-"
            ? [sources.stdinTarget()]
            : paths.length > 0
              ? sources.pathTargets(root, paths)
              : sources.workingTreeTargets(root);
        const result = scanTargets(targets, rulesFor(root, configFile));
        if (format === "sarif") {
          const { renderSarif } = await import("../../security/report.js");
          process.stdout.write(`${JSON.stringify(renderSarif(result), null, 2)}\n`);
        } else {
          const { renderText } = await import("../../security/report.js");
          emit(format === "json", result, () => renderText(result));
        }
        if (result.findings.some((f) => fails(f, failOn))) setExitCode(1);
      }),
    );
}

export function registerHooks(program: Command): void {
  const hooks = program.command("hooks").description("git hooks that block leaked secrets before they are committed");
  const render = (states: { hook: string; manager: string; file: string; installed: boolean }[]) =>
    states.map(
      (s) => `${s.installed ? "✓" : "·"} ${s.hook.padEnd(10)} ${s.installed ? "installed" : "not installed"} (${s.manager}: ${s.file})`,
    );
  hooks
    .command("install")
    .description("install the pre-commit hook (staged secret scan); --pre-push adds a pre-push scan")
    .option("--pre-commit", "the pre-commit hook (the default)")
    .option("--pre-push", "also (or, with only this flag, only) the pre-push hook")
    .option("--json", 'print { "hooks": [...] }')
    .action(
      action<[]>(async (options) => {
        const { installHooks } = await import("../../security/hooks.js");
        const chosen: ("pre-commit" | "pre-push")[] = [];
        if (options.preCommit || !options.prePush) chosen.push("pre-commit");
        if (options.prePush) chosen.push("pre-push");
        const states = installHooks(workingDir(options), chosen);
        emit(options.json, { hooks: states }, () => render(states));
      }),
    );
  hooks
    .command("status")
    .description("which BuildRunner hooks are installed, and where")
    .option("--json", 'print { "hooks": [...] }')
    .action(
      action<[]>(async (options) => {
        const { hookStatus } = await import("../../security/hooks.js");
        const states = hookStatus(workingDir(options));
        emit(options.json, { hooks: states }, () => render(states));
      }),
    );
  hooks
    .command("uninstall")
    .description("remove BuildRunner's part of the hooks (the rest of each hook is kept)")
    .option("--json", 'print { "hooks": [...] }')
    .action(
      action<[]>(async (options) => {
        const { uninstallHooks } = await import("../../security/hooks.js");
        const states = uninstallHooks(workingDir(options));
        emit(options.json, { hooks: states }, () => render(states));
      }),
    );
}
