/**
 * The SQL value analysis (src/security/sqli/values.ts): what a string expression is known to be.
 * Each case evaluates the first argument of `q(…)` in a small JS or Python snippet.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SyntaxNode } from "@lezer/common";
import { type CodeLanguage, parse } from "../../src/infra/syntax.ts";
import { Evaluator } from "../../src/security/sqli/values.ts";

const T = { timeout: 5_000 };

function evaluated(language: CodeLanguage, text: string) {
  const path = language === "python" ? "a.py" : "a.ts";
  const tree = parse(path, text, language);
  const evaluator = new Evaluator(text, language);
  let call: SyntaxNode | undefined;
  tree.iterate({
    enter: (ref) => {
      if (call || ref.name !== "CallExpression") return;
      const node = ref.node;
      if (node.firstChild && text.slice(node.firstChild.from, node.firstChild.to) === "q") call = node;
    },
  });
  assert.ok(call, "no q(…) call");
  const argList = call.lastChild as SyntaxNode;
  const first = evaluator.argumentsOf(argList).positional[0] as SyntaxNode;
  return evaluator.evaluate(first);
}

const kind = (language: CodeLanguage, text: string) => evaluated(language, text).kind;

describe("conditionals", () => {
  it("Python: `x if c else y` is constant only when both branches are", T, () => {
    assert.deepEqual(evaluated("python", 'q("SELECT 1" if a else "SELECT 2")\n'), { kind: "constant", text: "SELECT 1 SELECT 2" });
    assert.equal(kind("python", 'q("SELECT 1" if a else "SELECT * FROM t WHERE id = " + id)\n'), "dynamic");
    assert.equal(kind("python", 'q("SELECT * FROM t WHERE id = " + id if a else "SELECT 1")\n'), "dynamic");
  });
  it("JS: `c ? x : y` is constant only when both branches are", T, () => {
    assert.deepEqual(evaluated("typescript", 'q(a ? "SELECT 1" : "SELECT 2");\n'), { kind: "constant", text: "SELECT 1 SELECT 2" });
    assert.equal(kind("typescript", 'q(a ? "SELECT 1" : "SELECT * FROM t WHERE id = " + id);\n'), "dynamic");
    assert.equal(kind("typescript", 'q(a ? "SELECT * FROM t WHERE id = " + id : "SELECT 1");\n'), "dynamic");
    assert.equal(kind("typescript", 'q(userInput ? "SELECT 1" : "SELECT 2");\n'), "constant");
  });
  it("||, ?? and && are as dynamic as their most dynamic operand", T, () => {
    assert.equal(kind("typescript", 'q("SELECT 1" || "SELECT 2");\n'), "constant");
    assert.equal(kind("typescript", 'q(a || "x" + id);\n'), "dynamic");
    assert.equal(kind("typescript", 'q(a ?? "x" + id);\n'), "dynamic");
    assert.equal(kind("typescript", 'q(flag && "WHERE a = 1");\n'), "constant");
    assert.equal(kind("typescript", 'q(flag && "WHERE a = " + id);\n'), "dynamic");
    assert.equal(kind("python", 'q(flag and "WHERE a = " + id)\n'), "dynamic");
    assert.equal(kind("python", 'q(a or "x" + id)\n'), "dynamic");
  });
});

describe("concatenation and templates", () => {
  it("constant pieces join into a constant with their text", T, () => {
    assert.deepEqual(evaluated("typescript", 'q("SELECT " + "1");\n'), { kind: "constant", text: "SELECT 1" });
    assert.deepEqual(evaluated("python", "q('SELECT ' + 'a')\n"), { kind: "constant", text: "SELECT a" });
  });
  it("a non-constant piece makes the string dynamic, naming the piece", T, () => {
    const v = evaluated("typescript", 'q("SELECT * FROM t WHERE id = " + id);\n');
    assert.equal(v.kind, "dynamic");
    if (v.kind === "dynamic") {
      assert.deepEqual(v.parts, ["id"]);
      assert.equal(v.how, "concatenation");
      assert.equal(v.text, "SELECT * FROM t WHERE id = ");
    }
  });
  it("template literals and f-strings with input are dynamic; without, constant", T, () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    assert.equal(kind("typescript", "q(`SELECT * FROM t WHERE id = ${id}`);\n"), "dynamic");
    assert.equal(kind("typescript", "q(`SELECT 1`);\n"), "constant");
    assert.equal(kind("python", 'q(f"SELECT * FROM t WHERE id = {id}")\n'), "dynamic");
  });
  it("variables are followed to their assignments", T, () => {
    assert.equal(kind("typescript", 'function f(id) { const s = "SELECT " + id; q(s); }\n'), "dynamic");
    assert.equal(kind("typescript", 'function f(id) { const s = "SELECT 1"; q(s); }\n'), "constant");
    assert.equal(kind("python", 'def f(id):\n    s = "SELECT 1" if id else "SELECT x" + id\n    q(s)\n'), "dynamic");
  });
  it("numbers, safe builders and CONSTANT_CASE names are not input", T, () => {
    assert.equal(kind("typescript", 'q("SELECT " + Number(id));\n'), "constant");
    assert.equal(kind("typescript", 'q("SELECT " + TABLE);\n'), "constant");
    assert.equal(kind("python", "q(sql.SQL(x))\n"), "safe");
    assert.equal(kind("typescript", "q(userQuery);\n"), "opaque");
  });
});

describe("placeholder lists", () => {
  const IN = 'q("SELECT * FROM t WHERE id IN (" + ph + ")");';
  const jsIn = (build: string) => `function f(ids, n) {\n  const ph = ${build};\n  ${IN}\n}\n`;
  const pyIn = (build: string) => `def f(ids, n):\n    ph = ${build}\n    ${IN.replace(/;$/, "")}\n`;

  it("JS: a callback returning only constants and its index builds constant SQL, over any list", T, () => {
    assert.equal(kind("typescript", jsIn('ids.map((_, i) => "$" + (i + 1)).join(", ")')), "constant");
    assert.equal(kind("typescript", jsIn("ids.map((_: number, i: number) => `$${i + 1}`).join(',')")), "constant");
    assert.equal(kind("typescript", jsIn('ids.map(() => "?").join(",")')), "constant");
    assert.equal(kind("typescript", jsIn('ids.flatMap(function (_, i) { if (i > 9) return "?"; return "$" + i; }).join(",")')), "constant");
    assert.equal(kind("typescript", jsIn('Array.from({ length: n }, (_, i) => "$" + (i + 1)).join(",")')), "constant");
    assert.equal(kind("typescript", jsIn('Array(n).fill("?").join(",")')), "constant");
  });
  it("JS: a callback returning the elements, or an index from elsewhere, is dynamic", T, () => {
    assert.equal(kind("typescript", jsIn('ids.map((id) => "\'" + id + "\'").join(",")')), "dynamic");
    assert.equal(kind("typescript", jsIn('ids.map((i) => "$" + i).join(",")')), "dynamic");
    assert.equal(kind("typescript", jsIn('ids.map((id, i) => "$" + i + id).join(",")')), "dynamic");
    assert.equal(kind("typescript", jsIn('ids.map((id) => { if (!id) return "NULL"; return id; }).join(",")')), "dynamic");
    assert.equal(kind("typescript", jsIn('Array.from(ids, (id) => "$" + id).join(",")')), "dynamic");
  });
  it("Python: loop counts (range, enumerate's) in comprehensions and for loops are numbers", T, () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Python f-string writing $1, $2…
    assert.equal(kind("python", pyIn('", ".join(f"${i + 1}" for i in range(len(ids)))')), "constant");
    assert.equal(kind("python", pyIn('", ".join("$" + str(i + 1) for i, _ in enumerate(ids))')), "constant");
    assert.equal(kind("python", pyIn('", ".join(["$%d" % (i + 1) for i in range(n)])')), "constant");
    assert.equal(kind("python", pyIn('",".join("?" for _ in ids)')), "constant");
    assert.equal(
      kind("python", 'def f(cur, ids):\n    for i in range(len(ids)):\n        q("SELECT * FROM t LIMIT 1 OFFSET " + str(i))\n'),
      "constant",
    );
  });
  it("Python: elements, and names a comprehension binds from other iterables, are dynamic", T, () => {
    assert.equal(kind("python", pyIn('", ".join(f"\'{v}\'" for v in ids)')), "dynamic");
    assert.equal(kind("python", pyIn('", ".join(f"{v}" for i, v in enumerate(ids))')), "dynamic");
    assert.equal(kind("python", pyIn('", ".join(f"{i}" for i in ids)')), "dynamic");
    assert.equal(kind("python", pyIn('", ".join(f"{i}" for i in enumerate(ids))')), "dynamic");
    assert.equal(
      kind("python", 'def f(cur, ids):\n    for i, v in enumerate(ids):\n        q("SELECT * FROM t WHERE id = " + v)\n'),
      "dynamic",
    );
  });
  it("Python: a comprehension's name shadows the function's, as in Python 3", T, () => {
    const shadowed =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Python f-string writing $1, $2…
      'def f(request, ids):\n    i = request.args["i"]\n    ph = ", ".join(f"${i}" for i in range(3))\n    q("SELECT * FROM t WHERE id IN (" + ph + ") AND a = " + i)\n';
    const v = evaluated("python", shadowed);
    assert.equal(v.kind, "dynamic");
    if (v.kind === "dynamic") assert.deepEqual(v.parts, ['request.args["i"]']);
  });
});
