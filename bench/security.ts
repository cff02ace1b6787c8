/**
 * Security benchmarks: secret-scan throughput over a large real tree (this project's own
 * dependencies) with the full rule set, side by side with secretlint (recommended preset) on the
 * same files in the same run; and the pre-commit hook's wall time on a 200-file staged change.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BR, measure, printTable } from "./measure.ts";

const ROOT = resolve(import.meta.dirname, "..");
const TREE = ["node_modules/typescript", "node_modules/@anthropic-ai", "node_modules/zod", "node_modules/yaml", "node_modules/commander"];

function treeBytes(cwd: string, paths: string[]): number {
  const out = spawnSync("du", ["-sb", ...paths], { cwd, encoding: "utf8" }).stdout;
  return out
    .trim()
    .split("\n")
    .reduce((sum, line) => sum + Number(line.split(/\s+/)[0]), 0);
}

/** Wall time of one run; exit 0 or 1 (findings) both count, anything else is a broken benchmark. */
function timeOnce(command: string, args: string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 });
  if (result.status !== 0 && result.status !== 1) throw new Error(`${command} exited ${result.status}: ${result.stderr.slice(0, 500)}`);
  if (result.stdout.length < 3) throw new Error(`${command} printed no report: ${result.stderr.slice(0, 500)}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function securityBenchmark(): void {
  // A copy outside node_modules: secretlint never scans a node_modules folder, whatever it is told.
  const copy = mkdtempSync(join(tmpdir(), "br-scan-bench-"));
  const tree = TREE.map((t) => join(copy, t.replace("node_modules/", "deps/")));
  spawnSync("mkdir", ["-p", join(copy, "deps", "@anthropic-ai")]);
  for (const [i, t] of TREE.entries()) spawnSync("cp", ["-r", join(ROOT, t), tree[i] as string]);
  try {
    scanBenchmark(
      copy,
      tree.map((t) => t.slice(copy.length + 1)),
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  hookBenchmark();
}

function scanBenchmark(cwd: string, paths: string[]): void {
  const bytes = treeBytes(cwd, paths);
  const mb = bytes / 1024 / 1024;
  const runs = Number(process.env.BENCH_SCAN_RUNS ?? 3);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const brTimes = Array.from({ length: runs }, () => timeOnce(process.execPath, [BR, "security", "check", ...paths, "--json"], cwd));
  const rcDir = mkdtempSync(join(tmpdir(), "br-secretlint-"));
  const rc = join(rcDir, ".secretlintrc.json");
  writeFileSync(rc, JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] }));
  const secretlint = join(ROOT, "node_modules", ".bin", "secretlint");
  // secretlint takes minutes on this tree: one run of it.
  const slTimes = Array.from({ length: Number(process.env.BENCH_SECRETLINT_RUNS ?? 1) }, () =>
    timeOnce(secretlint, [...paths.map((t) => `${t}/**/*`), "--secretlintrc", rc, "--format", "json", "--no-color"], cwd),
  );
  rmSync(rcDir, { recursive: true, force: true });
  const brMs = median(brTimes);
  const slMs = median(slTimes);
  console.log(`\nSecret scan throughput: ${mb.toFixed(1)} MB (copies of ${TREE.join(", ")}), median of ${runs} runs`);
  console.log(`  br security check   ${brMs.toFixed(0).padStart(7)} ms  ${(mb / (brMs / 1000)).toFixed(1).padStart(6)} MB/s`);
  console.log(`  secretlint (recommended preset) ${slMs.toFixed(0).padStart(7)} ms  ${(mb / (slMs / 1000)).toFixed(1).padStart(6)} MB/s`);
  console.log(`  ratio: br is ${(slMs / brMs).toFixed(1)}x secretlint's throughput (aim ≥ 5x)`);
}

function hookBenchmark(): void {
  // The hook: 200 staged files of ordinary code.
  const repo = mkdtempSync(join(tmpdir(), "br-hook-bench-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: repo });
    for (let i = 0; i < 200; i++) {
      const lines = Array.from(
        { length: 80 },
        (_, j) => `export function handler${i}_${j}(request) { return { status: 200, body: request.body?.items?.[${j}] ?? null }; }`,
      );
      writeFileSync(join(repo, `module${i}.js`), `${lines.join("\n")}\n`);
    }
    spawnSync("git", ["add", "-A"], { cwd: repo });
    const size = statSync(join(repo, "module0.js")).size;
    printTable(`Pre-commit hook (br security check --staged) on 200 staged files of ${(size / 1024).toFixed(1)} KB`, [
      { name: "br security check --staged (200 files)", result: measure([BR, "security", "check", "--staged"], repo), aim: { ms: 500 } },
    ]);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) securityBenchmark();
