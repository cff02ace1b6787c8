/**
 * The pre-commit check (`br hooks run pre-commit`, what `br hooks install` writes into the hook):
 * one read of the index (one `git diff-index` for what is staged, one `git cat-file --batch` for
 * the staged texts), then the secret and SQL injection scan and, in a BuildRunner project, the fast
 * measure gates (complexity, function length, file length) over the same texts, each code file
 * parsed once. Only what the commit makes worse blocks it: a finding HEAD's version of the file
 * already had, and code already over a limit in HEAD and not made worse, are counted and let
 * through (src/quality/regressions.ts, as `br run` judges a task). HEAD's versions are read, in one
 * more cat-file call, only for the files where something was found.
 */
import type { Config, Severity } from "../infra/config.js";
import { withParseCache } from "../infra/syntax.js";
import { applyBaseline, withoutFindingsIn } from "../security/baseline.js";
import type { Report } from "../security/report.js";
import { fails, type ScanShare, scanResult, scanShare } from "../security/scan.js";
import type { RuleSet } from "../security/secrets/rules.js";
import { readBlobs, type ScanTarget, type StagedChange, stagedChanges, stagedTargets } from "../security/sources.js";
import { type Gate, measureGates } from "./check.js";
import { type CodeFile, stagedCodeFiles } from "./files.js";
import { type FileMeasures, measureFile } from "./measures/index.js";
import { judgedOnChange, LIMIT_GATES, type LimitGate, madeWorse, type Offender, overLimit } from "./regressions.js";

export interface PreCommitOptions {
  /** The folder git runs the hook in (the top of the working tree). */
  root: string;
  /** What is staged, when the caller has listed it (src/security/sources.ts listStaged). */
  changes?: StagedChange[];
  /** The staged blobs by id, when the caller has read them (readBlobsAsync, while it loaded the rules). */
  blobs?: ReadonlyMap<string, Buffer>;
  rules: RuleSet;
  /** Fingerprints the security baseline accepts. */
  accepted: ReadonlySet<string>;
  /** Paths never scanned: the baseline files. */
  skip: readonly string[];
  failOn: Severity;
  /** The project's config in a BuildRunner project, where the fast gates run; undefined outside one. */
  config?: Config;
}

export interface PreCommitResult {
  passed: boolean;
  /** The staged scan, without baselined findings and those HEAD's version of the file already had (summary.inHead). */
  security: Report;
  /** The fast gates over the staged source files; undefined outside a BuildRunner project. */
  quality?: { passed: boolean; gates: Gate[] };
  durationMs: number;
}

/** What is staged, and where git runs. */
interface Staged {
  root: string;
  changes: StagedChange[];
}

export function preCommitCheck(options: PreCommitOptions): PreCommitResult {
  const started = Date.now();
  return withParseCache(() => {
    const { root, config } = options;
    const staged: Staged = { root, changes: options.changes ?? stagedChanges(root) };
    const targets = options.blobs ? stagedTargets(root, staged.changes, options.blobs) : stagedTargets(root, staged.changes);
    const sources = new Map(
      (config ? stagedCodeFiles(root, gapsOptions(config), targets) : []).filter((f) => f.role === "source").map((f) => [f.path, f]),
    );
    const now = readEach(
      targets.filter((t) => !options.skip.includes(t.path)),
      options.rules,
      (path) => sources.get(path)?.text,
    );
    const scanned = applyBaseline(scanResult(now.shares, started), options.accepted);
    const measured = config ? measureGatesOf(config, [...sources.values()], now.measures) : undefined;
    // Only files where something was found are compared with HEAD: a clean commit reads nothing more.
    const overPaths = new Set(measured?.over.map((o) => o.path));
    const head = headTexts(staged, new Set([...scanned.findings.map((f) => f.file), ...overPaths]));
    const before = readEach(
      [...head].map(([path, text]) => ({ path, read: () => Buffer.from(text) })),
      options.rules,
      (path) => (overPaths.has(path) ? head.get(path) : undefined),
    );
    const security = withoutFindingsIn(scanned, scanResult(before.shares, started));
    const quality = measured && config ? judgeGates(measured, before.measures, config) : undefined;
    const secure = !security.findings.some((f) => fails(f, options.failOn));
    return {
      passed: secure && quality?.passed !== false,
      security,
      ...(quality ? { quality } : {}),
      durationMs: Date.now() - started,
    };
  });
}

function gapsOptions(config: Config): { ignore: readonly string[]; tests: readonly string[] } {
  return { ignore: config.gaps.ignore, tests: config.gaps.tests };
}

/**
 * Each target scanned, then measured when `measured` gives its text: one file at a time, so its
 * parsed tree is still in the cache when the second reader asks for it.
 */
function readEach(
  targets: readonly ScanTarget[],
  rules: RuleSet,
  measured: (path: string) => string | undefined,
): { shares: ScanShare[]; measures: Map<string, FileMeasures> } {
  const shares: ScanShare[] = [];
  const measures = new Map<string, FileMeasures>();
  for (const target of targets) {
    shares.push(scanShare([target], rules));
    const text = measured(target.path);
    const m = text === undefined ? undefined : measureFile(target.path, text);
    if (m) measures.set(target.path, m);
  }
  return { shares, measures };
}

interface Measured {
  gates: Gate[];
  measures: ReadonlyMap<string, FileMeasures>;
  /** Everything over the limit of a failing gate, by gate. */
  overByGate: Map<LimitGate, Offender[]>;
  over: Offender[];
}

/** The fast gates over the staged source files, from their measures. */
function measureGatesOf(config: Config, sources: readonly CodeFile[], measures: ReadonlyMap<string, FileMeasures>): Measured {
  const all = sources.flatMap((f) => measures.get(f.path) ?? []);
  const gates = measureGates(sources, config, LIMIT_GATES, " (staged files)", all);
  const overByGate = new Map<LimitGate, Offender[]>();
  for (const gate of gates) {
    if (gate.passed) continue;
    const name = gate.name as LimitGate;
    overByGate.set(
      name,
      all.flatMap((m) => overLimit(name, m, config.gates)),
    );
  }
  return { gates, measures, overByGate, over: [...overByGate.values()].flat() };
}

/** HEAD's text of each suspect file (under its staged path; a renamed file's text from its old path), in one read. */
function headTexts(staged: Staged, suspects: ReadonlySet<string>): Map<string, string> {
  const wanted = staged.changes.filter((c) => suspects.has(c.path) && c.headBlob !== undefined);
  if (wanted.length === 0) return new Map();
  const blobs = readBlobs(
    staged.root,
    wanted.map((c) => c.headBlob as string),
  );
  const texts = new Map<string, string>();
  for (const change of wanted) {
    const blob = blobs.get(change.headBlob as string);
    if (blob) texts.set(change.path, blob.toString("utf8"));
  }
  return texts;
}

/** Failing gates judged on what the commit made worse, against HEAD's measures of the same files. */
function judgeGates(measured: Measured, before: ReadonlyMap<string, FileMeasures>, config: Config): { passed: boolean; gates: Gate[] } {
  const gates = measured.gates.map((gate) => {
    const over = measured.overByGate.get(gate.name as LimitGate);
    if (gate.passed || !over) return gate;
    const name = gate.name as LimitGate;
    const files = new Set(over.map((o) => o.path));
    const worse = [...files].flatMap((path) =>
      madeWorse(name, measured.measures.get(path) as FileMeasures, before.get(path), config.gates),
    );
    return judgedOnChange({ ...gate, name }, over, worse, "in HEAD");
  });
  return { passed: gates.every((g) => g.passed), gates };
}
