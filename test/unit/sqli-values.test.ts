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
