/**
 * SQL injection detection measured on ../shared/eval/sqli (semgrep's rule test files): the built
 * `br security check` scans a copy of the fixture files once, and each marked line is scored as the
 * eval's README says: a `flag` line is found when a finding's line range covers it, or the finding
 * falls within the statement starting there; any finding on an `ok` line is a false positive.
 * Reported overall and per file. BR_EVAL_VERBOSE=1 lists the lines missed and the false positives.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parser as jsParser } from "@lezer/javascript";
import { parser as pyParser } from "@lezer/python";
import { BR } from "./measure.ts";

interface Marked {
  file: string;
  line: number;
  expect: "flag" | "ok";
  rule: string;
}
interface Finding {
  kind: string;
  file: string;
  line: number;
  endLine: number;
}

const EVAL = resolve(import.meta.dirname, "..", "..", "shared", "eval", "sqli");

/** The [start, end] lines of the statement that begins on `line` (the line itself when none does). */
function statementRange(text: string, path: string, line: number): [number, number] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  const lineOf = (offset: number) => {
    let n = 0;
    while (n + 1 < starts.length && (starts[n + 1] as number) <= offset) n++;
    return n + 1;
  };
  const tree = path.endsWith(".py")
    ? pyParser.parse(text)
    : jsParser.configure({ dialect: path.endsWith(".ts") ? "ts" : "jsx" }).parse(text);
  let best: [number, number] = [line, line];
  tree.iterate({
    enter(node) {
      if (!/Statement$|Declaration$|Definition$/.test(node.name)) return;
      const start = lineOf(node.from);
      if (start === line) {
        const end = lineOf(Math.max(node.from, node.to - 1));
        if (end > best[1]) best = [line, end];
      }
    },
  });
  return best;
}

export function sqliEvaluation(): void {
  const index = join(EVAL, "index.jsonl");
  if (!existsSync(index)) {
    console.log(`\nSQL injection evaluation: ${index} not found, skipped`);
    return;
  }
  const marked = readFileSync(index, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Marked);
  const dir = mkdtempSync(join(tmpdir(), "br-sqli-eval-"));
  try {
    for (const folder of ["javascript", "typescript", "python"]) cpSync(join(EVAL, folder), join(dir, folder), { recursive: true });
    const run = spawnSync(process.execPath, [BR, "security", "check", "--json", "."], {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings.filter((f) => f.kind === "sql-injection");
    const perFile = new Map<string, { flag: number; found: number; ok: number; falsePositive: number }>();
    const verbose = process.env.BR_EVAL_VERBOSE === "1";
    for (const mark of marked) {
      const text = readFileSync(join(EVAL, mark.file), "utf8");
      const inFile = findings.filter((f) => f.file === mark.file);
      const stats = perFile.get(mark.file) ?? { flag: 0, found: 0, ok: 0, falsePositive: 0 };
      perFile.set(mark.file, stats);
      if (mark.expect === "flag") {
        const [start, end] = statementRange(text, mark.file, mark.line);
        const hit = inFile.some((f) => (f.line <= mark.line && mark.line <= f.endLine) || (f.line >= start && f.line <= end));
        stats.flag++;
        if (hit) stats.found++;
        else if (verbose) console.log(`  missed ${mark.file}:${mark.line} (${mark.rule})`);
      } else {
        const hit = inFile.some((f) => f.line <= mark.line && mark.line <= f.endLine);
        stats.ok++;
        if (hit) {
          stats.falsePositive++;
          if (verbose) console.log(`  false positive ${mark.file}:${mark.line} (${mark.rule})`);
        }
      }
    }
    const total = [...perFile.values()].reduce(
      (t, s) => ({ flag: t.flag + s.flag, found: t.found + s.found, ok: t.ok + s.ok, falsePositive: t.falsePositive + s.falsePositive }),
      { flag: 0, found: 0, ok: 0, falsePositive: 0 },
    );
    const pct = (n: number, d: number) => (d === 0 ? "   -  " : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
    console.log(`\nSQL injection evaluation (${marked.length} marked lines in ${perFile.size} files of ../shared/eval/sqli)`);
    console.log(`  flag lines found: ${pct(total.found, total.flag)} (${total.found}/${total.flag}; aim ≥ 85%)`);
    console.log(`  ok lines flagged: ${pct(total.falsePositive, total.ok)} (${total.falsePositive}/${total.ok}; aim ≤ 10%)`);
    console.log("  per file: found/flag  flagged/ok");
    for (const [file, s] of [...perFile].sort()) {
      console.log(`    ${`${s.found}/${s.flag}`.padStart(6)}  ${`${s.falsePositive}/${s.ok}`.padStart(6)}  ${file}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) sqliEvaluation();
