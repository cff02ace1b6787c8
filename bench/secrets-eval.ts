/**
 * Secret detection measured on labelled corpora: every `*.jsonl` in ../shared/eval/secrets (other
 * projects' rule tests, see its README) and this project's own breadth corpus
 * (test/unit/secret-corpus.ts). Each record is written to its own file and the built `br security check`
 * scans the folder once; secretlint (recommended preset) scans the same folder in the same run, so
 * recall, clean hits and time are side by side. Recall is the share of `secret` records with a
 * finding (literal and generated samples apart); the clean-hit rate is the share of `clean` records
 * (without also_matched_by) with any finding.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { breadthCorpus } from "../test/unit/secret-corpus.ts";
import { BR } from "./measure.ts";

interface EvalRecord {
  rule: string;
  text: string;
  expect: "secret" | "clean";
  path?: string;
  generated?: boolean;
  also_matched_by?: string[];
}

const ROOT = resolve(import.meta.dirname, "..");
const SHARED = resolve(ROOT, "..", "shared", "eval", "secrets");
/**
 * Upstream rules whose clean records pass only because the scanner lists those exact values (gitleaks
 * allowlists published example keys by value). br keeps no such list: flagging a real-shaped key is
 * right, so these records are counted apart from the clean-hit aim.
 */
const EXACT_VALUE_ALLOWLISTED = new Set(["gcp-api-key"]);

/** Record index → rules that fired on its file. */
type Hits = Map<number, string[]>;

function readCorpus(file: string): EvalRecord[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EvalRecord);
}

function writeRecords(records: EvalRecord[], dir: string): void {
  records.forEach((record, i) => {
    const file = join(dir, String(i), record.path ?? "sample.txt");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, record.text);
  });
}

function addHit(hits: Hits, relative: string, rule: string): void {
  const index = Number(relative.split("/")[0]);
  hits.set(index, [...(hits.get(index) ?? []), rule]);
}

function brHits(dir: string): { hits: Hits; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [BR, "security", "check", ".", "--json"], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  const report = JSON.parse(result.stdout) as { findings: { file: string; rule: string }[] };
  const hits: Hits = new Map();
  for (const f of report.findings) addHit(hits, f.file, f.rule);
  return { hits, ms };
}

function secretlintHits(dir: string): { hits: Hits; ms: number } | undefined {
  const bin = join(ROOT, "node_modules", ".bin", "secretlint");
  if (!existsSync(bin)) return undefined;
  const rc = join(mkdtempSync(join(tmpdir(), "br-secretlint-rc-")), ".secretlintrc.json");
  writeFileSync(rc, JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] }));
  // To a file: secretlint exits before a large report has drained through a pipe.
  const output = join(dirname(rc), "report.json");
  const started = Date.now();
  spawnSync(bin, ["**/*", "--secretlintrc", rc, "--format", "json", "--no-color", "--output", output], { cwd: dir, encoding: "utf8" });
  const ms = Date.now() - started;
  const hits: Hits = new Map();
  const files = JSON.parse(existsSync(output) ? readFileSync(output, "utf8") : "[]") as {
    filePath: string;
    messages: { ruleId: string }[];
  }[];
  for (const f of files) for (const m of f.messages) addHit(hits, f.filePath.slice(dir.length + 1), m.ruleId);
  return { hits, ms };
}

interface Groups {
  literal: number[];
  generated: number[];
  clean: number[];
  exactValue: number[];
}

