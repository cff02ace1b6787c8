/**
 * What telemetry costs a command: recording one command event (config read, event written, old
 * events pruned) in a project, against the same command with telemetry off, in the same run. The
 * aim is under 2 ms per command.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { recordCommand } from "../src/telemetry/command.ts";

const BR = resolve(import.meta.dirname, "..", "bin", "br.js");
const RUNS = 300;
const AIM_MS = 2;

async function perCommand(cwd: string): Promise<number> {
  const end = { command: "status", cwd, durationMs: 1, exitCode: 0 };
  for (let i = 0; i < 20; i++) await recordCommand(end);
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) await recordCommand(end);
  return (performance.now() - started) / RUNS;
}

export async function telemetryBenchmark(): Promise<void> {
  const cwd = mkdtempSync(join(tmpdir(), "br-telemetry-bench-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd });
    spawnSync(process.execPath, [BR, "init", "bench"], { cwd, env: { ...process.env, BR_TELEMETRY_DISABLED: "1" } });
    const saved = { ...process.env };
    delete process.env.DO_NOT_TRACK;
    delete process.env.BR_TELEMETRY_DISABLED;
    const on = await perCommand(cwd);
    process.env.DO_NOT_TRACK = "1";
    const off = await perCommand(cwd);
    process.env = saved;
    console.log("\nTelemetry: the cost of recording one command");
    console.log(
      `  on: ${on.toFixed(3)} ms per command; off (DO_NOT_TRACK=1): ${off.toFixed(4)} ms; on/aim ${(on / AIM_MS).toFixed(2)} (aim < ${AIM_MS} ms: ${on < AIM_MS ? "met" : "NOT met"})`,
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (import.meta.main) await telemetryBenchmark();
