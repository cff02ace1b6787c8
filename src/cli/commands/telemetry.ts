/** `br telemetry`: what br records about its own use, kept on this machine, and the switches. */
import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { say, style } from "../../infra/log.js";
import type { ProjectPaths } from "../../infra/project.js";
import { mask } from "../../security/mask.js";
import type { TelemetryStatus } from "../../telemetry/store.js";
import { project } from "../context.js";
import { action } from "../main.js";
import { emit, table } from "../output.js";
import { registerExport } from "./telemetry-export.js";

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
        const { loadConfig } = await import("../../infra/load-config.js");
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
    !exporter
      ? "  exporter: none (telemetry.export.endpoint is unset), so nothing is sent anywhere"
      : !exporter.confirmed
        ? `  exporter: ${exporter.endpoint} is configured but not confirmed on this machine, so nothing is sent (br telemetry enable --export)`
        : `  exporter: ${exporter.endpoint} (OTLP/HTTP JSON), at most every ${exporter.intervalSeconds} s; ${exporter.sentTotal} sent${exporter.lastSentAt ? `, last ${exporter.lastSentAt.slice(0, 19).replace("T", " ")}` : ""}; ${exporter.pending} pending${exporter.lastError ? `; last error: ${exporter.lastError}` : ""}`,
  ];
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
    .description(
      enabled
        ? "record events again (telemetry.enabled: true); --export also confirms sending them to telemetry.export.endpoint"
        : "record and send nothing from now on (telemetry.enabled: false); --export stops only the sending",
    )
    .option("--export", enabled ? "confirm, on this machine, sending events to the configured endpoint" : "stop sending; keep recording")
    .option("--json", 'print { "enabled", "disabledBy", "purged", "export" }');
  if (!enabled) command.option("--purge", "also delete the events already stored");
  command.action(
    action<[]>(async (options) => {
      const { editConfig, loadConfig } = await import("../../infra/config.js");
      const { purgeTelemetry, telemetrySwitch } = await import("../../telemetry/store.js");
      const paths = project(options);
      const exportOnly = !enabled && options.export === true;
      if (enabled && options.export === true) await requireEndpoint(paths);
      const config = exportOnly
        ? (await loadConfig(paths)).config
        : await editConfig(paths, (doc) => doc.setIn(["telemetry", "enabled"], enabled));
      const change = !enabled ? "withdraw" : options.export === true ? "confirm" : "keep";
      const exporting = await switchExport(paths, config.telemetry.export.endpoint, change);
      const purged = options.purge === true ? purgeTelemetry(paths) : 0;
      const disabledBy = telemetrySwitch(config) ?? null;
      emit(options.json, { enabled: disabledBy === null, disabledBy, purged, export: exporting }, () =>
        switchLines({ enabled, exportOnly, disabledBy, purged, exporting }),
      );
    }),
  );
}

/** Confirms or withdraws sending: `enable --export` confirms the endpoint; every `disable` withdraws it; `enable` keeps what was. */
async function switchExport(paths: ProjectPaths, endpoint: string | undefined, change: "confirm" | "withdraw" | "keep") {
  const { confirmExport, withdrawExport } = await import("../../telemetry/export.js");
  const { displayEndpoint } = await import("../../telemetry/otlp.js");
  if (change === "withdraw") withdrawExport(paths);
  if (change !== "confirm" || endpoint === undefined) return null;
  return { endpoint: displayEndpoint(endpoint), afterEventId: confirmExport(paths, endpoint) };
}

function switchLines(s: {
  enabled: boolean;
  exportOnly: boolean;
  disabledBy: string | null;
  purged: number;
  exporting: { endpoint: string } | null;
}): string[] {
  if (s.exportOnly) return [`${style.green("✓")} Events are no longer sent; they are still recorded on this machine.`];
  if (!s.enabled)
    return [
      `${style.green("✓")} Telemetry off: nothing is recorded or sent.${s.purged ? ` ${s.purged} stored event(s) deleted.` : " Stored events are kept (--purge deletes them)."}`,
    ];
  if (s.disabledBy) return [`telemetry.enabled is true in config.yaml, but ${s.disabledBy} keeps it off in this environment.`];
  return [
    s.exporting
      ? `${style.green("✓")} Telemetry on: events are recorded on this machine, and those recorded from now on are sent to ${s.exporting.endpoint}.`
      : `${style.green("✓")} Telemetry on: events are recorded on this machine; none are sent unless you confirm an exporter (--export).`,
  ];
}

async function requireEndpoint(paths: ProjectPaths): Promise<void> {
  const { loadConfig } = await import("../../infra/load-config.js");
  if ((await loadConfig(paths)).config.telemetry.export.endpoint === undefined)
    throw usageError("No telemetry exporter is configured, so there is nothing to confirm.", {
      file: ".buildrunner/config.yaml",
      place: "telemetry.export.endpoint",
      fix: "Set telemetry.export.endpoint to your OpenTelemetry collector (such as http://127.0.0.1:4318), then run `br telemetry enable --export`.",
    });
}

function registerEvents(telemetry: Command): void {
  telemetry
    .command("events")
    .description("the stored events: everything an exporter could send, and nothing else")
    .option("--since <when>", "only events since a date (2026-11-01) or for a duration back (7d, 24h)")
    .option("--pending", "only the events the exporter has not sent yet")
    .option(
      "--otlp",
      "print the events as the exporter's OTLP/HTTP JSON request bodies, one per line, in its batches (with --pending: what the next send posts)",
    )
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
          const { BATCH_SIZE, otlpBody } = await import("../../telemetry/export.js");
          const { default: pkg } = await import("../../../package.json", { with: { type: "json" } });
          for (let at = 0; at < events.length; at += BATCH_SIZE)
            process.stdout.write(`${otlpBody(events.slice(at, at + BATCH_SIZE), pkg.version)}\n`);
          return;
        }
        emit(options.json, { schema: TELEMETRY_SCHEMA, events }, () =>
          events.length === 0
            ? [options.pending === true ? "No telemetry events wait to be sent." : "No telemetry events stored."]
            : table(
                ["at", "kind", "data"],
                events.map((e) => [e.at.slice(0, 19).replace("T", " "), e.kind, JSON.stringify(e.data)]),
              ),
        );
      }),
    );
}
