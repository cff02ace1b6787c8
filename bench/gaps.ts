/**
 * Gap analysis and the built-in quality measures on a real tree of at least 2,000 analysed source files:
 * JavaScript and TypeScript from this project's node_modules (the same choice as bench/measures.ts),
 * laid out in a fresh git repository with `br init`, then `br gaps analyze` and `br quality check`
 * with only br's own measures, each as a fresh process, with peak memory. Aim: under 5 s each.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isGenerated } from "../src/quality/files.ts";
import { BR, measure, printTable } from "./measure.ts";
import { candidates } from "./measures.ts";

const ROOT = resolve(import.meta.dirname, "..");
const FILES = Number(process.env.BENCH_GAPS_FILES ?? 2200);

export function gapsBenchmark(): void {
  // Compiled files (a source map link, a generator's banner) would be skipped by br: leave them out, so
  // every one of the files is analysed.
  const picked = candidates()
    .filter((entry) => !isGenerated(readFileSync(join(ROOT, "node_modules", entry), "utf8")))
    .slice(0, FILES);
  if (picked.length < FILES) throw new Error(`only ${picked.length} hand-written source files in node_modules; need ${FILES}`);
  const dir = mkdtempSync(join(tmpdir(), "br-gaps-bench-"));
  try {
    // Each package keeps its own layout (src/, test/, lib/…), so tests and sources are told apart as in a real project.
    for (const entry of picked) {
      const target = join(dir, "packages", entry);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(ROOT, "node_modules", entry), target);
    }
    spawnSync("git", ["init", "-q"], { cwd: dir });
    spawnSync(process.execPath, [BR, "init", "bench"], { cwd: dir });
    // Third-party code breaks the default limits; the timing is the same, and a passing check exits 0.
    for (const [key, value] of [
      ["gates.complexity", "100000"],
      ["gates.functionLines", "100000"],
      ["gates.fileLines", "100000"],
      ["gates.duplication", "100"],
    ] as const)
      spawnSync(process.execPath, [BR, "config", "set", key, value], { cwd: dir });
    const gaps = JSON.parse(
      spawnSync(process.execPath, [BR, "gaps", "analyze", "--json"], { cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).stdout,
    ) as { summary: { files: number; total: number; byKind: Record<string, number> } };
    const runs = Number(process.env.BENCH_RUNS ?? 3);
    process.env.BENCH_RUNS = String(Math.min(runs, 3));
    printTable(
      `Gap analysis and code measures on ${picked.length} real JS/TS files (${gaps.summary.files} analysed after skipping generated ones; ${gaps.summary.total} gaps: ${Object.entries(
        gaps.summary.byKind,
      )
        .map(([k, n]) => `${n} ${k}`)
        .join(", ")})`,
      [
        { name: "br gaps analyze", result: measure([BR, "gaps", "analyze", "--json"], dir), aim: { ms: 5000 } },
        {
          name: "br quality check (measures only)",
          result: measure([BR, "quality", "check", "--json", "--only", "complexity,function-length,file-length,duplication"], dir),
          aim: { ms: 5000 },
        },
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) gapsBenchmark();
