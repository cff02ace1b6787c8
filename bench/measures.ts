/**
 * Code measures throughput: real, non-minified JavaScript and TypeScript sources from this
 * project's node_modules (no .d.ts, no *.min.js, nothing over 200 KB, no file whose lines average
 * over 200 characters), copied into a temp folder and read into memory; then measureFile over
 * every file (parse + complexity + stubs) and findDuplication over all of them, timed apart; and,
 * as the baseline, the same measures from Lezer's tree (what measured JS/TS before oxc).
 * BENCH_MEASURES_FILES caps the number of files (default: all that qualify, at least 2,000 needed).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { measureWithLezer } from "../src/quality/measures/functions.ts";
import { findDuplication, measuredLanguageOf, measureFile } from "../src/quality/measures/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SOURCE = /\.(?:[cm]?js|jsx|[cm]?ts|tsx)$/;
const SKIP = /\.d\.[cm]?ts$|\.min\.js$/;
const MAX_BYTES = 200 * 1024;
const MAX_AVERAGE_LINE = 200;
const MIN_FILES = 2000;

/** Source files of node_modules up to `maxBytes` each (default 200 KB), minified ones left out. */
export function candidates(maxBytes = MAX_BYTES): string[] {
  const dir = join(ROOT, "node_modules");
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    if (!SOURCE.test(entry) || SKIP.test(entry)) continue;
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size === 0 || stat.size > maxBytes) continue;
    const text = readFileSync(path, "utf8");
    let lines = 1;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
    if (text.length / lines > MAX_AVERAGE_LINE) continue; // minified or generated on one line
    out.push(entry);
  }
  return out;
}

export function measuresBenchmark(): void {
  const limit = Number(process.env.BENCH_MEASURES_FILES ?? Number.POSITIVE_INFINITY);
  const picked = candidates().slice(0, limit);
  if (picked.length < MIN_FILES) throw new Error(`only ${picked.length} source files qualify in node_modules; need ${MIN_FILES}`);
  const copy = mkdtempSync(join(tmpdir(), "br-measures-bench-"));
  try {
    const files = picked.map((entry, i) => {
      const target = join(copy, String(i % 64), entry.replace(/[\\/]/g, "__"));
      mkdirSync(join(copy, String(i % 64)), { recursive: true });
      copyFileSync(join(ROOT, "node_modules", entry), target);
      return target;
    });
    const texts = files.map((path) => ({ path, text: readFileSync(path, "utf8") }));
    const bytes = texts.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
    const mb = bytes / 1024 / 1024;

    let started = process.hrtime.bigint();
    let functions = 0;
    let maxComplexity = 0;
    let stubs = 0;
    let codeLines = 0;
    for (const file of texts) {
      const measures = measureFile(file.path, file.text);
      if (!measures) throw new Error(`not measured: ${file.path}`);
      codeLines += measures.codeLines;
      functions += measures.functions.length;
      for (const f of measures.functions) {
        if (f.complexity > maxComplexity) maxComplexity = f.complexity;
        if (f.stub) stubs++;
      }
    }
    const measureMs = Number(process.hrtime.bigint() - started) / 1e6;

    started = process.hrtime.bigint();
    for (const file of texts) measureWithLezer(file.path, file.text, measuredLanguageOf(file.path) ?? "javascript");
    const lezerMs = Number(process.hrtime.bigint() - started) / 1e6;

    started = process.hrtime.bigint();
    const duplication = findDuplication(texts);
    const duplicationMs = Number(process.hrtime.bigint() - started) / 1e6;

    const rate = (ms: number) => (mb / (ms / 1000)).toFixed(1).padStart(6);
    const peakMb = process.resourceUsage().maxRSS / 1024;
    console.log(`\nCode measures: ${texts.length} files, ${mb.toFixed(1)} MB of node_modules JS/TS (copied to a temp folder)`);
    console.log(
      `  measureFile      ${measureMs.toFixed(0).padStart(7)} ms  ${rate(measureMs)} MB/s  (${functions} functions, ${codeLines} code lines, max complexity ${maxComplexity}, ${stubs} stubs)`,
    );
    console.log(
      `  Lezer (baseline) ${lezerMs.toFixed(0).padStart(7)} ms  ${rate(lezerMs)} MB/s  (measureFile takes ${(measureMs / lezerMs).toFixed(2)}x Lezer's time)`,
    );
    console.log(
      `  findDuplication  ${duplicationMs.toFixed(0).padStart(7)} ms  ${rate(duplicationMs)} MB/s  (${duplication.totalLines} lines, ${duplication.blocks.length} blocks, ${duplication.pct}% duplicated)`,
    );
    console.log(`  total            ${(measureMs + duplicationMs).toFixed(0).padStart(7)} ms  ${rate(measureMs + duplicationMs)} MB/s`);
    console.log(`  peak RSS         ${peakMb.toFixed(0).padStart(7)} MB`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) measuresBenchmark();
