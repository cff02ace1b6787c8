/** `br telemetry`: what br records about its own use, kept on this machine, and the switches. */
import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { say, style } from "../../infra/log.js";
import { mask } from "../../security/mask.js";
import type { TelemetryStatus } from "../../telemetry/store.js";
import { project } from "../context.js";
import { action } from "../main.js";
import { emit, table } from "../output.js";

export function registerTelemetry(program: Command): void {
  const telemetry = program
    .command("telemetry")
    .description("usage events kept in this project's state database; sent nowhere unless you configure an exporter");
  telemetry
    .command("status")
    .description("whether events are recorded, which switch turned them off, and what is stored")
    .option("--json", 'print { "enabled", "disabledBy", "schema", "events", "oldest", "retentionDays", "exporter" }')
    .action(
      action<[]>(async (options) => {
        const { loadConfig } = await import("../../infra/config.js");
        const { telemetryStatus } = await import("../../telemetry/store.js");
        const paths = project(options);
        const status = telemetryStatus(paths, (await loadConfig(paths)).config);
        emit(options.json, status, () => statusLines(status));
      }),
    );
  for (const enabled of [true, false]) registerSwitch(telemetry, enabled);
  registerEvents(telemetry);
  registerReport(telemetry);
  registerExport(telemetry);
}

function statusLines(status: TelemetryStatus): string[] {
  const exporter = status.exporter;
  return [
    status.enabled
      ? `${style.green("on")}: events are recorded in .buildrunner/state/state.db`
      : `${style.yellow("off")}, by ${status.disabledBy}: nothing is recorded${exporter ? " or sent" : ""}`,
    `  ${status.events} event(s) stored${status.oldest ? ` since ${status.oldest.slice(0, 10)}` : ""}; kept ${status.retentionDays} days; schema ${status.schema}`,
    exporter
      ? `  exporter: ${exporter.endpoint} (OTLP/HTTP JSON), at most every ${exporter.intervalSeconds} s; ${exporter.sentTotal} sent${exporter.lastSentAt ? `, last ${exporter.lastSentAt.slice(0, 19).replace("T", " ")}` : ""}; ${exporter.pending} pending${exporter.lastError ? `; last error: ${exporter.lastError}` : ""}`
      : "  exporter: none (telemetry.export.endpoint is unset), so nothing is sent anywhere",
  ];
}

function registerExport(telemetry: Command): void {
  telemetry
    .command("export")
    .description("send the pending events to the configured OTLP endpoint now (br also does this in the background)")
    .option("--json", 'print { "sent", "requests", "pending", "error", "busy" }')
    .action(
      action<[]>(async (options) => {
        const { loadConfig } = await import("../../infra/config.js");
        const { exportPending } = await import("../../telemetry/export.js");
        const { displayEndpoint } = await import("../../telemetry/otlp.js");
        const { telemetrySwitch } = await import("../../telemetry/store.js");
        const { default: pkg } = await import("../../../package.json", { with: { type: "json" } });
        const paths = project(options);
        const { config } = await loadConfig(paths);
        const endpoint = config.telemetry.export.endpoint;
        const off = telemetrySwitch(config);
        if (endpoint === undefined && !off)
          throw usageError("No telemetry exporter is configured.", {
            file: ".buildrunner/config.yaml",
            place: "telemetry.export.endpoint",
            fix: "Set telemetry.export.endpoint to your OpenTelemetry collector, such as http://127.0.0.1:4318.",
          });
        const result = await exportPending(paths, config, pkg.version);
        emit(options.json, result, () => [
          off
            ? `Telemetry is off (${off}): nothing was sent and no connection was made.`
            : result.busy
              ? "Another br process is sending right now; nothing else was sent."
              : `${result.error ? style.yellow("!") : style.green("✓")} Sent ${result.sent} event(s) in ${result.requests} request(s) to ${displayEndpoint(endpoint as string)}; ${result.pending} pending${result.error ? ` (stopped: ${result.error})` : ""}.`,
        ]);
        if (result.error !== null && !result.error.includes("dropped")) process.exitCode = 1;
      }),
    );
}

const FORMATS = ["md", "html", "json"] as const;

