/**
 * Whether the environment turns telemetry off: read before anything else, so that a command run
 * with DO_NOT_TRACK=1, or outside a project, loads none of telemetry's modules.
 */

/** What turned telemetry off, if anything: the environment first, then the project's config. */
export type TelemetrySwitch = "DO_NOT_TRACK" | "BR_TELEMETRY_DISABLED" | "config.yaml (telemetry.enabled: false)";

/** DO_NOT_TRACK=1 (the cross-tool convention) or BR_TELEMETRY_DISABLED=1; "0", "false" or empty leave it on. */
export function environmentSwitch(env: NodeJS.ProcessEnv = process.env): TelemetrySwitch | undefined {
  const on = (value: string | undefined) => value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
  if (on(env.DO_NOT_TRACK)) return "DO_NOT_TRACK";
  if (on(env.BR_TELEMETRY_DISABLED)) return "BR_TELEMETRY_DISABLED";
  return undefined;
}

/** Set in the background sender's environment: its own run is neither recorded nor followed by another send. */
export const EXPORTING_ENV = "BR_TELEMETRY_EXPORTING";
