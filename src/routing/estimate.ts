/**
 * Task complexity estimator (SPEC §8): scores a task 0..100 from its text and structure, for
 * `br model route` and `br run` to pick a model tier. The score starts at a base and every signal
 * adds or removes round points (size of the explanation, distinct code symbols and modules named,
 * reproduction size, several requests in one task, broad or narrow scope, an unknown cause, a
 * pinpointed fix, the category, risk areas, files, dependencies and acceptance criteria); each
 * signal is explained in `reasons`. Lexicons, weights and thresholds live in
 * data/complexity-signals.json. All patterns are compiled once, when the module loads.
 *
 * Every pattern runs in time linear in its input: no two quantifiers in a row can match the same
 * characters (so a failed match cannot retry every split of a long run of letters or spaces), and a
 * lazy scan to a closing marker is done with indexOf. test/routing-estimate.test.ts guards this
 * with long words, lines of spaces and unclosed comments.
 */
import signals from "../../data/complexity-signals.json" with { type: "json" };

export interface TaskText {
  text: string;
  title?: string;
  files?: readonly string[];
  dependsOn?: readonly string[];
  acceptance?: readonly string[];
  kind?: string;
}

export interface Estimate {
  /** Integer 0..100: expected effort. */
  score: number;
  /** Short explanations of what raised or lowered the score, largest effect first. */
  reasons: string[];
}

export type ComplexityTier = "haiku" | "sonnet" | "opus";

export interface Thresholds {
  /** Lowest score routed to sonnet. */
  sonnet: number;
  /** Lowest score routed to opus. */
  opus: number;
}

/** A count turned into points: `each` per item above `free`, or `perDoubling` per doubling above it; capped. */
export interface Scale {
  free: number;
  each?: number;
  perDoubling?: number;
  max?: number;
  min?: number;
}

export interface Lexicon extends Scale {
  words: string[];
}

export interface ComplexitySignals {
  base: number;
  thresholds: Thresholds;
  prose: Scale & { shortBelow: number; shortPoints: number };
  title: Scale;
  symbols: Scale;
  modules: Scale;
  reproduction: Scale;
  requests: Lexicon;
  additions: Lexicon;
  broadScope: Lexicon;
  narrowScope: Lexicon;
  uncertainty: Lexicon;
  questions: Scale;
  pinpointed: { patchPoints: number; lineReferencePoints: number; sizeFactor: number; diagnosis: { words: string[]; points: number } };
  traceback: { points: number };
  categories: {
    order: string[];
    default: string;
    kinds: Record<string, { label: string; points: number; titleStarts: string[]; titleWords: string[]; proseWords: string[] }>;
  };
  taskKinds: { points: Record<string, number>; aliases: Record<string, string> };
  riskAreas: { max: number; areas: Record<string, { points: number; words: string[] }> };
  files: Scale;
  components: Scale;
  dependsOn: Scale;
  acceptance: Scale;
}

export const COMPLEXITY_SIGNALS = signals as unknown as ComplexitySignals;

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({ ...COMPLEXITY_SIGNALS.thresholds });

/** haiku below `sonnet`, sonnet below `opus`, opus from `opus` up. */
export function tierForScore(score: number, thresholds: Thresholds = DEFAULT_THRESHOLDS): ComplexityTier {
  if (score >= thresholds.opus) return "opus";
  if (score >= thresholds.sonnet) return "sonnet";
  return "haiku";
}

// ---------------------------------------------------------------------------------------------
// Word lists

/** A compiled word list: one global regex, and a way back from a match to the list entry. */
interface WordMatcher {
  regex: RegExp;
  exact: Map<string, string>;
  prefixes: string[];
}

const normalizeWord = (s: string) => s.replace(/[\s-]+/g, " ").replace(/’/g, "'");

