import type { Command } from "commander";
import { style } from "../../infra/log.js";
import { project } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";

const MARK = { ok: style.green("✓"), warn: style.yellow("!"), fail: style.red("✗") } as const;

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check that br run can work here: the executor, its credentials, the check commands' tools, the git state")
    .option("-e, --executor <name>", "the executor to check (default: run.executor)")
    .option("--json", 'print { "ok", "checks": [{ "name", "status", "detail", "fix" }] }')
    .action(
      action<[]>(async (options) => {
        const { doctor } = await import("../../run/doctor.js");
        const { checkExecutor, ladderExecutors } = await import("../../run/start.js");
        const paths = project(options);
        // Loaded here, not at the top: the config's schema (zod, yaml, SQLite) would otherwise load with every br command.
        const { loadConfig } = await import("../../infra/load-config.js");
        const config = (await loadConfig(paths)).config;
        const executor = typeof options.executor === "string" ? options.executor : config.run.executor;
        checkExecutor(executor, config); // an unknown name is bad input (exit 2), not a passing check
        // Every executor the routing ladder climbs to must be able to run, not only the first.
        const all = ladderExecutors(config, executor).flatMap((name) => doctor(paths, config, name, { askVersion: true }));
        const checks = all.filter((c, i) => all.findIndex((d) => d.name === c.name) === i);
        const ok = checks.every((c) => c.status !== "fail");
        emit(options.json, { ok, checks }, () =>
          checks.flatMap((c) => [`${MARK[c.status]} ${c.name}: ${c.detail}`, ...(c.fix && c.status !== "ok" ? [`    fix: ${c.fix}`] : [])]),
        );
        if (!ok) setExitCode(1);
      }),
    );
}
