/**
 * The secret engine: rules against one text at a time, whatever the source (working tree, staged
 * blobs, history, stdin). A keyword prefilter keeps most rules from ever running a regex on a
 * file (src/security/secrets/keywords.ts); what a regex finds must then pass entropy, stop words, allowlists and inline allow
 * comments. Findings carry the secret masked and a stable fingerprint.
 */

import { nodeCrypto } from "../../infra/crypto.js";
import { shannonEntropy } from "../entropy.js";
import type { FindingFields } from "../finding.js";
import { maskValue } from "../mask.js";
import { KeywordMatcher } from "./keywords.js";
import type { Allowlist, RuleSet, SecretRule } from "./rules.js";

export interface SecretFinding extends FindingFields {
  kind: "secret";
  severity: SecretRule["severity"];
  /** From --since/--history: the full sha of the commit that added the line. */
  commit?: string;
}

/** Comments that allow a finding on their line. */
const INLINE_ALLOW = /\b(?:br|gitleaks):allow\b/;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** A line of a text: [start, end) without its newline, as `text.split("\n")` has it. */
interface Line {
  start: number;
  end: number;
  text: string;
}

/** The line holding `offset`; the last one asked is kept, as a long line (minified code) holds many matches. */
export function lineAround(text: string, offset: number, last?: Line): Line {
  if (last && offset >= last.start && offset <= last.end) return last;
  const start = offset === 0 ? 0 : text.lastIndexOf("\n", offset - 1) + 1;
  const found = text.indexOf("\n", offset);
  const end = found === -1 ? text.length : found;
  return { start, end, text: text.slice(start, end) };
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function allowed(lists: readonly Allowlist[], file: string, secret: string, match: string, line: string): boolean {
  const lower = secret.toLowerCase();
  for (const list of lists) {
    if (list.paths.some((p) => p.test(file))) return true;
    if (list.stopwords.some((w) => lower.includes(w))) return true;
    const target = list.regexTarget === "match" ? match : list.regexTarget === "line" ? line : secret;
    for (const regex of list.regexes) {
      regex.lastIndex = 0;
      if (regex.test(target)) return true;
    }
  }
  return false;
}

/** A path-only rule (the file name is the secret), or a regex rule restricted to some paths. */
function pathApplies(rule: SecretRule, file: string): boolean {
  if (!rule.path) return true;
  rule.path.lastIndex = 0;
  return rule.path.test(file);
}

/** Each rule set's keyword matcher, built at its first scan. */
const keywordMatchers = new WeakMap<RuleSet, KeywordMatcher>();

function presentKeywords(text: string, ruleSet: RuleSet): Set<string> {
  let matcher = keywordMatchers.get(ruleSet);
  if (!matcher) {
    matcher = new KeywordMatcher(ruleSet.rules.flatMap((r) => r.keywords));
    keywordMatchers.set(ruleSet, matcher);
  }
  return matcher.present(text);
}

export function scanText(text: string, file: string, ruleSet: RuleSet): SecretFinding[] {
  const findings: SecretFinding[] = [];
  if (ruleSet.allowlists.some((list) => list.paths.some((p) => p.test(file)))) return findings;
  const present = presentKeywords(text, ruleSet);
  const has = (keyword: string) => present.has(keyword);
  const scanned: ScannedText = { text, file, ruleSet, starts: undefined, line: undefined, spans: new WeakMap() };
  for (const rule of ruleSet.rules) {
    if (!pathApplies(rule, file)) continue;
    if (!rule.regex) {
      findings.push(finding(rule, file, 1, 1, 1, file, ruleSet));
      continue;
    }
    if (rule.keywords.length > 0 && !rule.keywords.some(has)) continue;
    findings.push(...regexFindings(rule, rule.regex, scanned));
  }
  return findings.length > 1 ? onePerSpan(findings, scanned.spans) : findings;
}

/**
 * One finding per secret: where two findings' secrets overlap, a specific rule wins over a generic
 * one, then the longer secret, then the rule listed first (findings arrive in rule order).
 */
export function onePerSpan(findings: SecretFinding[], spans: WeakMap<SecretFinding, Span>): SecretFinding[] {
  // A path-only finding (the file name is the secret) has no span and overlaps nothing.
  const rank = (f: SecretFinding) => spans.get(f) ?? { start: 0, end: 0, generic: false };
  const order = findings.map((f, i) => ({ f, i })).sort((a, b) => compareSpans(rank(a.f), rank(b.f)) || a.i - b.i);
  const kept: { f: SecretFinding; i: number }[] = [];
  for (const candidate of order) {
    const span = rank(candidate.f);
    const winner = kept.find((k) => overlaps(rank(k.f), span));
    if (!winner) kept.push(candidate);
    // The secret keeps the gravest judgement made of it: a medium JWT rule must not let a high
    // password finding on the same value pass a `failOn: high` gate.
    else if (SEVERITY_RANK[candidate.f.severity] > SEVERITY_RANK[winner.f.severity]) winner.f.severity = candidate.f.severity;
  }
  return kept.sort((a, b) => a.i - b.i).map((k) => k.f);
}

const SEVERITY_RANK: Record<SecretFinding["severity"], number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Where a finding's secret sits in the text, and whether its rule is generic. */
export interface Span {
  start: number;
  end: number;
  generic: boolean;
}

function compareSpans(a: Span, b: Span): number {
  return Number(a.generic) - Number(b.generic) || b.end - b.start - (a.end - a.start);
}

function overlaps(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end;
}

/** The text being scanned; its line starts are computed at the first finding (most texts have none). */
interface ScannedText {
  text: string;
  file: string;
  ruleSet: RuleSet;
  starts: number[] | undefined;
  /** The line of the last match looked at. */
  line: Line | undefined;
  /** Each finding's secret as offsets in the text, for keeping one finding per secret. */
  spans: WeakMap<SecretFinding, Span>;
}

function regexFindings(rule: SecretRule, regex: RegExp, scanned: ScannedText): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const { text } = scanned;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    if (m[0] === "") {
      regex.lastIndex++;
      continue;
    }
    const found = matchFinding(rule, m, scanned);
    if (found) findings.push(found);
  }
  return findings;
}

