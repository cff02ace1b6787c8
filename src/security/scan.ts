/**
 * `br security check`: targets from a source, the secret engine over each (and the SQL injection
 * detector over TypeScript, JavaScript and Python), the findings sorted and summarised. Texts over
 * 10 MiB are scanned in overlapping chunks (src/security/chunks.ts), never left out for their size.
 * Binary files and files that cannot be read are skipped and listed with the reason. Lock files
 * and minified code only meet the rules that recognise a secret by its own shape, since their long
 * random-looking strings are hashes and identifiers, not credentials.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SEVERITIES } from "../infra/severity.js";
import { type ByteSource, bufferSource, scanChunks, withFileSource } from "./chunks.js";
import { type SecretFinding, scanText } from "./secrets/engine.js";
import { loadRules, type RuleSet } from "./secrets/rules.js";
import type { ScanTarget } from "./sources.js";
import { isCodeFile, type SqlInjectionFinding, scanCode } from "./sqli/detect.js";

export type Finding = SecretFinding | SqlInjectionFinding;

/** A target that was not scanned, and why; `named` when the user named it on the command line. */
export interface SkippedFile {
  file: string;
  reason: string;
  named?: true;
}

export interface ScanResult {
  findings: Finding[];
  summary: {
    files: number;
    bytes: number;
    durationMs: number;
    bySeverity: Record<string, number>;
    skipped: number;
    skippedFiles: SkippedFile[];
  };
}

const LOCK_FILES =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|poetry\.lock|Pipfile\.lock|uv\.lock|go\.sum|composer\.lock|Gemfile\.lock)$/;
/** Rules that match any long random string near a keyword; not run where such strings are normal. */
const LOOSE_RULES = new Set(["generic-api-key"]);

const MAX_CODE_BYTES = 1024 * 1024;
/** Above this a text is scanned in chunks rather than held as one string. */
const WHOLE_TEXT_BYTES = 10 * 1024 * 1024;
/** A NUL byte this early marks a binary file, as git decides it. */
const BINARY_PROBE_BYTES = 8000;
const BINARY_REASON = `binary (a NUL byte in its first ${BINARY_PROBE_BYTES} bytes)`;

const MINIFIED_LINE = 500;

/** Minified when named so, or when its lines average over 500 characters (counted until that is settled). */
function isMinified(path: string, text: string): boolean {
  if (/\.min\.(js|css)$/.test(path)) return true;
  if (text.length < 5000) return false;
  const enough = text.length / MINIFIED_LINE;
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1 && lines < enough; i = text.indexOf("\n", i + 1)) lines++;
  return lines < enough;
}

export function rulesFor(root: string, configFile: string | undefined): RuleSet {
  const projectConfig = join(root, ".gitleaks.toml");
  const path = configFile ?? (existsSync(projectConfig) ? projectConfig : undefined);
  return loadRules(path, configFile ?? ".gitleaks.toml");
}

/** The rule sets a scan chooses from: all rules, or (for generated files) only those that know a secret by its shape. */
interface RuleChoice {
  all: RuleSet;
  strict: RuleSet;
}

type Scanned = { findings: Finding[]; bytes: number } | { skipped: string };

/** Whether the text holds a NUL byte in its first BINARY_PROBE_BYTES bytes, as git decides binary. */
function binaryText(text: string): boolean {
  const nul = text.indexOf("\0");
  return nul !== -1 && nul < BINARY_PROBE_BYTES && Buffer.byteLength(text.slice(0, nul)) < BINARY_PROBE_BYTES;
}