function groups(records: EvalRecord[]): Groups {
  const idx = records.map((_, i) => i);
  const isClean = (r: EvalRecord) => r.expect === "clean" && !r.also_matched_by?.length;
  return {
    literal: idx.filter((i) => records[i]?.expect === "secret" && !records[i]?.generated),
    generated: idx.filter((i) => records[i]?.expect === "secret" && records[i]?.generated),
    clean: idx.filter((i) => isClean(records[i] as EvalRecord) && !EXACT_VALUE_ALLOWLISTED.has(records[i]?.rule as string)),
    exactValue: idx.filter((i) => isClean(records[i] as EvalRecord) && EXACT_VALUE_ALLOWLISTED.has(records[i]?.rule as string)),
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const rateOf = (hits: Hits) => (list: number[]) => (list.length === 0 ? 0 : list.filter((i) => hits.has(i)).length / list.length);

function printScores(label: string, hits: Hits, g: Groups, ms: number): void {
  const rate = rateOf(hits);
  const parts = [
    `recall ${percent(rate(g.literal))} literal (${g.literal.length})`,
    g.generated.length ? `${percent(rate(g.generated))} generated (${g.generated.length})` : "",
    `clean hits ${percent(rate(g.clean))} of ${g.clean.length}`,
    g.exactValue.length ? `exact-value-allowlisted hits ${g.exactValue.filter((i) => hits.has(i)).length} of ${g.exactValue.length}` : "",
    `${ms} ms`,
  ];
  console.log(`  ${label.padEnd(10)} ${parts.filter(Boolean).join(" · ")}`);
}

function printFamilies(records: EvalRecord[], hits: Hits, g: Groups): void {
  const rate = rateOf(hits);
  const families = new Map<string, { secrets: number[]; clean: number[] }>();
  const family = (i: number) => {
    const name = records[i]?.rule as string;
    if (!families.has(name)) families.set(name, { secrets: [], clean: [] });
    return families.get(name) as { secrets: number[]; clean: number[] };
  };
  for (const i of [...g.literal, ...g.generated]) family(i).secrets.push(i);
  for (const i of g.clean) family(i).clean.push(i);
  const rows = [...families.entries()]
    .map(([name, f]) => ({
      name,
      recall: rate(f.secrets),
      n: f.secrets.length,
      cleanHits: f.clean.filter((i) => hits.has(i)).length,
      nClean: f.clean.length,
    }))
    .sort((a, b) => a.recall - b.recall || b.cleanHits - a.cleanHits || b.n - a.n);
  const good = rows.filter((r) => r.n === 0 || r.recall >= 0.95).length;
  console.log(`  rule families: ${good} of ${rows.length} at ≥ 95% recall; weakest first:`);
  for (const r of rows.slice(0, Number(process.env.EVAL_SHOW ?? 12))) {
    const clean = r.nClean ? `   clean hits ${r.cleanHits} of ${r.nClean}` : "";
    console.log(`    ${r.name.padEnd(40)} ${r.n ? `${(r.recall * 100).toFixed(0).padStart(3)}% of ${r.n}` : "  (clean only)"}${clean}`);
  }
}

/** BR_EVAL_VERBOSE=1 lists flagged clean records, =misses the missed secrets: for studying a rule change. */
function printDetails(records: EvalRecord[], hits: Hits, g: Groups): void {
  const show = (i: number, what: string) => {
    const r = records[i] as EvalRecord;
    console.log(
      `  ${what} #${i} [${r.rule}]${r.generated ? " (generated)" : ""} ${[...new Set(hits.get(i) ?? [])].join(",")}: ${JSON.stringify(r.text.slice(0, 120))}`,
    );
  };
  if (process.env.BR_EVAL_VERBOSE === "1") for (const i of g.clean.filter((i) => hits.has(i))) show(i, "clean hit");
  if (process.env.BR_EVAL_VERBOSE === "misses")
    for (const i of [...g.literal, ...g.generated].filter((i) => !hits.has(i))) show(i, "missed");
}

function evaluateCorpus(label: string, records: EvalRecord[]): void {
  const dir = mkdtempSync(join(tmpdir(), "br-secrets-eval-"));
  try {
    writeRecords(records, dir);
    const g = groups(records);
    console.log(`\nSecrets evaluation: ${label} (${records.length} records)`);
    const br = brHits(dir);
    printScores("br", br.hits, g, br.ms);
    const peer = process.env.BR_EVAL_PEER === "0" ? undefined : secretlintHits(dir);
    if (peer) {
      printScores("secretlint", peer.hits, g, peer.ms);
      console.log(`  ratio: br takes ${(br.ms / peer.ms).toFixed(2)}x secretlint's time on this corpus`);
    }
    printFamilies(records, br.hits, g);
    printDetails(records, br.hits, g);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every corpus in ../shared/eval/secrets, br's generated breadth corpus, and any file named in BR_EVAL_EXTRA (colon-separated). */
export function secretsEvaluation(): void {
  const shared = existsSync(SHARED)
    ? readdirSync(SHARED)
        .filter((f) => f.endsWith(".jsonl"))
        .map((f) => join(SHARED, f))
    : [];
  const extra = (process.env.BR_EVAL_EXTRA ?? "").split(":").filter(Boolean);
  if (shared.length === 0) console.log(`\nSecrets evaluation: no corpus in ${SHARED}; only br's own corpus is scored`);
  console.log("\nAims: recall ≥ 97% on gitleaks' tests and ≥ 85% on other suites; clean hits ≤ 3% on gitleaks' tests, ≤ 8% elsewhere.");
  for (const file of [...shared, ...extra]) evaluateCorpus(file.slice(resolve(ROOT, "..").length + 1) || file, readCorpus(file));
  evaluateCorpus("br's breadth corpus (test/unit/secret-corpus.ts)", breadthCorpus());
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) secretsEvaluation();
