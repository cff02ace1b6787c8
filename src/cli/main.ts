import { Command, CommanderError, type Option } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { reserveStdoutForJson } from "../infra/log.js";
import { closeQueryShell } from "../infra/query-shell.js";
import { registerConfig } from "./commands/config.js";
import { registerDashboard } from "./commands/dashboard.js";
import { registerDemo } from "./commands/demo.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerFeatures } from "./commands/features.js";
import { registerGaps } from "./commands/gaps.js";
import { registerInit } from "./commands/init.js";
import { registerMcp, registerVerify } from "./commands/mcp.js";
import { registerImport, registerMigrate } from "./commands/migrate.js";
import { registerModel } from "./commands/model.js";
import { registerParallel } from "./commands/parallel.js";
import { registerQuality } from "./commands/quality.js";
import { registerQueue } from "./commands/queue.js";
import { registerRun } from "./commands/run.js";
import { registerHooks, registerSecurity } from "./commands/security.js";
import { registerSpec } from "./commands/spec.js";
import { registerStatus } from "./commands/status.js";
import { registerTasks } from "./commands/tasks.js";
import { registerTelemetry } from "./commands/telemetry.js";
import { guideList, guideText } from "./guides.js";
import { type GlobalOptions, reportError } from "./output.js";

/** What every action receives: its own options merged with the global ones. */
export type Action<A extends unknown[]> = (...args: [...A, GlobalOptions & Record<string, unknown>]) => Promise<void>;

let exitCode = 0;

/** Commands whose --dry-run may run before any project exists (or over another tool's files): nothing is recorded. */
const DRY_RUNS_WRITING_NOTHING = new Set(["migrate", "import taskmaster", "import speckit"]);

/**
 * Wraps an action so every command follows the same conventions: --json reserves stdout for the
 * document, errors become a message and an exit code, never a stack trace.
 */
export function action<A extends unknown[]>(handler: Action<A>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    if (process.env.BR_DEBUG === "1") options.debug = true;
    if (options.json) reserveStdoutForJson();
    const positional = args.slice(0, -2) as A;
    const started = performance.now();
    let failed: unknown;
    try {
      await handler(...positional, options);
    } catch (error) {
      failed = error;
      exitCode = reportError(error, options);
    }
    // A migration's dry run promises to write nothing at all, telemetry included.
    if (options.dryRun === true && DRY_RUNS_WRITING_NOTHING.has(commandPath(command))) return;
    const { recordCommand } = await import("../telemetry/command.js");
    await recordCommand({
      command: commandPath(command),
      cwd: typeof options.cwd === "string" ? options.cwd : process.cwd(),
      durationMs: performance.now() - started,
      exitCode,
      ...(failed !== undefined ? { error: failed } : {}),
    });
  };
}

/** `features add` for the command `br features add`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Lets an action report "ran and found problems" (exit 1) without throwing. */
export function setExitCode(code: number): void {
  exitCode = Math.max(exitCode, code);
}

export function buildProgram(): Command {
  const program = new Command("br")
    .description("BuildRunner: one source of truth and an evidence-based build loop for AI coding agents.")
    .version(pkg.version, "-V, --version", "print the version")
    .option("-C, --cwd <dir>", "run against the project in <dir>")
    .option("--debug", "print stack traces for internal errors (also BR_DEBUG=1)")
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError(true)
    .exitOverride();
  registerInit(program);
  registerFeatures(program);
  registerStatus(program);
  registerSpec(program);
  registerTasks(program);
  registerRun(program);
  registerParallel(program);
  registerQueue(program);
  registerDashboard(program);
  registerDoctor(program);
  registerQuality(program);
  registerGaps(program);
  registerModel(program);
  registerSecurity(program);
  registerHooks(program);
  registerVerify(program);
  registerMcp(program);
  registerConfig(program);
  registerTelemetry(program);
  registerDemo(program);
  registerMigrate(program);
  registerImport(program);
  program.helpCommand("help [command]", "help for a command, or a guide: br help <topic>");
  program.addHelpText("after", () => `\n${guideList()}`);
  // Subcommands inherit exitOverride only when set on each one.
  const applyOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(applyOverride);
  };
  applyOverride(program);
  return program;
}

