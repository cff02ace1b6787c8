/**
 * JavaScript/TypeScript measures on oxc (src/quality/measures/oxc.ts) against the Lezer measurer
 * they replaced (functions.ts's measureWithLezer, still used for Python and for files oxc rejects):
 * the same functions, names, lines, complexity, stubs and code lines on the quality fixtures, this
 * repository's own sources and a few hundred real files from node_modules, wherever Lezer's tree
 * has no syntax error (where it has one, Lezer guesses and oxc is the one that is right).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { type CodeLanguage, parse } from "../../src/infra/syntax.ts";
import { measureFile, measureWithLezer, prepareMeasures } from "../../src/quality/measures/functions.ts";
import { measureScript } from "../../src/quality/measures/oxc.ts";
import { countCodeLines, deliberatelyEmpty } from "../../src/quality/measures/rules.ts";
import { agreesOnSample, SELF_CHECK, SELF_CHECK_EXPECTED } from "../../src/quality/measures/self-check.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SAMPLE = join(ROOT, "test", "fixtures", "quality", "sample");
const T = { timeout: 120_000 };

type Script = Exclude<CodeLanguage, "python">;

function scriptLanguage(path: string): Script | undefined {
  if (/\.d\.[cm]?ts$/.test(path)) return undefined;
  if (/\.[cm]?tsx?$/.test(path)) return "typescript";
  return /\.[cm]?jsx?$/.test(path) ? "javascript" : undefined;
}

function lezerHasError(path: string, text: string, language: Script): boolean {
  let error = false;
  parse(path, text, language).iterate({
    enter(node) {
      if (node.type.isError) error = true;
      return !error;
    },
  });
  return error;
}

/** Every source file under dir (relative paths, sorted), skipping minified ones and those over maxBytes. */
function sourcesUnder(dir: string, maxBytes: number): string[] {
  return (readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
    .filter((entry) => scriptLanguage(entry) && !/\.min\.js$/.test(entry))
    .filter((entry) => {
      const stat = statSync(join(dir, entry), { throwIfNoEntry: false });
      return stat?.isFile() && stat.size > 0 && stat.size <= maxBytes;
    })
    .sort();
}

interface Comparison {
  compared: number;
  lezerErrors: number;
  oxcRejected: number;
}

/** oxc's measures equal Lezer's on every file Lezer parses cleanly; measureFile uses oxc's whenever oxc parses. */
function compareOn(dir: string, entries: readonly string[]): Comparison {
  const result: Comparison = { compared: 0, lezerErrors: 0, oxcRejected: 0 };
  for (const entry of entries) {
    const language = scriptLanguage(entry) as Script;
    const text = readFileSync(join(dir, entry), "utf8");
    const fast = measureScript(entry, text, language);
    const lezer = measureWithLezer(entry, text, language);
    if (!fast) {
      result.oxcRejected++;
      assert.deepEqual(measureFile(entry, text), lezer, `${entry}: a file oxc rejects is measured by Lezer`);
      continue;
    }
    assert.deepEqual(measureFile(entry, text), fast, `${entry}: measureFile uses oxc's measures`);
    if (lezerHasError(entry, text, language)) {
      result.lezerErrors++;
      continue;
    }
    assert.deepEqual(fast, lezer, `${entry}: oxc and Lezer measure differently`);
    result.compared++;
  }
  return result;
}

describe("oxc measures: the same as Lezer's", () => {
  it("loads oxc and agrees with Lezer on its built-in sample (else every file would fall back to Lezer)", T, () => {
    prepareMeasures();
    const text = "export function f(a) { return a && a.b ? 1 : 2; }\n";
    const fast = measureScript("f.js", text, "javascript");
    assert.ok(fast, "oxc-parser and its binary for this platform are installed");
    assert.deepEqual(measureFile("f.js", text), fast);
    assert.equal(fast.functions[0]?.complexity, 3);
  });

  it("the self-check's stored measures are what Lezer reads from its sample, and oxc agrees; a changed reading does not", T, () => {
    assert.deepEqual(measureWithLezer(SELF_CHECK.path, SELF_CHECK.text, "typescript"), SELF_CHECK_EXPECTED);
    const fast = measureScript(SELF_CHECK.path, SELF_CHECK.text, "typescript");
    assert.ok(agreesOnSample(fast));
    const [first, ...rest] = fast?.functions ?? [];
    assert.ok(first);
    assert.equal(agreesOnSample(fast && { ...fast, functions: [{ ...first, complexity: first.complexity + 1 }, ...rest] }), false);
    assert.equal(agreesOnSample(fast && { ...fast, functions: rest }), false);
    assert.equal(agreesOnSample(undefined), false);
  });

  it("the quality fixtures: identical, and pinned", T, () => {
    const entries = sourcesUnder(SAMPLE, 1024 * 1024);
    const { compared, oxcRejected } = compareOn(SAMPLE, entries);
    assert.equal(compared + oxcRejected, entries.length);
    assert.equal(oxcRejected, 1, "src/broken.js has a syntax error on purpose");
    const pinned = Object.fromEntries(
      entries.map((entry) => {
        const m = measureFile(entry, readFileSync(join(SAMPLE, entry), "utf8"));
        const functions = m?.functions.map((f) => `${f.name}@${f.line}-${f.endLine}:${f.complexity}${f.stub ? `:${f.stub}` : ""}`);
        return [entry, `${m?.lines}/${m?.codeLines} ${functions?.join(" ")}`];
      }),
    );
    assert.deepEqual(pinned, {
      "eslint.config.js": "11/10 ",
      "src/broken.js": "3/3 ",
      "src/lint-me.js": "10/10 check@2-10:2",
      "src/math.js": "21/18 add@1-3:1 divide@5-10:2 clamp@12-16:3 unused@18-21:1",
      "src/text.js": "19/17 shout@1-3:1 initials@5-11:2 <anonymous>@6-6:1 <anonymous>@10-10:1 pad@13-19:2",
      "test/math.test.js": "16/13 <anonymous>@5-7:1 <anonymous>@9-11:1 <anonymous>@13-16:1",
      "test/text.test.js": "11/9 <anonymous>@5-7:1 <anonymous>@9-11:1",
    });
  });

  it("this repository's own sources", T, () => {
    const dir = join(ROOT, "src");
    const { compared } = compareOn(dir, sourcesUnder(dir, 1024 * 1024));
    assert.ok(compared >= 100, `${compared} files compared`);
  });

  it("a few hundred real files from node_modules", T, () => {
    const dir = join(ROOT, "node_modules");
    const all = sourcesUnder(dir, 100 * 1024);
    const step = Math.max(1, Math.floor(all.length / 400));
    const picked = all.filter((_, i) => i % step === 0);
    const { compared, lezerErrors, oxcRejected } = compareOn(dir, picked);
    assert.ok(compared >= 300, `${compared} files compared (${lezerErrors} with a Lezer syntax error, ${oxcRejected} rejected by oxc)`);
  });
});

/** Both parsers name a TypeScript text's functions so. */
function assertNamedByBoth(text: string, names: string[]): void {
  for (const measured of [measureScript("a.ts", text, "typescript"), measureWithLezer("a.ts", text, "typescript")])
    assert.deepEqual(
      measured?.functions.map((f) => f.name),
      names,
    );
}

describe("oxc measures: rules both parsers share", () => {
  it("names a function through parentheses and TypeScript assertions, in both parsers", T, () => {
    const text = [
      "const a = (() => 1) as Op;",
      "const b = (function () { return 2; }) satisfies Op;",
      "const c = (() => 3)!;",
      "x.y = function own() {} as T;",
      "const d = { k: (() => 4) as Op };",
      "",
    ].join("\n");
    assertNamedByBoth(text, ["a", "b", "c", "x.y", "k"]);
    const cast = "const e = <Op>(() => 5);\n";
    assert.deepEqual(measureScript("a.ts", cast, "typescript"), measureWithLezer("a.ts", cast, "typescript"));
    assert.equal(measureScript("a.ts", cast, "typescript")?.functions[0]?.name, "e");
  });

  it("names a generic async arrow (which Lezer reads as `async < T > (…)`) as oxc does, and leaves real comparisons alone", T, () => {
    const text = [
      "const sql = async <T>(text: string): Promise<T[]> => {",
      "  return [] as T[];",
      "};",
      "export const one = async <T>(value: T) => value;",
      "const compared = a < b > (() => 1);",
      "",
    ].join("\n");
    assertNamedByBoth(text, ["sql", "one", "<anonymous>"]);
  });

  it("a file with a syntax error is Lezer's to measure", T, () => {
    const text = "export function broken( {\n  return 1;\n}\nfunction ok(a) { return a || 1; }\n";
    assert.equal(measureScript("b.js", text, "javascript"), undefined);
    assert.deepEqual(measureFile("b.js", text), measureWithLezer("b.js", text, "javascript"));
  });

  it("deliberately empty bodies and code lines", T, () => {
    const base = { hook: false, paramNames: [] as string[] };
    assert.equal(deliberatelyEmpty({ ...base, kind: "declaration", name: "later", params: "()" }), false);
    assert.equal(deliberatelyEmpty({ ...base, kind: "declaration", name: "Legacy", params: "()" }), true);
    assert.equal(deliberatelyEmpty({ ...base, kind: "method", name: "A.constructor", key: "constructor", params: "()" }), true);
    assert.equal(deliberatelyEmpty({ ...base, kind: "method", name: "A.save", key: "save", params: "(x)", paramNames: ["x"] }), false);
    assert.equal(
      deliberatelyEmpty({ ...base, kind: "method", name: "A.skip", key: "skip", params: "(_x, ..._r)", paramNames: ["_x", "_r"] }),
      true,
    );
    assert.equal(deliberatelyEmpty({ ...base, kind: "declaration", name: "never", params: "(x: never)", paramNames: ["x"] }), true);
    assert.equal(deliberatelyEmpty({ ...base, kind: "other", name: "handler", params: "()" }), true);
    const text = "// c\nconst a = 1; /* x\n y */\n\n  b();\n";
    // Line 1 is a comment, line 3 only the block comment's end, line 4 blank: code on lines 2 and 5.
    assert.equal(countCodeLines(text, [0, text.indexOf("/*")], [4, text.indexOf("*/") + 2]), 2);
    const restOnly = "class A { skip(..._rest: never[]) {} drop(...rest) {} }\n";
    assert.deepEqual(
      measureScript("a.ts", restOnly, "typescript")?.functions.map((f) => f.stub ?? "-"),
      measureWithLezer("a.ts", restOnly, "typescript").functions.map((f) => f.stub ?? "-"),
    );
  });
});
