/**
 * What every br command records when it ends, in a project with telemetry on: its name, how long
 * it took and its exit code, the class of an error, and any feature threshold newly reached; then,
 * when an exporter is configured, it may start a background send. It never fails or slows the
 * command it describes beyond reading the config it would read anyway.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BrError } from "../infra/errors.js";
import { findProject, type ProjectPaths } from "../infra/project.js";
import { displayEndpoint } from "./otlp.js";
import { EXPORTING_ENV, environmentSwitch } from "./switch.js";

export interface CommandEnd {
  /** The command path, `features add`. */
  command: string;
  cwd: string;
  durationMs: number;
  exitCode: number;
  error?: unknown;
}

/** Error classes by what went wrong, never by message: `usage` (exit 2), `failure` (exit 1), a system code, or `internal`. */
export function errorClass(error: unknown): string {
  if (error instanceof BrError) return error.exitCode === 2 ? "usage" : "failure";
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : "internal";
}

export async function recordCommand(end: CommandEnd): Promise<void> {
  // The environment switch is read first: off means not even the config is read for telemetry.
  // The background sender records nothing of its own.
  if (environmentSwitch() || process.env[EXPORTING_ENV]) return;
  let paths: ProjectPaths;
  try {
    paths = findProject(end.cwd);
  } catch {
    return; // outside a project there is nowhere to keep events
  }
  try {
    // Loaded only now: outside a project, or with telemetry off by the environment, a command
    // (a pre-commit scan in a plain repository) pays for none of the config, registry or database code.
    const [{ loadConfig }, { recordTelemetry, telemetrySwitch }] = await Promise.all([
      import("../infra/load-config.js"),
      import("./store.js"),
    ]);
    const { config } = await loadConfig(paths);
    if (telemetrySwitch(config)) return;
    firstRunNotice(paths, config.telemetry.export.endpoint);
    recordTelemetry(paths, config, "command.run", { command: end.command, durationMs: Math.round(end.durationMs), exitCode: end.exitCode });
    if (end.error !== undefined) recordTelemetry(paths, config, "error", { class: errorClass(end.error), exitCode: end.exitCode });
    if (end.exitCode === 0 && REGISTRY_COMMANDS.has(end.command)) {
      const { featureCount } = await import("../registry/store.js");
      await announceThresholds(paths, () => featureCount(paths));
    }
    if (config.telemetry.export.endpoint !== undefined) (await import("./export.js")).startBackgroundExport(paths, config);
  } catch {
    // a broken config or a busy database: the command's own result stands
  }
}

/** Commands that add features, after which the feature thresholds are checked. */
const REGISTRY_COMMANDS = new Set(["features add", "spec sync", "init", "attach"]);

/** A one-line alert for each feature threshold newly reached (each is announced once, ever). */
export async function announceThresholds(paths: ProjectPaths, features: () => number): Promise<void> {
  const [{ loadConfig }, { newThresholds, recordTelemetry }] = await Promise.all([import("../infra/load-config.js"), import("./store.js")]);
  const { config } = await loadConfig(paths);
  for (const t of newThresholds(paths, config, features)) {
    recordTelemetry(paths, config, "threshold.reached", { features: t.features });
    process.stderr.write(`ℹ This project has reached ${t.features} features: ${t.advice}.\n`);
  }
}

/** On a terminal, the first command that records anything says so, once per project and machine. */
function firstRunNotice(paths: ProjectPaths, endpoint: string | undefined): void {
  if (!process.stderr.isTTY) return;
  const marker = join(paths.state, "telemetry-notice");
  if (existsSync(marker)) return;
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  const sent =
    endpoint === undefined
      ? "sends nothing"
      : `sends nothing to ${displayEndpoint(endpoint)} (telemetry.export) unless you confirm it with \`br telemetry enable --export\``;
  process.stderr.write(
    `ℹ br keeps usage events (commands, task outcomes, costs; never code, prompts or paths) in .buildrunner/state on this machine, and ${sent}. \`br telemetry disable\` or DO_NOT_TRACK=1 turns it off.\n`,
  );
}
