/**
 * The secret and SQL injection scan of an attempt, judged by the allowlists as they were when the
 * attempt started: the committed .gitleaks.toml and security baseline, and only the allow comments
 * that were already there. An agent that allowlists its own finding has not fixed it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../infra/config.js";
import { DEFAULT_BASELINE, withoutFindingsIn } from "../../security/baseline.js";
import { mask } from "../../security/mask.js";
import { fails, scanTargets } from "../../security/scan.js";
import { defaultRules, type RuleSet, rulesFromText } from "../../security/secrets/rules.js";
import { withoutNewAllowComments } from "./allow-comments.js";
import type { Violation } from "./violation.js";

export interface SecurityEvidence {
  failing: { file: string; line: number; message: string; match: string }[];
  violations: Violation[];
  durationMs: number;
}

/** The committed version of a file, or undefined when HEAD has none. */
export type ReadCommitted = (path: string) => string | undefined;

function committedRules(committed: ReadCommitted): RuleSet {
  const text = committed(".gitleaks.toml");
  if (text === undefined) return defaultRules();
  try {
    return rulesFromText(text, ".gitleaks.toml (as committed)");
  } catch {
    return defaultRules(); // The committed config was already broken: judge by the defaults.
  }
}

function committedBaseline(committed: ReadCommitted): Set<string> {
  try {
    const data = JSON.parse(committed(DEFAULT_BASELINE) ?? "{}") as { findings?: { fingerprint?: unknown }[] };
    return new Set((data.findings ?? []).map((f) => String(f.fingerprint)));
  } catch {
    return new Set();
  }
}

export function securityEvidence(changedFiles: readonly string[], config: Config, cwd: string, committed: ReadCommitted): SecurityEvidence {
  const started = Date.now();
  const present = changedFiles.filter((f) => existsSync(join(cwd, f)));
  const rules = committedRules(committed);
  const addedAllows = new Map<string, Set<number>>();
  const after = scanTargets(
    present.map((path) => ({
      path,
      read: () => {
        const { text, lines } = withoutNewAllowComments(committed(path), readFileSync(join(cwd, path), "utf8"));
        addedAllows.set(path, lines);
        return Buffer.from(text);
      },
    })),
    rules,
  );
  const before = scanTargets(
    present.map((path) => ({ path, read: () => bufferOf(committed(path)) })),
    rules,
  );
  const accepted = committedBaseline(committed);
  const added = withoutFindingsIn(after, before).findings;
  const failing = added.filter((f) => fails(f, config.security.failOn) && !accepted.has(f.fingerprint));
  const violations: Violation[] = failing
    .filter((f) => addedAllows.get(f.file)?.has(f.line))
    .map((f) => ({
      kind: "allowlist",
      path: f.file,
      message: `added an allow comment for its own finding at ${f.file}:${f.line} (${f.message}); allow comments added by the attempt do not count`,
    }));
  return {
    failing: failing.map((f) => ({ file: f.file, line: f.line, message: f.message, match: mask(f.match) })),
    violations,
    durationMs: Date.now() - started,
  };
}

function bufferOf(text: string | undefined): Buffer | undefined {
  return text === undefined ? undefined : Buffer.from(text);
}