function registerReport(telemetry: Command): void {
  telemetry
    .command("report")
    .description("your own analytics: tasks per day, first-attempt pass rates, cost per done task, time to done, rejections, gates")
    .option("--format <format>", "md | html (one self-contained page with charts) | json", "md")
    .option("--since <when>", "only events since a date (2026-11-01) or for a duration back (7d, 24h)")
    .option("-o, --output <file>", "write the report to a file instead of printing it")
    .action(
      action<[]>(async (options) => {
        const format = String(options.format);
        if (!(FORMATS as readonly string[]).includes(format))
          throw usageError(`--format ${format}: not a report format.`, { fix: `Use one of: ${FORMATS.join(", ")}.` });
        const { parseSince } = await import("../../routing/stats.js");
        const { readTelemetry } = await import("../../telemetry/store.js");
        const { buildReport } = await import("../../telemetry/report.js");
        const { reportHtml, reportMarkdown } = await import("../../telemetry/render.js");
        const paths = project(options);
        const since = typeof options.since === "string" ? parseSince(options.since) : undefined;
        const report = buildReport(paths, readTelemetry(paths, since));
        const text =
          format === "json" ? `${JSON.stringify(report, null, 2)}\n` : format === "html" ? reportHtml(report) : reportMarkdown(report);
        if (typeof options.output !== "string") {
          process.stdout.write(mask(text));
          return;
        }
        const { writeFileAtomic } = await import("../../infra/atomic-file.js");
        writeFileAtomic(options.output, mask(text));
        say(`${style.green("✓")} Wrote ${options.output} (${format}).`);
      }),
    );
}

function registerSwitch(telemetry: Command, enabled: boolean): void {
  const command = telemetry
    .command(enabled ? "enable" : "disable")
    .description(enabled ? "record events again (telemetry.enabled: true)" : "record nothing from now on (telemetry.enabled: false)")
    .option("--json", 'print { "enabled", "disabledBy", "purged" }');
  if (!enabled) command.option("--purge", "also delete the events already stored");
  command.action(
    action<[]>(async (options) => {
      const { editConfig } = await import("../../infra/config.js");
      const { purgeTelemetry, telemetrySwitch } = await import("../../telemetry/store.js");
      const paths = project(options);
      const config = await editConfig(paths, (doc) => doc.setIn(["telemetry", "enabled"], enabled));
      const purged = options.purge === true ? purgeTelemetry(paths) : 0;
      const disabledBy = telemetrySwitch(config) ?? null;
      emit(options.json, { enabled: disabledBy === null, disabledBy, purged }, () => [
        enabled
          ? disabledBy
            ? `telemetry.enabled is true in config.yaml, but ${disabledBy} keeps it off in this environment.`
            : `${style.green("✓")} Telemetry on: events are recorded on this machine only.`
          : `${style.green("✓")} Telemetry off: nothing is recorded.${purged ? ` ${purged} stored event(s) deleted.` : " Stored events are kept (--purge deletes them)."}`,
      ]);
    }),
  );
}

function registerEvents(telemetry: Command): void {
  telemetry
    .command("events")
    .description("the stored events: everything an exporter could send, and nothing else")
    .option("--since <when>", "only events since a date (2026-11-01) or for a duration back (7d, 24h)")
    .option("--pending", "only the events the exporter has not sent yet")
    .option("--otlp", "print the events as the exporter's OTLP/HTTP JSON request body, byte for byte what it sends")
    .option("--json", 'print { "schema", "events": [{ "id", "at", "kind", "schema", "data" }] }')
    .action(
      action<[]>(async (options) => {
        const { parseSince } = await import("../../routing/stats.js");
        const { pendingEvents, readTelemetry } = await import("../../telemetry/store.js");
        const { TELEMETRY_SCHEMA } = await import("../../telemetry/schema.js");
        const since = typeof options.since === "string" ? parseSince(options.since) : undefined;
        const paths = project(options);
        const events = (options.pending === true ? pendingEvents(paths) : readTelemetry(paths)).filter((e) => !since || e.at >= since);
        if (options.otlp === true) {
          const { otlpLogsRequest } = await import("../../telemetry/otlp.js");
          const { default: pkg } = await import("../../../package.json", { with: { type: "json" } });
          process.stdout.write(`${JSON.stringify(otlpLogsRequest(events, pkg.version))}\n`);
          return;
        }
        emit(options.json, { schema: TELEMETRY_SCHEMA, events }, () =>
          events.length === 0
            ? ["No telemetry events stored."]
            : table(
                ["at", "kind", "data"],
                events.map((e) => [e.at.slice(0, 19).replace("T", " "), e.kind, JSON.stringify(e.data)]),
              ),
        );
      }),
    );
}
