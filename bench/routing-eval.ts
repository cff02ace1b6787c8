/**
 * The task complexity estimator measured on ../shared/eval/routing (SWE-bench Verified issue texts
 * with human time-to-fix annotations): the ranking quality of the score (AUC for "not a <15 min
 * fix"), the same for text length alone as a baseline, the tiers against the four time buckets, and
 * throughput. The estimator's weights are not fitted to this set; it only measures them.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_THRESHOLDS, estimateComplexity, tierForScore } from "../src/routing/estimate.ts";

interface RoutingRecord {
  id: string;
  text: string;
  label: string;
  label_ordinal: number;
}

const EVAL = resolve(import.meta.dirname, "..", "..", "shared", "eval", "routing", "swebench-verified-dev.jsonl");
const BUCKETS = ["<15 min fix", "15 min - 1 hour", "1-4 hours", ">4 hours"];
const TIERS = ["haiku", "sonnet", "opus"] as const;
const REPETITIONS = 20;

/** Probability that a random positive scores above a random negative (ties count half). */
export function auc(scores: readonly number[], positive: readonly boolean[]): number {
  const ranked = scores.map((score, i) => ({ score, pos: positive[i] === true })).sort((a, b) => a.score - b.score);
  let rankSum = 0;
  let nPos = 0;
  for (let i = 0; i < ranked.length; ) {
    let j = i;
    while (j < ranked.length && ranked[j]?.score === ranked[i]?.score) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (ranked[k]?.pos) {
        rankSum += midRank;
        nPos++;
      }
    }
    i = j;
  }
  const nNeg = ranked.length - nPos;
  if (nPos === 0 || nNeg === 0) return 0.5;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** A 95% interval of the AUC from a seeded bootstrap over the records (the set is small: 250). */
function aucInterval(scores: readonly number[], positive: readonly boolean[], rounds = 1000): [number, number] {
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const values: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s: number[] = [];
    const p: boolean[] = [];
    for (let i = 0; i < scores.length; i++) {
      const k = Math.floor(random() * scores.length);
      s.push(scores[k] ?? 0);
      p.push(positive[k] === true);
    }
    values.push(auc(s, p));
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(rounds * 0.025)] ?? 0, values[Math.floor(rounds * 0.975)] ?? 0];
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const range = ([lo, hi]: [number, number]) => `95% CI ${lo.toFixed(2)}–${hi.toFixed(2)}`;

export function routingEvaluation(): void {
  if (!existsSync(EVAL)) {
    console.log(`\nRouting evaluation: ${EVAL} not found, skipped`);
    return;
  }
  const records = readFileSync(EVAL, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RoutingRecord);
  const positive = records.map((r) => r.label_ordinal > 0);
  const estimates = records.map((r) => estimateComplexity({ text: r.text }));
  const scores = estimates.map((e) => e.score);
  const lengths = records.map((r) => r.text.length);

  const throughput = (texts: readonly string[]) => {
    const started = process.hrtime.bigint();
    for (let rep = 0; rep < REPETITIONS; rep++) for (const text of texts) estimateComplexity({ text });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const chars = texts.reduce((a, t) => a + t.length, 0);
    return { perSecond: (texts.length * REPETITIONS) / seconds, meanChars: chars / texts.length };
  };
  const full = throughput(records.map((r) => r.text));
  // Planned tasks and `--batch` lines are usually a sentence or two: the issue titles stand in for them.
  const short = throughput(records.map((r) => r.text.split("\n")[0] ?? ""));

  const scoreAuc = auc(scores, positive);
  const longer = records.map((r) => r.label_ordinal >= 2);
  console.log(`\nRouting evaluation: ${records.length} SWE-bench Verified issues with human time-to-fix labels`);
  console.log(
    `  AUC of the score for "not <15 min fix":  ${scoreAuc.toFixed(3)}  (${range(aucInterval(scores, positive))}; aim ≥ 0.70)  ${scoreAuc >= 0.7 ? "met" : "NOT met"}`,
  );
  console.log(
    `  AUC of text length alone (baseline):     ${auc(lengths, positive).toFixed(3)}  (${range(aucInterval(lengths, positive))})`,
  );
  console.log(
    `  AUC for "≥ 1-4 hours" (${longer.filter(Boolean).length} records): score ${auc(scores, longer).toFixed(3)}, length ${auc(lengths, longer).toFixed(3)}`,
  );
  console.log(`  tiers (thresholds sonnet ≥ ${DEFAULT_THRESHOLDS.sonnet}, opus ≥ ${DEFAULT_THRESHOLDS.opus}) against time buckets:`);
  console.log(`    ${"".padEnd(8)}${BUCKETS.map((b) => pad(b, 17)).join("")}`);
  for (const tier of TIERS) {
    const row = BUCKETS.map((_, ordinal) =>
      records.reduce((n, r, i) => n + (r.label_ordinal === ordinal && tierForScore(scores[i] ?? 0) === tier ? 1 : 0), 0),
    );
    console.log(`    ${tier.padEnd(8)}${row.map((n) => pad(n, 17)).join("")}`);
  }
  const medians = BUCKETS.map((_, ordinal) => {
    const s = scores.filter((_, i) => records[i]?.label_ordinal === ordinal).sort((a, b) => a - b);
    return s.length === 0 ? "-" : String(s[Math.floor(s.length / 2)]);
  });
  console.log(`    ${"median".padEnd(8)}${medians.map((m) => pad(m, 17)).join("")}`);
  const rate = (t: { perSecond: number; meanChars: number }) =>
    `${Math.round(t.perSecond).toLocaleString("en-US")} records/s (mean ${Math.round(t.meanChars)} chars)`;
  console.log(`  throughput over ${REPETITIONS} passes: whole issues ${rate(full)}; titles only ${rate(short)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) routingEvaluation();