const HELP_FLAGS = new Set(["-h", "--help"]);

/** Whether `arg` is a known option that takes the argument after it as its value (`-C dir`). */
function takesNext(options: readonly Option[], arg: string, next: string | undefined): boolean {
  const option = options.find((o) => o.short === arg || o.long === arg);
  if (option === undefined || next === undefined) return false;
  return option.required || (option.optional && !next.startsWith("-"));
}

/**
 * Commander answers --help before it looks the command up, so `br bogus --help` would print the
 * root help and succeed. When help is asked for, returns the arguments up to the first operand that
 * names no command, for parsing without the help flag: commander then reports it as unknown, with
 * its suggestion. Undefined when every command named exists.
 */
export function unknownCommandArgs(program: Command, args: readonly string[]): string[] | undefined {
  let command = program;
  const options = [...program.options];
  const kept: string[] = [];
  let helpAsked = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return undefined;
    if (HELP_FLAGS.has(arg) || (arg === "help" && !helpAsked && command.commands.length > 0)) {
      helpAsked = true; // `br help bogus` asks the same as `br bogus --help`
      continue;
    }
    if (arg.startsWith("-")) {
      kept.push(arg);
      if (takesNext(options, arg, args[i + 1])) kept.push(args[++i] as string);
      continue;
    }
    if (command.commands.length === 0 || command.registeredArguments.length > 0) return undefined;
    kept.push(arg);
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) return helpAsked || args.slice(i).some((a) => HELP_FLAGS.has(a)) ? kept : undefined;
    command = sub;
    options.push(...sub.options);
  }
  return undefined;
}

/**
 * `br help <topic>` prints a guide (docs/<topic>.md). A topic that is also a command (security)
 * prints the guide and points at the command's options; anything else is left to commander.
 */
function guideAsked(program: Command, args: readonly string[]): number | undefined {
  const operands = withoutGlobalOptions(args);
  const [first, topic, ...rest] = operands;
  if (first !== "help" || topic === undefined || rest.length > 0) return undefined;
  const text = guideText(topic);
  if (text === undefined) return undefined;
  process.stdout.write(text);
  if (program.commands.some((c) => c.name() === topic)) process.stdout.write(`\nThe command's options: br ${topic} --help\n`);
  return 0;
}

/** The arguments without br's global options (`-C dir`, `--cwd=dir`, `--debug`), which `br -C app help x` may carry. */
function withoutGlobalOptions(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "-C" || arg === "--cwd") i++;
    else if (arg !== "--debug" && !arg.startsWith("--cwd=")) kept.push(arg);
  }
  return kept;
}

/**
 * A reader that stops early (`br features list | head -1`) closes the pipe: like other command-line
 * tools, br then ends quietly with success instead of failing on the write.
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await runProgram(argv);
  } finally {
    // Ended and waited for: its git commands are then counted as br's children, as spawns were.
    await closeQueryShell();
  }
}

async function runProgram(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  process.on("SIGINT", () => process.exit(130));
  process.on("SIGTERM", () => process.exit(143));
  const program = buildProgram();
  try {
    const guide = guideAsked(program, argv.slice(2));
    if (guide !== undefined) return guide;
    const unknown = unknownCommandArgs(program, argv.slice(2));
    await program.parseAsync(unknown ? [...argv.slice(0, 2), ...unknown] : argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse error is bad usage (commander has
      // already printed it to stderr). Scripts asking for --json still get one document.
      if (error.exitCode === 0) return 0;
      // An agent's Stop hook reads exit 2 as "block": a flag this br lacks must not hold the agent.
      if (argv.includes("verify") && argv.includes("--hook")) return 1;
      if (argv.includes("--json")) {
        const message = error.message.replace(/^error: /, "");
        process.stdout.write(`${JSON.stringify({ error: { message, exitCode: 2 } }, null, 2)}\n`);
      }
      return 2;
    }
    return reportError(error, {});
  }
  return exitCode;
}