/** A match as a finding, unless its secret is too regular (entropy) or the line or an allowlist allows it. */
function matchFinding(rule: SecretRule, m: RegExpExecArray, scanned: ScannedText): SecretFinding | undefined {
  const { file, ruleSet } = scanned;
  const groupIndex = rule.secretGroup ?? m.slice(1).findIndex((g) => g !== undefined) + 1;
  const secret = (groupIndex > 0 ? m[groupIndex] : m[0]) ?? m[0];
  if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) return undefined;
  const { text } = scanned;
  const offset = m.index + Math.max(0, m[0].indexOf(secret));
  const last = m.index + m[0].length - 1;
  // The lines around the match, read where they are: most matches end allowed, and never need the file's line numbers.
  const line = lineAround(text, offset, scanned.line);
  const endLine = lineAround(text, last, line);
  scanned.line = endLine;
  const lineText = line.text;
  if (INLINE_ALLOW.test(lineText) || (endLine !== line && INLINE_ALLOW.test(endLine.text))) return undefined;
  if (allowed(rule.allowlists, file, secret, m[0], lineText) || allowed(ruleSet.allowlists, file, secret, m[0], lineText)) return undefined;
  scanned.starts ??= lineStarts(text);
  const { starts } = scanned;
  const lineIndex = lineOf(starts, offset);
  const endIndex = lineOf(starts, last);
  const found = finding(rule, file, lineIndex + 1, endIndex + 1, offset - (starts[lineIndex] as number) + 1, secret, ruleSet);
  scanned.spans.set(found, { start: offset, end: offset + secret.length, generic: rule.generic });
  return found;
}

function finding(
  rule: SecretRule,
  file: string,
  line: number,
  endLine: number,
  column: number,
  secret: string,
  _set: RuleSet,
): SecretFinding {
  return {
    kind: "secret",
    rule: rule.id,
    severity: rule.severity,
    file,
    line,
    endLine,
    column,
    message: `${rule.description} (${rule.id})`,
    match: maskValue(secret),
    // Stable across line moves: what was found where, never the secret itself in clear.
    fingerprint: nodeCrypto().createHash("sha256").update(`${rule.id}\0${file}\0${secret}`).digest("hex").slice(0, 32),
  };
}
