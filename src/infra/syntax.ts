/**
 * Parsing for the code-aware detectors: one Lezer parser per language (error-tolerant, pure
 * JavaScript, fast enough for a pre-commit hook), chosen by file extension from the language table
 * in data/detection.json, and the few tree helpers both languages share.
 */
import { createRequire } from "node:module";
import type { SyntaxNode, Tree } from "@lezer/common";
import detection from "../../data/detection.json" with { type: "json" };

type JsParser = typeof import("@lezer/javascript").parser;
type PyParser = typeof import("@lezer/python").parser;

// The grammars load on the first parse, not with this module: building their tables costs start-up
// time that a pre-commit hook over JavaScript and TypeScript (measured by oxc) never needs.
const load = createRequire(import.meta.url);
let lezerJs: JsParser | undefined;
let lezerPy: PyParser | undefined;
const jsParser = (): JsParser => {
  lezerJs ??= (load("@lezer/javascript") as typeof import("@lezer/javascript")).parser;
  return lezerJs;
};
const pyParser = (): PyParser => {
  lezerPy ??= (load("@lezer/python") as typeof import("@lezer/python")).parser;
  return lezerPy;
};

export type CodeLanguage = "javascript" | "typescript" | "python";

const SUPPORTED = new Set<string>(["javascript", "typescript", "python"]);
const byExtension = new Map<string, CodeLanguage>();
for (const language of detection.languages) {
  if (SUPPORTED.has(language.name)) for (const ext of language.extensions) byExtension.set(ext, language.name as CodeLanguage);
}

export function languageOf(path: string): CodeLanguage | undefined {
  const dot = path.lastIndexOf(".");
  return dot < 0 ? undefined : byExtension.get(path.slice(dot).toLowerCase());
}

const jsDialects = new Map<string, JsParser>();

/** Trees kept while `withParseCache` runs, by dialect and text, the most recent last. */
let cache: Map<string, { dialect: string; tree: Tree }> | undefined;
/** Enough for the readers of one file in turn; a large commit's trees are never all held. */
const CACHED_TREES = 8;

/**
 * Runs `work` with the last few parsed trees kept by text, so readers of one file in turn (the SQL
 * injection scan, then the code measures, in the pre-commit check) parse it once. Nothing is kept
 * once `work` returns.
 */
export function withParseCache<T>(work: () => T): T {
  const outer = cache;
  cache = outer ?? new Map();
  try {
    return work();
  } finally {
    cache = outer;
  }
}

export function parse(path: string, text: string, language: CodeLanguage): Tree {
  // JSX is common in plain .js files; in TypeScript only .tsx may hold it (`<T>x` is a cast in .ts).
  const dialect = language === "python" ? "python" : language === "javascript" ? "jsx" : /\.tsx$/i.test(path) ? "ts jsx" : "ts";
  const kept = cache?.get(text);
  if (kept?.dialect === dialect) return kept.tree;
  const tree = parserFor(dialect).parse(text);
  if (cache) {
    cache.delete(text);
    cache.set(text, { dialect, tree });
    if (cache.size > CACHED_TREES) cache.delete(cache.keys().next().value as string);
  }
  return tree;
}

function parserFor(dialect: string): JsParser | PyParser {
  if (dialect === "python") return pyParser();
  let configured = jsDialects.get(dialect);
  if (!configured) {
    configured = jsParser().configure({ dialect });
    jsDialects.set(dialect, configured);
  }
  return configured;
}

/** Children that are syntax (expressions, statements), not punctuation, keywords or comments. */
export function syntaxChildren(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (/^[A-Z]/.test(child.name) && !child.name.endsWith("Comment") && child.name !== "Comment") out.push(child);
  }
  return out;
}

export function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

/** Line starts of a text, for turning offsets into 1-based lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  /** Lines of the text, as countLines counts them (a final newline does not start another line). */
  lineCount(text: string): number {
    if (text.length === 0) return 0;
    return text.endsWith("\n") ? this.starts.length - 1 : this.starts.length;
  }
  column(offset: number): number {
    return offset - (this.starts[this.line(offset) - 1] as number) + 1;
  }
}
