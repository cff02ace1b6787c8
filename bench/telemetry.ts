/**
 * What telemetry costs a command: recording one command event (config read, event written, old
 * events pruned) in a project, with and without an exporter configured, against the same command
 * with telemetry off, in the same run. The aim is under 2 ms per command.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
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

/**
 * The same with `telemetry.export` set and a send begun just now: what nearly every command pays,
 * the check for a due send. (A due send costs one detached spawn, at most once per interval.)
 */
async function withExporter(cwd: string, measure: () => Promise<number>): Promise<number> {
  const config = join(cwd, ".buildrunner", "config.yaml");
  const before = readFileSync(config, "utf8");
  writeFileSync(config, `${before}telemetry:\n  export:\n    endpoint: http://127.0.0.1:9\n    intervalSeconds: 3600\n`);
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"));
  db.prepare("UPDATE telemetry_export SET last_attempt = ? WHERE id = 1").run(Date.now());
  db.close();
  try {
    return await measure();
  } finally {
    writeFileSync(config, before);
  }
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
    const exporting = await withExporter(cwd, () => perCommand(cwd));
    process.env.DO_NOT_TRACK = "1";
    const off = await perCommand(cwd);
    process.env = saved;
    const verdict = (ms: number) => `${(ms / AIM_MS).toFixed(2)} of the aim (${ms < AIM_MS ? "met" : "NOT met"})`;
    console.log(`\nTelemetry: the cost of recording one command (aim < ${AIM_MS} ms)`);
    console.log(`  on: ${on.toFixed(3)} ms per command, ${verdict(on)}`);
    console.log(
      `  on, with an exporter configured (a send started within the interval): ${exporting.toFixed(3)} ms, ${verdict(exporting)}`,
    );
    console.log(`  off (DO_NOT_TRACK=1): ${off.toFixed(4)} ms; on/off ${(on / off).toFixed(0)}x`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (import.meta.main) await telemetryBenchmark();
