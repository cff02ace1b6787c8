/**
 * Security benchmarks: secret-scan throughput over a large and a medium tree of real text (copies
 * of this project's dependencies) with the full rule set, side by side in the same run with the
 * current secretlint (recommended preset) and with the bound any keyword-prefiltered scanner must
 * pay (read every file, run one keyword regex); and what the pre-commit hook adds to a 200-file
 * commit (bench/hook.ts).
 * BENCH_RECORD=1 stores the figures, with versions, in bench/peer-results.json.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hookBenchmark } from "./hook.ts";
import { BR, record, summarise, type TimedRun, timedRun } from "./measure.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** Trees of real text: copies of this project's dependencies (the large one about 75 MB, the medium one about 5 MB). */
const TREES = {
  large: ["typescript", "@anthropic-ai", "zod", "yaml", "commander", "rxjs", "@babel", "playwright-core"],
  medium: ["yaml", "commander", "hono"],
};

interface Tree {
  name: string;
  dir: string;
  bytes: number;
  files: number;
}

/** Copies the packages into a fresh folder of a temporary git repository (secretlint never scans node_modules). */
function copyTree(repo: string, name: string, packages: string[]): Tree {
  const dir = join(repo, name);
  mkdirSync(dir);
  for (const p of packages) cpSync(join(ROOT, "node_modules", p), join(dir, p.replace("@", "")), { recursive: true });
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const bytes = entries.reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
  return { name, dir: name, bytes, files: entries.length };
}

function secretlintVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules", "secretlint", "package.json"), "utf8")) as { version: string }).version;
}

export function securityBenchmark(): void {
  const repo = mkdtempSync(join(tmpdir(), "br-scan-bench-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: repo });
    const rc = join(repo, ".secretlintrc.json");
    writeFileSync(rc, JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] }));
    const figures: Record<string, unknown> = { secretlint: secretlintVersion() };
    for (const [name, packages] of Object.entries(TREES)) figures[name] = scanBenchmark(repo, copyTree(repo, name, packages), rc);
    record("secretScan", figures);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  hookBenchmark();
}

/**
 * br, secretlint 13 (recommended preset, on the Node running the benchmark) and the bound, in
 * turn in each round so that load on the machine falls on all three alike; medians of the rounds.
 */
function scanBenchmark(repo: string, tree: Tree, rc: string): Record<string, unknown> {
  const rounds = Number(process.env.BENCH_SCAN_RUNS ?? 3);
  const report = join(repo, "secretlint-report.json");
  const commands = {
    br: () => timedRun(process.execPath, [BR, "security", "check", tree.dir, "--json"], repo, [0, 1]),
    secretlint: () =>
      timedRun(
        process.execPath,
        [
          join(ROOT, "node_modules/secretlint/bin/secretlint.js"),
          `${tree.dir}/**/*`,
          "--secretlintrc",
          rc,
          "--format",
          "json",
          "--output",
          report,
        ],
        repo,
        [0, 1],
      ),
    bound: () => timedRun(process.execPath, [join(import.meta.dirname, "scan-bound.mjs"), tree.dir], repo),
  };
  const runs: Record<keyof typeof commands, TimedRun[]> = { br: [], secretlint: [], bound: [] };
  for (let round = 0; round < rounds; round++)
    for (const [name, run] of Object.entries(commands)) runs[name as keyof typeof commands].push(run());
  const [br, secretlint, bound] = [summarise(runs.br), summarise(runs.secretlint), summarise(runs.bound)];
  const mb = tree.bytes / 1024 / 1024;
  console.log(
    `\nSecret scan, ${tree.name} tree: ${mb.toFixed(1)} MiB in ${tree.files} files (copies of ${TREES[tree.name as keyof typeof TREES].join(", ")}); medians of ${rounds} rounds`,
  );
  const row = (label: string, r: TimedRun) =>
    console.log(
      `  ${label.padEnd(42)} ${r.ms.toFixed(0).padStart(7)} ms wall ${r.cpuMs.toFixed(0).padStart(7)} ms CPU ${(mb / (r.ms / 1000)).toFixed(1).padStart(6)} MiB/s ${r.rssMb.toFixed(0).padStart(5)} MB peak`,
    );
  row("br security check", br);
  row(`secretlint ${secretlintVersion()} (recommended preset)`, secretlint);
  row("bound: read every file + one keyword regex", bound);
  const throughput = secretlint.ms / br.ms;
  const ofBound = bound.ms / br.ms;
  const verdict = (met: boolean) => (met ? "met" : "missed");
  console.log(
    `  br's throughput: ${throughput.toFixed(2)}x secretlint's (aim ≥ 3x: ${verdict(throughput >= 3)}); CPU ${(secretlint.cpuMs / br.cpuMs).toFixed(2)}x less`,
  );
  console.log(`  br at ${(100 * ofBound).toFixed(0)}% of the bound's throughput (aim ≥ 70%: ${verdict(ofBound >= 0.7)})`);
  console.log(
    `  peak memory: br ${br.rssMb.toFixed(0)} MB, secretlint ${secretlint.rssMb.toFixed(0)} MB (aim: no higher: ${verdict(br.rssMb <= secretlint.rssMb)})`,
  );
  return {
    mib: Number(mb.toFixed(1)),
    files: tree.files,
    rounds,
    br,
    secretlint,
    bound,
    throughputRatio: Number(throughput.toFixed(2)),
    shareOfBound: Number(ofBound.toFixed(2)),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) securityBenchmark();
