/**
 * `br security check`: targets from a source, the secret engine over each (and the SQL injection
 * detector over TypeScript, JavaScript and Python), the findings sorted and summarised. Binary files are skipped; lock files and minified code only meet the rules that
 * recognise a secret by its own shape, since their long random-looking strings are hashes and
 * identifiers, not credentials.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SEVERITIES } from "../infra/config.js";
import { type SecretFinding, scanText } from "./secrets/engine.js";
import { loadRules, type RuleSet } from "./secrets/rules.js";
import type { ScanTarget } from "./sources.js";
import { isCodeFile, type SqlInjectionFinding, scanCode } from "./sqli/detect.js";

export type Finding = SecretFinding | SqlInjectionFinding;

export interface ScanResult {
  findings: Finding[];
  summary: { files: number; bytes: number; durationMs: number; bySeverity: Record<string, number>; skipped: number };
}

const LOCK_FILES =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|poetry\.lock|Pipfile\.lock|uv\.lock|go\.sum|composer\.lock|Gemfile\.lock)$/;
/** Rules that match any long random string near a keyword; not run where such strings are normal. */
const LOOSE_RULES = new Set(["generic-api-key"]);

const MAX_CODE_BYTES = 1024 * 1024;

function isMinified(path: string, text: string): boolean {
  if (/\.min\.(js|css)$/.test(path)) return true;
  if (text.length < 5000) return false;
  const newlines = text.split("\n").length;
  return text.length / newlines > 500;
}

export function rulesFor(root: string, configFile: string | undefined): RuleSet {
  const projectConfig = join(root, ".gitleaks.toml");
  const path = configFile ?? (existsSync(projectConfig) ? projectConfig : undefined);
  return loadRules(path, configFile ?? ".gitleaks.toml");
}

export function scanTargets(targets: readonly ScanTarget[], rules: RuleSet): ScanResult {
  const started = Date.now();
  const strict: RuleSet = { rules: rules.rules.filter((r) => !LOOSE_RULES.has(r.id)), allowlists: rules.allowlists };
  const findings: Finding[] = [];
  let bytes = 0;
  let files = 0;
  let skipped = 0;
  for (const target of targets) {
    let buffer: Buffer | undefined;
    try {
      buffer = target.read();
    } catch {
      buffer = undefined;
    }
    if (!buffer || buffer.subarray(0, 8000).includes(0)) {
      skipped++;
      continue;
    }
    const text = buffer.toString("utf8");
    files++;
    bytes += buffer.length;
    const generated = LOCK_FILES.test(target.path) || isMinified(target.path, text);
    findings.push(...scanText(text, target.path, generated ? strict : rules));
    // Bundled, minified or megabyte-sized code is generated, not where a person writes a query; lines
    // added in a past commit are not parseable code, and injection is a property of the code now.
    if (!generated && target.commit === undefined && text.length <= MAX_CODE_BYTES && isCodeFile(target.path))
      findings.push(...scanCode(text, target.path));
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]));
  return { findings, summary: { files, bytes, durationMs: Date.now() - started, bySeverity, skipped } };
}

/** Whether a finding is at or above the failing severity. */
export function fails(finding: Finding, failOn: (typeof SEVERITIES)[number]): boolean {
  return SEVERITIES.indexOf(finding.severity) <= SEVERITIES.indexOf(failOn);
}
