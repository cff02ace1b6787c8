import type { Command } from "commander";
import { action } from "../main.js";
import { emit } from "../output.js";

export function registerDemo(program: Command): void {
  program
    .command("demo [dir]")
    .description("build a sample project in a new folder and walk it through br, offline")
    .option("--json", 'print { "dir", "steps" } when done (the walk-through goes to stderr)')
    .action(
      action<[string | undefined]>(async (dir, options) => {
        const { runDemo } = await import("../../demo/demo.js");
        const result = await runDemo(dir, process.argv[1] as string);
        emit(options.json, result, () => []);
      }),
    );
}