function compileWords(words: readonly string[]): WordMatcher {
  const exact = new Map<string, string>();
  const prefixes: string[] = [];
  const parts = [...words]
    .sort((a, b) => b.length - a.length)
    .map((word) => {
      const w = normalizeWord(word.toLowerCase());
      const prefix = w.endsWith("*");
      const stem = prefix ? w.slice(0, -1) : w;
      if (prefix) prefixes.push(stem);
      else exact.set(stem, word);
      const body = stem
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/ /g, "[\\s-]+")
        .replace(/'/g, "['’]");
      return prefix ? `${body}\\w*` : body;
    });
  prefixes.sort((a, b) => b.length - a.length);
  // \b is much faster than a lookbehind; it is the same test when every entry starts and ends with a word character.
  const plain = words.every((w) => /^\w/.test(w) && /[\w*]$/.test(w));
  const [open, close] = plain ? ["\\b", "\\b"] : ["(?<!\\w)", "(?!\\w)"];
  const regex = new RegExp(`${open}(?:${parts.join("|") || "(?!)"})${close}`, "g");
  return { regex, exact, prefixes };
}

/** The distinct list entries found in (lower-case) text, in order of first appearance. */
function distinctWords(m: WordMatcher, text: string): string[] {
  const found: string[] = [];
  m.regex.lastIndex = 0;
  for (let hit = m.regex.exec(text); hit !== null; hit = m.regex.exec(text)) {
    const w = normalizeWord(hit[0]);
    const entry = m.exact.get(w) ?? m.prefixes.find((p) => w.startsWith(p)) ?? w;
    if (!found.includes(entry)) found.push(entry);
  }
  return found;
}

function hasWord(m: WordMatcher, text: string): string | undefined {
  m.regex.lastIndex = 0;
  const hit = m.regex.exec(text);
  m.regex.lastIndex = 0;
  return hit === null ? undefined : normalizeWord(hit[0]);
}

// ---------------------------------------------------------------------------------------------
// Text shape

