/**
 * What a test file's text says about its strength, read without running it: markers that skip,
 * focus or postpone tests, the number of assertions, and assertions that can never fail. Enough to
 * tell a test weakened by an attempt from the one it replaced (node:test, jest, vitest, mocha,
 * pytest, unittest).
 */

export interface TestSignals {
  skips: number;
  onlys: number;
  todos: number;
  assertions: number;
  /** Assertions that hold whatever the code does: `assert.ok(true)`, `expect(1).toBe(1)`, `assert True`. */
  trivial: number;
}

const JS_SKIP = [
  /\b(?:it|test|describe|context|suite|specify)\.skip(?:If)?\s*\(/g,
  /\bx(?:it|describe|test|context|specify)\s*\(/g,
  /[{,]\s*skip\s*:(?!\s*(?:false|undefined)\b)/g,
  /\bt\.skip\s*\(/g,
  /\bthis\.skip\s*\(/g,
];
const JS_ONLY = [/\b(?:it|test|describe|context|suite|specify)\.only\s*\(/g, /\bf(?:it|describe)\s*\(/g, /[{,]\s*only\s*:\s*true\b/g];
const JS_TODO = [/\b(?:it|test|describe|suite)\.todo\s*\(/g, /[{,]\s*todo\s*:(?!\s*(?:false|undefined)\b)/g, /\bt\.todo\s*\(/g];
const JS_ASSERT = [
  /\bassert(?:\.\w+)?\s*\(/g,
  /\bexpect\s*\(/g,
  /\.should\./g,
  /\bt\.(?:assert|is|ok|equal|deepEqual|throws|truthy|falsy|true|false|same|match)\w*\s*\(/g,
];
const LITERAL = String.raw`(?:true|false|null|undefined|-?\d+(?:\.\d+)?|"[^"\n]*"|'[^'\n]*'|\`[^\`\n]*\`)`;
const JS_TRIVIAL = [
  /\bassert(?:\.ok)?\s*\(\s*(?:true|!0|1|"[^"\n]+"|'[^'\n]+')\s*[,)]/g,
  new RegExp(String.raw`\bassert\.\w*[eE]qual\s*\(\s*(${LITERAL})\s*,\s*\1\s*[,)]`, "g"),
  new RegExp(String.raw`\bexpect\s*\(\s*(${LITERAL})\s*\)\s*\.\s*(?:toBe|toEqual|toStrictEqual)\s*\(\s*\1\s*\)`, "g"),
  /\bexpect\s*\(\s*(?:true|1)\s*\)\s*\.\s*(?:toBeTruthy|toBeDefined)\s*\(\s*\)/g,
];

const PY_SKIP = [
  /@(?:pytest\.mark\.(?:skip|skipif|xfail)|unittest\.skip\w*)\b/g,
  /\bpytest\.(?:skip|xfail)\s*\(/g,
  /\bself\.skipTest\s*\(/g,
  /@unittest\.expectedFailure\b/g,
];
const PY_ASSERT = [/^\s*assert\b/gm, /\bself\.assert\w+\s*\(/g, /\bpytest\.raises\s*\(/g, /\bself\.fail\s*\(/g];
const PY_TRIVIAL = [
  /^\s*assert\s+(?:True|1|"[^"\n]+"|'[^'\n]+')\s*(?:,.*)?$/gm,
  new RegExp(String.raw`^\s*assert\s+(${pyLiteral()})\s*==\s*\1\s*$`, "gm"),
  /\bself\.assertTrue\s*\(\s*(?:True|1)\s*\)/g,
  new RegExp(String.raw`\bself\.assertEqual\s*\(\s*(${pyLiteral()})\s*,\s*\1\s*\)`, "g"),
];

function pyLiteral(): string {
  return String.raw`True|False|None|-?\d+(?:\.\d+)?|"[^"\n]*"|'[^'\n]*'`;
}

function count(text: string, patterns: readonly RegExp[]): number {
  return patterns.reduce((sum, pattern) => sum + (text.match(pattern)?.length ?? 0), 0);
}

/** Comments removed (roughly: line and block comments), so a commented-out assertion no longer counts. */
function withoutComments(text: string, python: boolean): string {
  if (python) return text.replace(/^\s*#.*$/gm, "").replace(/\s#[^"'\n]*$/gm, "");
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

export function isPythonPath(path: string): boolean {
  return /\.pyi?$/.test(path);
}

export function testSignals(path: string, text: string): TestSignals {
  const python = isPythonPath(path);
  const code = withoutComments(text, python);
  if (python)
    return { skips: count(code, PY_SKIP), onlys: 0, todos: 0, assertions: count(code, PY_ASSERT), trivial: count(code, PY_TRIVIAL) };
  return {
    skips: count(code, JS_SKIP),
    onlys: count(code, JS_ONLY),
    todos: count(code, JS_TODO),
    assertions: count(code, JS_ASSERT),
    trivial: count(code, JS_TRIVIAL),
  };
}

/** How the attempt weakened a test file, in words; empty when it did not. `allowFewerAssertions` for a test the task was asked to rework. */
export function weakenings(before: TestSignals | undefined, after: TestSignals, allowFewerAssertions: boolean): string[] {
  const was = before ?? { skips: 0, onlys: 0, todos: 0, assertions: 0, trivial: 0 };
  const out: string[] = [];
  if (after.onlys > was.onlys) out.push("added .only, which runs only the focused tests");
  if (before && after.skips > was.skips) out.push(`added ${after.skips - was.skips} skip marker(s)`);
  if (before && after.todos > was.todos) out.push(`marked ${after.todos - was.todos} test(s) as todo`);
  if (after.trivial > was.trivial) out.push(`added ${after.trivial - was.trivial} assertion(s) that cannot fail`);
  if (before && !allowFewerAssertions && after.assertions < was.assertions)
    out.push(`removed ${was.assertions - after.assertions} of its ${was.assertions} assertions`);
  return out;
}