function scanWhole(target: ScanTarget, buffer: Buffer, rules: RuleChoice): Scanned {
  if (buffer.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { skipped: BINARY_REASON };
  return scanString(target, buffer.toString("utf8"), buffer.length, rules);
}

function scanString(target: ScanTarget, text: string, bytes: number, rules: RuleChoice): Scanned {
  if (binaryText(text)) return { skipped: BINARY_REASON };
  const generated = LOCK_FILES.test(target.path) || isMinified(target.path, text);
  const findings: Finding[] = scanText(text, target.path, generated ? rules.strict : rules.all);
  // Bundled, minified or megabyte-sized code is generated, not where a person writes a query; lines
  // added in a past commit are not parseable code, and injection is a property of the code now.
  if (!generated && target.commit === undefined && text.length <= MAX_CODE_BYTES && isCodeFile(target.path))
    findings.push(...scanCode(text, target.path));
  return { findings, bytes };
}

/** A large text, chunk by chunk: secrets only (code this size is generated, not written by hand). */
function scanLarge(target: ScanTarget, source: ByteSource, rules: RuleChoice): Scanned {
  const head = source.readAt(0, 64 * 1024);
  if (head.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { skipped: BINARY_REASON };
  const chosen = LOCK_FILES.test(target.path) || isMinified(target.path, head.toString("utf8")) ? rules.strict : rules.all;
  // Rules without a pattern report the file itself: once, from the first chunk.
  const placed: RuleSet = { rules: chosen.rules.filter((r) => r.regex !== undefined), allowlists: chosen.allowlists };
  const findings = scanChunks(source, (text, first) => scanText(text, target.path, first ? chosen : placed));
  return { findings, bytes: source.size };
}

function scanTarget(target: ScanTarget, rules: RuleChoice): Scanned {
  if (target.file !== undefined) {
    const size = target.size ?? statSync(target.file).size;
    if (size > WHOLE_TEXT_BYTES) return withFileSource(target.file, size, (source) => scanLarge(target, source, rules));
    // Decoded as it is read: no buffer to copy into a string.
    return scanString(target, readFileSync(target.file, "utf8"), size, rules);
  }
  const buffer = target.read();
  if (!buffer) return { skipped: "its content could not be read" };
  return buffer.length > WHOLE_TEXT_BYTES ? scanLarge(target, bufferSource(buffer), rules) : scanWhole(target, buffer, rules);
}

function readProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `it could not be read (${message})`;
}

/** What one share of the targets gave: findings unsorted, skipped files in target order. */
export interface ScanShare {
  findings: Finding[];
  skippedFiles: SkippedFile[];
  files: number;
  bytes: number;
}

export function scanShare(targets: Iterable<ScanTarget>, rules: RuleSet): ScanShare {
  const choice: RuleChoice = {
    all: rules,
    strict: { rules: rules.rules.filter((r) => !LOOSE_RULES.has(r.id)), allowlists: rules.allowlists },
  };
  const share: ScanShare = { findings: [], skippedFiles: [], files: 0, bytes: 0 };
  for (const target of targets) {
    let scanned: Scanned;
    try {
      scanned = scanTarget(target, choice);
    } catch (error) {
      scanned = { skipped: readProblem(error) };
    }
    if ("skipped" in scanned) {
      share.skippedFiles.push({ file: target.path, reason: scanned.skipped, ...(target.named ? { named: true as const } : {}) });
      continue;
    }
    share.files++;
    share.bytes += scanned.bytes;
    share.findings.push(...scanned.findings);
  }
  return share;
}

/** The shares of one scan as its result: findings in file and line order, counts summed. */
export function scanResult(shares: readonly ScanShare[], started: number): ScanResult {
  const findings = shares.flatMap((s) => s.findings);
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  const skippedFiles = shares.flatMap((s) => s.skippedFiles);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]));
  const files = shares.reduce((sum, s) => sum + s.files, 0);
  const bytes = shares.reduce((sum, s) => sum + s.bytes, 0);
  const summary = { files, bytes, durationMs: Date.now() - started, bySeverity, skipped: skippedFiles.length, skippedFiles };
  return { findings, summary };
}

export function scanTargets(targets: readonly ScanTarget[], rules: RuleSet): ScanResult {
  const started = Date.now();
  return scanResult([scanShare(targets, rules)], started);
}

/** Whether a finding is at or above the failing severity. */
export function fails(finding: Finding, failOn: (typeof SEVERITIES)[number]): boolean {
  return SEVERITIES.indexOf(finding.severity) <= SEVERITIES.indexOf(failOn);
}