const FENCE = /^\s*(```+|~~~+|\{\{\{|\}\}\})\s*([\w+-]*)/;
const PROMPT = /^\s*(>>>|\.\.\.(\s|$)|\$ |In \[\d+\]:|❯+ |irb\(\w*\)|>\s*\w+\()/;
const INDENTED = /^(\t| {4,})\S/;
const CODE_LINE =
  /^\s*(def |class \w|import \w|from [\w.]+ import |return\b|@\w|(if|elif|else|for|while|with|try|except|finally)\b.*:$|[\w.[\]'"]+\s*[+\-*/]?=\s*\S|[)\]}];?$|[^\s].*[;{]$)/;
const TRACEBACK_START = /Traceback \(most recent call last\)|^\s*Traceback:?\s*$|^-{20,}\s*$/;
/** A stack frame: a line that starts with a source path and line number (Python, IPython, Java, JavaScript, Django). */
const FRAME = /^\s*(?:File\s+"?|at\s+(?:[\w$.<>]+\s*\()?|-+>\s*)?~?[\w.\\/-]*\.\w{1,6}(?::\d+|", line \d+|, line \d+)/;
const TRACEBACK_CONTINUES = /^\s|^-*>|^\d+\s|^During handling|^The above exception|^\s*$/;
const EXCEPTION_LINE = /^[\w.]*(Error|Exception|Warning|Exit|Interrupt|Iteration|Failure)\b/;
const DIFF_LINE = /^(diff --git |@@ -\d|--- a\/|\+\+\+ b\/)/;
/** The heading's text is group 2 with its closing `#`s still on (see headingText), or group 3 or 4. */
const HEADING = /^\s{0,3}(#{1,6}\s+(\S.*)?$|\*\*([^*]+)\*\*:?\s*$|__([^_]+)__:?\s*$)/;
/** Issue-template sections about the reporter's environment, not the task. */
const ENVIRONMENT =
  /\b(version|versions|environment|operating system|os|platform|installation|install|system|backend|browser|dependencies|libraries|packages|configuration|setup|info|information|details)\b/i;
const ENVIRONMENT_LINE =
  /^\s*(?:[-*]\s*)?(?:\*+\s*)?([\w.-]+\s){0,3}(version|versions|os|operating system|python|platform|installation|backend|browser|environment|distribution)\**\s*:/i;
const CHECKBOX = /^\s*[-*]\s+\[[ xX]\]/;
const DETAILS_OPEN = /^\s*<details>/i;
const DETAILS_CLOSE = /<\/details>/i;
const URL = /\bhttps?:\/\/[^\s)>\]]+/g;
const LINE_IN_URL = /#L\d+/;
const LINE_REFERENCE = /\b(lines?|L)\s?#?\d+\b/;
const WORD = /[A-Za-z][A-Za-z'’-]*/g;
const QUESTION = /\?(?=\s|$)/g;
const SENTENCE_END = /[.!?](?:\s+|$)|\n+/;

/**
 * Code symbols: `inline code`, dotted names, calls, CamelCase, snake_case (a word with an `_` after a letter and
 * before another character; tested by lookahead from the first letter, as `\w*[A-Za-z]\w*_\w+` is quadratic).
 */
const SYMBOL =
  /`([^`\n]{1,80})`|\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\(?|\b([A-Za-z_]\w*)\(|\b([A-Z]?[a-z0-9]+[A-Z]\w*|[A-Z]{2,}[a-z]\w*)\b|\b(?=[\d_]*[A-Za-z]\w*_\w)(\w+)/g;
/** Tags that open many issue titles: "[Bug]:", "BUG:", "ENH -", "Feature request:". */
const TITLE_TAG = /^(?:\s*(?:\[[^\]]{1,30}\]\s*:?|[a-z][\w ]{1,20}:(?!\S)|[a-z]{2,8}\s+-\s)\s*)+/;
const ABBREVIATION = /^(e\.g|i\.e|etc|vs|cf|a\.k\.a|n\.b|p\.s)\.?$/i;
const DOMAIN = /\.(com|org|net|io|dev|edu|gov)$/i;
const FILE_PATH =
  /(?<![\w./-])(?:(?:[\w-][\w.-]*\/)+[\w-][\w.-]*\.[A-Za-z]{1,5}|[\w-]+\.(?:py|pyi|js|mjs|cjs|ts|tsx|jsx|java|go|rs|rb|php|c|h|cc|cpp|hpp|cs|kt|swift|scala|css|scss|html|vue|yaml|yml|json|toml|ini|cfg|md|rst|txt|sql|sh))\b/g;
const FILE_EXT =
  /\.(?:py|pyi|js|mjs|cjs|ts|tsx|jsx|java|go|rs|rb|php|c|h|cc|cpp|hpp|cs|kt|swift|scala|css|scss|html|vue|yaml|yml|json|toml|ini|cfg|md|rst|txt|sql|sh)$/;
const DOTTED = /(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,})/g;
const RECEIVER = /^(self|cls|this|super)\./;

interface Compiled {
  requests: WordMatcher;
  additions: WordMatcher;
  broadScope: WordMatcher;
  narrowScope: WordMatcher;
  uncertainty: WordMatcher;
  diagnosis: WordMatcher;
  categories: { name: string; label: string; points: number; titleStarts: RegExp; titleWords: WordMatcher; proseWords: WordMatcher }[];
  risks: { name: string; points: number; matcher: WordMatcher }[];
}

function compile(s: ComplexitySignals): Compiled {
  return {
    requests: compileWords(s.requests.words),
    additions: compileWords(s.additions.words),
    broadScope: compileWords(s.broadScope.words),
    narrowScope: compileWords(s.narrowScope.words),
    uncertainty: compileWords(s.uncertainty.words),
    diagnosis: compileWords(s.pinpointed.diagnosis.words),
    categories: s.categories.order.flatMap((name) => {
      const kind = s.categories.kinds[name];
      if (!kind) return [];
      const starts = compileWords(kind.titleStarts).regex.source;
      return [
        {
          name,
          label: kind.label,
          points: kind.points,
          titleStarts: new RegExp(`^${starts}`),
          titleWords: compileWords(kind.titleWords),
          proseWords: compileWords(kind.proseWords),
        },
      ];
    }),
    risks: Object.entries(s.riskAreas.areas).map(([name, area]) => ({ name, points: area.points, matcher: compileWords(area.words) })),
  };
}

/** Points for a count on a scale (0 when the scale does not apply). */
export function scalePoints(scale: Scale, count: number): number {
  const over = count - scale.free;
  if (over <= 0) return 0;
  let points = 0;
  if (scale.each !== undefined) points = over * scale.each;
  else if (scale.perDoubling !== undefined) points = Math.round(Math.log2(count / Math.max(scale.free, 1)) * scale.perDoubling);
  if (scale.max !== undefined) points = Math.min(points, scale.max);
  if (scale.min !== undefined) points = Math.max(points, scale.min);
  return points;
}

interface Shape {
  title: string;
  prose: string;
  codeLines: number;
  hasTraceback: boolean;
  hasPatch: boolean;
  lineReference: boolean;
  modules: Set<string>;
}

const MAX_TEXT = 100_000;

/** The text without its <!-- HTML comments --> (an unclosed one stays); `/<!--[\s\S]*?-->/g` is quadratic when none closes. */
function stripHtmlComments(text: string): string {
  let out = "";
  let from = 0;
  for (let open = text.indexOf("<!--"); open !== -1; open = text.indexOf("<!--", from)) {
    const close = text.indexOf("-->", open + 4);
    if (close === -1) break;
    out += text.slice(from, open);
    from = close + 3;
  }
  return out + text.slice(from);
}

/** A `#` heading's text without its closing sequence: trailing spaces, `#`s, spaces (CommonMark's "## Title ##"). */
function headingText(text: string): string {
  const trimmed = text.trimEnd();
  let end = trimmed.length;
  while (end > 0 && trimmed[end - 1] === "#") end--;
  return trimmed.slice(0, end).trimEnd();
}

