/** `br telemetry export`: sends the pending events to the confirmed OTLP endpoint now. */
import type { Command } from "commander";
import type { Config } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import type { ProjectPaths } from "../../infra/project.js";
import type { ExportResult } from "../../telemetry/export.js";
import { displayEndpoint } from "../../telemetry/otlp.js";
import { project } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";

export function registerExport(telemetry: Command): void {
  telemetry
    .command("export")
    .description("send the pending events to the confirmed OTLP endpoint now (br also does this in the background)")
    .option("--json", 'print { "sent", "dropped", "requests", "pending", "error", "busy" }')
    .action(
      action<[]>(async (options) => {
        const { loadConfig } = await import("../../infra/load-config.js");
        const { exportPending } = await import("../../telemetry/export.js");
        const { telemetrySwitch } = await import("../../telemetry/store.js");
        const { default: pkg } = await import("../../../package.json", { with: { type: "json" } });
        const paths = project(options);
        const { config } = await loadConfig(paths);
        const off = telemetrySwitch(config);
        const endpoint = config.telemetry.export.endpoint;
        if (!off) await requireReady(paths, config);
        const result = await exportPending(paths, config, pkg.version);
        emit(options.json, result, () => [
          off ? `Telemetry is off (${off}): nothing was sent and no connection was made.` : resultLine(result, endpoint as string),
        ]);
        if (result.error !== null) setExitCode(1);
      }),
    );
}

function resultLine(result: ExportResult, endpoint: string): string {
  if (result.busy) return "Another br process is sending right now; nothing else was sent.";
  const mark = result.error ? style.yellow("!") : style.green("✓");
  const dropped = result.dropped ? `, ${result.dropped} dropped` : "";
  const stopped = result.error ? ` (stopped: ${result.error})` : "";
  return `${mark} Sent ${result.sent} event(s)${dropped} in ${result.requests} request(s) to ${displayEndpoint(endpoint)}; ${result.pending} pending${stopped}.`;
}

/** An endpoint set and confirmed on this machine, or exit 2 saying which step is missing. */
async function requireReady(paths: ProjectPaths, config: Config): Promise<void> {
  const { exportReadiness } = await import("../../telemetry/export.js");
  const { openStateDb } = await import("../../infra/state-db.js");
  const db = openStateDb(paths);
  let readiness: string;
  try {
    readiness = exportReadiness(db, config);
  } finally {
    db.close();
  }
  if (readiness === "no endpoint")
    throw usageError("No telemetry exporter is configured.", {
      file: ".buildrunner/config.yaml",
      place: "telemetry.export.endpoint",
      fix: "Set telemetry.export.endpoint to your OpenTelemetry collector, such as http://127.0.0.1:4318, then run `br telemetry enable --export`.",
    });
  if (readiness === "unconfirmed")
    throw usageError("The telemetry exporter's endpoint is not confirmed on this machine, so nothing is sent to it.", {
      file: ".buildrunner/config.yaml",
      place: "telemetry.export.endpoint",
      fix: "Run `br telemetry enable --export` to send the events recorded from then on to it.",
    });
}
