/**
 * Secret detection measured on ../shared/eval/secrets (gitleaks' own rule test cases): each record
 * is written to its own file and the built `br security check` scans the folder once. Recall is the
 * share of `secret` records with a finding (literal and generated samples apart); the clean-hit
 * rate is the share of `clean` records (without also_matched_by) with any finding.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { BR } from "./measure.ts";

interface EvalRecord {
  rule: string;
  text: string;
  expect: "secret" | "clean";
  path?: string;
  generated?: boolean;
  also_matched_by?: string[];
}

const EVAL = resolve(import.meta.dirname, "..", "..", "shared", "eval", "secrets", "gitleaks.jsonl");

export function secretsEvaluation(): void {
  if (!existsSync(EVAL)) {
    console.log(`\nSecrets evaluation: ${EVAL} not found, skipped`);
    return;
  }
  const records = readFileSync(EVAL, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EvalRecord);
  const dir = mkdtempSync(join(tmpdir(), "br-secrets-eval-"));
  try {
    records.forEach((record, i) => {
      const file = join(dir, String(i), record.path ?? "sample.txt");
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, record.text);
    });
    const started = Date.now();
    const result = spawnSync(process.execPath, [BR, "security", "check", ".", "--json"], {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
    });
    const ms = Date.now() - started;
    const report = JSON.parse(result.stdout) as { findings: { file: string; rule: string }[] };
    const hits = new Map<number, string[]>();
    for (const f of report.findings) {
      const index = Number(f.file.split("/")[0]);
      hits.set(index, [...(hits.get(index) ?? []), f.rule]);
    }
    const rate = (list: number[]) => (list.length === 0 ? 0 : list.filter((i) => hits.has(i)).length / list.length);
    const idx = records.map((_, i) => i);
    const literal = idx.filter((i) => records[i]?.expect === "secret" && !records[i]?.generated);
    const generated = idx.filter((i) => records[i]?.expect === "secret" && records[i]?.generated);
    const clean = idx.filter((i) => records[i]?.expect === "clean" && !records[i]?.also_matched_by?.length);
    console.log(`\nSecrets evaluation: ${records.length} records from gitleaks' rule tests, scanned in ${ms} ms`);
    console.log(`  recall, literal samples:   ${(rate(literal) * 100).toFixed(1)}% of ${literal.length}  (aim ≥ 97%)`);
    console.log(`  recall, generated samples: ${(rate(generated) * 100).toFixed(1)}% of ${generated.length}  (aim ≥ 95%)`);
    console.log(`  clean records flagged:     ${(rate(clean) * 100).toFixed(1)}% of ${clean.length}  (aim ≤ 3%)`);
    if (process.env.BR_EVAL_VERBOSE === "1") {
      // Which clean records are flagged, by which rules: for studying false positives.
      for (const i of clean.filter((i) => hits.has(i))) {
        const record = records[i] as EvalRecord;
        const rules = [...new Set(hits.get(i))].join(",");
        console.log(`  clean #${i} [${record.rule}] hit by ${rules}: ${JSON.stringify(record.text.slice(0, 120))}`);
      }
    }
    if (process.env.BR_EVAL_VERBOSE === "misses") {
      // Which secret records are missed: for checking recall after a rule change.
      for (const i of [...literal, ...generated].filter((i) => !hits.has(i))) {
        const record = records[i] as EvalRecord;
        console.log(
          `  missed #${i} [${record.rule}]${record.generated ? " (generated)" : ""}: ${JSON.stringify(record.text.slice(0, 120))}`,
        );
      }
    }
    const families = new Map<string, number[]>();
    for (const i of [...literal, ...generated]) {
      const family = records[i]?.rule as string;
      families.set(family, [...(families.get(family) ?? []), i]);
    }
    const weakest = [...families.entries()]
      .map(([family, list]) => ({ family, recall: rate(list), n: list.length }))
      .sort((a, b) => a.recall - b.recall || b.n - a.n);
    console.log(`  rule families: ${weakest.filter((f) => f.recall >= 0.95).length} of ${weakest.length} at ≥ 95% recall; weakest:`);
    for (const f of weakest.slice(0, Number(process.env.EVAL_SHOW ?? 15)))
      console.log(`    ${f.family.padEnd(40)} ${(f.recall * 100).toFixed(0).padStart(3)}% of ${f.n}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) secretsEvaluation();