/** Splits an issue-like text into title, prose and code, and collects what only the raw lines show. */
function shape(input: TaskText): Shape {
  let text = input.text.length > MAX_TEXT ? input.text.slice(0, MAX_TEXT) : input.text;
  text = stripHtmlComments(text.replace(/\r\n?/g, "\n"));
  const lines = text.split("\n");
  const { title, start } = titleOf(input, lines);
  const state = newLineState(lines);
  for (let i = start; i < lines.length; i++) readLine(state, i);
  const { prose, lineReference } = proseOf(state.prose);
  const modules = new Set<string>();
  collectModules(modules, title);
  collectModules(modules, prose);
  collectModules(modules, state.code.join("\n"));
  const { codeLines, hasTraceback, hasPatch } = state;
  return { title: title.replace(URL, " "), prose, codeLines, hasTraceback, hasPatch, lineReference, modules };
}

/** The given title; without one, an issue's first line is its title (and a one-line task is all title). */
function titleOf(input: TaskText, lines: string[]): { title: string; start: number } {
  const title = input.title?.slice(0, MAX_TEXT).trim() ?? "";
  if (title === "" && (lines[0] ?? "").length <= 200) return { title: (lines[0] ?? "").trim(), start: 1 };
  return { title, start: 0 };
}

/** The walk over the lines: what was found so far, and where the walk is (fence, traceback, details, environment). */
interface LineState {
  lines: string[];
  prose: string[];
  code: string[];
  codeLines: number;
  hasTraceback: boolean;
  hasPatch: boolean;
  /** The marker that closes the open code fence. */
  fence: string | undefined;
  /** The open fence holds a console session: only its prompted lines are code. */
  fenceConsole: boolean;
  traceback: boolean;
  details: boolean;
  environment: boolean;
}

function newLineState(lines: string[]): LineState {
  return {
    lines,
    prose: [],
    code: [],
    codeLines: 0,
    hasTraceback: false,
    hasPatch: false,
    fence: undefined,
    fenceConsole: false,
    traceback: false,
    details: false,
    environment: false,
  };
}

/** Sorts line i into code, prose or neither; each step that takes the line ends its handling. */
function readLine(state: LineState, i: number): void {
  const raw = state.lines[i] ?? "";
  if (fenceLine(state, raw, i) || detailsLine(state, raw)) return;
  if (DIFF_LINE.test(raw)) state.hasPatch = true;
  if (tracebackLine(state, raw) || raw.trim() === "") return;
  if (state.fence !== undefined) {
    if (!state.fenceConsole || PROMPT.test(raw)) state.codeLines++;
    state.code.push(raw);
    return;
  }
  unfencedLine(state, raw);
}

/** Opens or closes a code fence; true when the line did. */
function fenceLine(state: LineState, raw: string, i: number): boolean {
  const fenceMatch = FENCE.exec(raw);
  if (!fenceMatch) return false;
  const marker = fenceMatch[1] ?? "";
  if (state.fence === undefined && marker !== "}}}") {
    openFence(state, marker, (fenceMatch[2] ?? "").toLowerCase(), i);
    return true;
  }
  if (state.fence !== undefined && (marker === state.fence || marker.startsWith(state.fence.slice(0, 3)))) {
    state.fence = undefined;
    state.traceback = false;
    return true;
  }
  return false;
}

function openFence(state: LineState, marker: string, lang: string, i: number): void {
  state.fence = marker === "{{{" ? "}}}" : marker;
  if (lang === "diff" || lang === "patch") state.hasPatch = true;
  if (lang.includes("traceback")) state.traceback = true;
  // A console session: only the prompted lines are code, the rest is output.
  state.fenceConsole = promptBeforeFence(state.lines, i + 1);
}

function promptBeforeFence(lines: string[], from: number): boolean {
  for (let j = from; j < lines.length && !FENCE.test(lines[j] ?? ""); j++) if (PROMPT.test(lines[j] ?? "")) return true;
  return false;
}

/** A collapsed <details> block (logs, environment dumps) is skipped whole; true when the line is in or opens one. */
function detailsLine(state: LineState, raw: string): boolean {
  if (state.details) {
    if (DETAILS_CLOSE.test(raw)) state.details = false;
    return true;
  }
  if (state.fence === undefined && DETAILS_OPEN.test(raw) && !DETAILS_CLOSE.test(raw)) {
    state.details = true;
    return true;
  }
  return false;
}

/** Stack trace lines are neither code nor prose; true when the line belongs to a trace. */
function tracebackLine(state: LineState, raw: string): boolean {
  if (TRACEBACK_START.test(raw)) {
    state.hasTraceback = true;
    state.traceback = true;
    return true;
  }
  if (FRAME.test(raw)) {
    state.hasTraceback = true;
    return true;
  }
  if (!state.traceback) return false;
  if (EXCEPTION_LINE.test(raw)) {
    state.traceback = false;
    return true;
  }
  if (TRACEBACK_CONTINUES.test(raw)) return true;
  state.traceback = false;
  return false;
}

/** A non-blank line outside fences: a heading, environment or checklist (skipped), code, or prose. */
function unfencedLine(state: LineState, raw: string): void {
  const heading = HEADING.exec(raw);
  if (heading) {
    state.environment = ENVIRONMENT.test(heading[3] ?? heading[4] ?? headingText(heading[2] ?? ""));
    return;
  }
  if (state.environment || CHECKBOX.test(raw) || ENVIRONMENT_LINE.test(raw)) return;
  if (PROMPT.test(raw) || INDENTED.test(raw) || CODE_LINE.test(raw)) {
    state.codeLines++;
    state.code.push(raw);
    return;
  }
  state.prose.push(raw);
}

/** The prose without URLs, and whether it (or a URL's `#L12`) points to a line. */
function proseOf(lines: string[]): { prose: string; lineReference: boolean } {
  let prose = lines.join("\n");
  let lineReference = false;
  const urls = prose.match(URL);
  if (urls) {
    if (urls.some((u) => LINE_IN_URL.test(u))) lineReference = true;
    prose = prose.replace(URL, " ");
  }
  if (LINE_REFERENCE.test(prose)) lineReference = true;
  return { prose, lineReference };
}

function collectModules(modules: Set<string>, line: string): void {
  for (const m of line.matchAll(FILE_PATH)) modules.add(m[0].toLowerCase());
  for (const m of line.matchAll(DOTTED)) {
    const path = m[1] ?? "";
    if (RECEIVER.test(path) || DOMAIN.test(path) || FILE_EXT.test(path)) continue;
    modules.add(path.slice(0, path.lastIndexOf(".")));
  }
}

function countSymbols(text: string): number {
  const seen = new Set<string>();
  SYMBOL.lastIndex = 0;
  for (let m = SYMBOL.exec(text); m !== null; m = SYMBOL.exec(text)) {
    let symbol = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? "";
    symbol = symbol.trim().replace(/\(\)$/, "");
    if (symbol.length < 2 || ABBREVIATION.test(symbol) || DOMAIN.test(symbol)) continue;
    seen.add(symbol);
  }
  return seen.size;
}

function countRequests(m: WordMatcher, prose: string): number {
  let n = 0;
  for (const sentence of prose.split(SENTENCE_END)) {
    m.regex.lastIndex = 0;
    if (sentence.length > 0 && m.regex.test(sentence)) n++;
  }
  m.regex.lastIndex = 0;
  return n;
}

const countMatches = (re: RegExp, text: string) => {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n++;
  return n;
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const signed = (points: number) => (points > 0 ? `+${points}` : `−${Math.abs(points)}`);
const listed = (words: readonly string[], max = 3) => (words.length <= max ? words.join(", ") : `${words.slice(0, max).join(", ")}…`);

/** An estimator over a given set of signals (the shipped data file, or a variant for evaluation). */
export function createEstimator(s: ComplexitySignals): (input: TaskText) => Estimate {
  const c = compile(s);
  return (input) => {
    const parts: { points: number; reason: string }[] = [];
    const sh = shape(input);
    const title = sh.title.toLowerCase();
    const prose = sh.prose.toLowerCase();
    const scoring: Scoring = {
      s,
      c,
      sh,
      title,
      prose,
      all: title === "" ? prose : `${title}\n${prose}`,
      add: (points, reason) => {
        if (points !== 0) parts.push({ points, reason });
      },
    };
    const size = scorePinpointing(scoring);
    scoreSize(scoring, size);
    scoreRequests(scoring);
    scoreCategory(scoring, input);
    scoreRisks(scoring);
    scoreStructure(scoring, input);
    return finalEstimate(parts, s.base);
  };
}

/** What every scoring step reads: the signals, the shaped text (lowercased), and where points go. */
interface Scoring {
  s: ComplexitySignals;
  c: Compiled;
  sh: Shape;
  title: string;
  prose: string;
  /** Title and prose, lowercased. */
  all: string;
  add: (points: number, reason: string) => void;
}

/** Is the cause known, or the fix given? Returns how size points are scaled for it. */
function scorePinpointing({ s, c, sh, prose, add }: Scoring): { sized: (points: number) => number; note: string } {
  const unsure = distinctWords(c.uncertainty, prose);
  add(scalePoints(s.uncertainty, unsure.length), `cause unknown (${listed(unsure)})`);
  const questions = countMatches(QUESTION, sh.prose);
  add(scalePoints(s.questions, questions), `${plural(questions, "open question")}`);
  if (sh.hasPatch) add(s.pinpointed.patchPoints, "includes a patch");
  if (sh.lineReference) add(s.pinpointed.lineReferencePoints, "points to the exact line");
  const diagnosis = hasWord(c.diagnosis, prose);
  if (diagnosis !== undefined) add(s.pinpointed.diagnosis.points, `cause or fix given ("${diagnosis}")`);
  if (sh.hasTraceback) add(s.traceback.points, "crash with a stack trace (location known)");
  // A pinpointed task's length is spent explaining the answer rather than the problem.
  const pinpointed = sh.hasPatch || sh.lineReference || diagnosis !== undefined;
  const factor = pinpointed ? s.pinpointed.sizeFactor : 1;
  return { sized: (points) => Math.round(points * factor), note: pinpointed && factor !== 1 ? `, ×${factor}: pinpointed` : "" };
}

/** Size of the explanation and what the change touches. */
function scoreSize({ s, sh, add }: Scoring, { sized, note }: { sized: (points: number) => number; note: string }): void {
  const words = countMatches(WORD, sh.prose);
  const titleWords = countMatches(WORD, sh.title);
  if (words + titleWords < s.prose.shortBelow) add(s.prose.shortPoints, `very short text (${plural(words + titleWords, "word")})`);
  else add(sized(scalePoints(s.prose, words)), `long description (${plural(words, "word")}${note})`);
  add(scalePoints(s.title, titleWords), `long title (${plural(titleWords, "word")})`);
  const symbols = countSymbols(sh.title ? `${sh.title}\n${sh.prose}` : sh.prose);
  add(sized(scalePoints(s.symbols, symbols)), `mentions ${plural(symbols, "code symbol")}${note}`);
  add(sized(scalePoints(s.modules, sh.modules.size)), `names ${plural(sh.modules.size, "module or file", "modules or files")}${note}`);
  add(sized(scalePoints(s.reproduction, sh.codeLines)), `${plural(sh.codeLines, "line")} of code to reproduce or read${note}`);
}

/** How many things are asked, and how widely. */
function scoreRequests({ s, c, prose, all, add }: Scoring): void {
  const requests = countRequests(c.requests, prose);
  add(scalePoints(s.requests, requests), `${plural(requests, "request or expectation", "requests or expectations")}`);
  const additions = distinctWords(c.additions, prose);
  add(scalePoints(s.additions, additions.length), `adds further points (${listed(additions)})`);
  const broad = distinctWords(c.broadScope, all);
  add(scalePoints(s.broadScope, broad.length), `broad scope (${listed(broad)})`);
  const narrow = distinctWords(c.narrowScope, all);
  add(scalePoints(s.narrowScope, narrow.length), `described as small (${listed(narrow)})`);
}

/** Category: from the task's kind, else the title, else the prose. */
function scoreCategory({ s, c, title, prose, add }: Scoring, input: TaskText): void {
  const kind = input.kind?.trim().toLowerCase();
  const kindCategory = kind === undefined ? undefined : (s.taskKinds.aliases[kind] ?? kind);
  let category = c.categories.find((k) => k.name === kindCategory);
  if (category === undefined && kind !== undefined) {
    const points = s.taskKinds.points[kind];
    if (points !== undefined) add(points, `${kind} task`);
  }
  const bareTitle = title.replace(TITLE_TAG, "");
  category ??= c.categories.find((k) => k.titleStarts.test(bareTitle));
  category ??= c.categories.find((k) => hasWord(k.titleWords, title) !== undefined);
  category ??= c.categories.find((k) => hasWord(k.proseWords, prose) !== undefined);
  category ??= c.categories.find((k) => k.name === s.categories.default);
  if (category !== undefined) add(category.points, category.label);
}

/** Risk areas, together capped at riskAreas.max. */
function scoreRisks({ s, c, all, add }: Scoring): void {
  let risk = 0;
  for (const area of c.risks) {
    const word = hasWord(area.matcher, all);
    if (word === undefined) continue;
    const points = Math.min(area.points, s.riskAreas.max - risk);
    risk += points;
    add(points, `risk area: ${area.name} ("${word}")`);
  }
}

/** Structure of a planned task. */
function scoreStructure({ s, add }: Scoring, input: TaskText): void {
  const files = [...new Set(input.files ?? [])];
  add(scalePoints(s.files, files.length), `${plural(files.length, "file")} to change`);
  const dirs = new Set(files.map((f) => (f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : ".")));
  add(scalePoints(s.components, dirs.size), `spans ${plural(dirs.size, "directory", "directories")}`);
  const deps = input.dependsOn?.length ?? 0;
  add(scalePoints(s.dependsOn, deps), `depends on ${plural(deps, "task")}`);
  const criteria = input.acceptance?.length ?? 0;
  add(scalePoints(s.acceptance, criteria), `${plural(criteria, "acceptance criterion", "acceptance criteria")}`);
}

/** The score from the base and the parts, clamped to 0..100, with the reasons largest first. */
function finalEstimate(parts: { points: number; reason: string }[], base: number): Estimate {
  let total = base;
  for (const p of parts) total += p.points;
  const score = Math.max(0, Math.min(100, Math.round(total)));
  parts.sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  const reasons = parts.map((p) => `${p.reason} (${signed(p.points)})`);
  if (reasons.length === 0) reasons.push(`no complexity signals: an ordinary task (${base})`);
  if (total > 100) reasons.push(`capped at 100 (from ${Math.round(total)})`);
  if (total < 0) reasons.push(`floored at 0 (from ${Math.round(total)})`);
  return { score, reasons };
}

/** Scores a task's complexity 0..100 from its text and structure, with the reasons. */
export const estimateComplexity: (input: TaskText) => Estimate = createEstimator(COMPLEXITY_SIGNALS);
