/**
 * Where variables get their values, read from the syntax tree for values.ts: every assignment,
 * declaration, parameter and binding of a name in a function (nested functions are scopes of their
 * own), in source order, and the branching statements around them: an `if` with an `else` runs one
 * of its arms, a `switch` with a `default` one of its cases; loops, `try`/`catch`, a `switch` or an
 * `if` without a default arm may run a definition or not; an arm that ends in `return`, `throw` or
 * `raise` reaches nothing after it.
 */
import type { SyntaxNode } from "@lezer/common";
import { type CodeLanguage, childrenOf, syntaxChildren } from "../../infra/syntax.js";

export interface Definition {
  /** The defining statement (for parameters, the parameter). */
  node: SyntaxNode;
  /** The assigned expression; undefined for parameters, declarations, loop variables, imports and unpacking. */
  value: SyntaxNode | undefined;
  /**
   * `declare`: `let x;`, undefined until assigned. `index`: a position in a sequence, a number (a
   * `map` callback's second parameter, a loop over `range()`, `enumerate()`'s count).
   */
  op: "=" | "+=" | "param" | "declare" | "unknown" | "index";
}

export interface Range {
  from: number;
  to: number;
}

/** One way through a branching node, and the statement it ends with. */
export interface Arm extends Range {
  last: SyntaxNode | undefined;
}

export const FUNCTIONS: Record<CodeLanguage, ReadonlySet<string>> = {
  javascript: new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunction", "MethodDeclaration"]),
  typescript: new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunction", "MethodDeclaration"]),
  python: new Set(["FunctionDefinition", "LambdaExpression"]),
};
/** Nodes whose parts may or may not run. */
const BRANCHING = new Set([
  "IfStatement",
  "SwitchBody",
  "MatchBody",
  "ForStatement",
  "WhileStatement",
  "DoStatement",
  "TryStatement",
  "CatchClause",
  "ConditionalExpression",
]);
/** Statements after which nothing in the same block runs. */
const EXITS = new Set(["ReturnStatement", "ThrowStatement", "RaiseStatement"]);
/** Nodes that hold statements: an arm's last statement is the last inside them. */
const BLOCKS = new Set(["Block", "Body", "MatchClause", "CatchClause", "FinallyClause"]);
const CASE_LABELS = new Set(["CaseLabel", "DefaultLabel"]);
/** Array methods that call their first argument with (element, index, …). */
const INDEXED_CALLBACKS = new Set([
  "map",
  "flatMap",
  "forEach",
  "filter",
  "some",
  "every",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
]);
/** Python comprehensions: scopes of their own, whose `for` clauses bind names. */
const COMPREHENSIONS = new Set([
  "ArrayComprehensionExpression",
  "ComprehensionExpression",
  "SetComprehensionExpression",
  "DictionaryComprehensionExpression",
]);

type Add = (name: SyntaxNode, value: SyntaxNode | undefined, op: Definition["op"], statement?: SyntaxNode) => void;

const contains = (outer: Range, inner: Range) => outer.from <= inner.from && inner.to <= outer.to;

/** The statement an expression belongs to (`x = y` in JS is an expression inside one). */
function statementOf(node: SyntaxNode): SyntaxNode {
  return node.parent?.name === "ExpressionStatement" ? node.parent : node;
}

/**
 * The outermost branching node around `node` inside `within` that does not also hold `use` (a
 * definition in the same arm as the use always runs before it).
 */
export function branchOf(node: SyntaxNode, within: Range, use: Range): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (let n = node.parent; n && contains(within, n); n = n.parent) if (BRANCHING.has(n.name) && !contains(n, use)) found = n;
  return found;
}

/** Whether an arm ends in `return`, `throw` or `raise`: nothing it defines reaches past the branch. */
export function exits(arm: Arm): boolean {
  return arm.last !== undefined && EXITS.has(arm.last.name);
}

/** The ways through a branching node, and whether one of them is always taken. */
export function armsOf(branch: SyntaxNode, language: CodeLanguage): { arms: Arm[]; always: boolean } {
  const kids = syntaxChildren(branch);
  const arm = (n: SyntaxNode): Arm => ({ from: n.from, to: n.to, last: lastStatement(n) });
  if (branch.name === "IfStatement") {
    // JS: if (test) then else other; Python: if test Body elif test Body else Body.
    const bodies = language === "python" ? kids.filter((k) => k.name === "Body") : kids.slice(1);
    return { arms: bodies.map(arm), always: childrenOf(branch).some((k) => k.name === "else") };
  }
  if (branch.name === "SwitchBody") return { arms: switchCases(kids, branch.to), always: kids.some((k) => k.name === "DefaultLabel") };
  return { arms: kids.map(arm), always: false };
}

function lastStatement(node: SyntaxNode): SyntaxNode | undefined {
  if (!BLOCKS.has(node.name)) return node;
  const inner = syntaxChildren(node).pop();
  return inner && lastStatement(inner);
}

/** A switch's cases, from each label that starts statements (labels stacked on one case share it) to the next. */
function switchCases(kids: SyntaxNode[], end: number): Arm[] {
  const arms: Arm[] = [];
  kids.forEach((kid, i) => {
    if (!CASE_LABELS.has(kid.name) || CASE_LABELS.has(kids[i + 1]?.name ?? "")) return;
    let stop = i + 1;
    while (stop < kids.length && !CASE_LABELS.has((kids[stop] as SyntaxNode).name)) stop++;
    arms.push({ from: kid.from, to: kids[stop]?.from ?? end, last: stop > i + 1 ? kids[stop - 1] : undefined });
  });
  return arms;
}

/**
 * Whether a JS function is called with an index as its second argument: the callback of
 * `list.map(fn)` (and the other array iteration methods) or of `Array.from(items, fn)`.
 */
function isIndexedCallback(fn: SyntaxNode, source: (n: SyntaxNode) => string): boolean {
  const argList = fn.parent;
  const callee = argList?.name === "ArgList" ? argList.parent?.firstChild : undefined;
  if (!argList || callee?.name !== "MemberExpression" || !callee.lastChild) return false;
  const position = syntaxChildren(argList).findIndex((a) => a.from === fn.from);
  if (source(callee) === "Array.from") return position === 1;
  return position === 0 && INDEXED_CALLBACKS.has(source(callee.lastChild));
}

/** Which of a Python loop's targets count positions: all of `for i in range(…)`, the first of `for i, x in enumerate(…)`. */
function indexTargets(targets: SyntaxNode[], iterable: SyntaxNode | undefined, source: (n: SyntaxNode) => string): SyntaxNode[] {
  const callee = iterable?.name === "CallExpression" ? iterable.firstChild : undefined;
  const name = callee?.name === "VariableName" ? source(callee) : "";
  if (name === "range") return targets;
  return name === "enumerate" && targets.length === 2 ? targets.slice(0, 1) : [];
}

/** The definitions of every name in one scope, in source order; read once per scope. */
export class Definitions {
  private readonly byScope = new Map<string, Map<string, Definition[]>>();

  constructor(
    private readonly text: string,
    private readonly language: CodeLanguage,
  ) {}

  private source(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  /** The function (or module) a node belongs to. */
  scopeOf(node: SyntaxNode): SyntaxNode {
    let scope = node.parent;
    while (scope?.parent && !FUNCTIONS[this.language].has(scope.name)) scope = scope.parent;
    return scope ?? node;
  }

  in(scope: SyntaxNode): Map<string, Definition[]> {
    const key = `${scope.from}:${scope.to}`;
    const known = this.byScope.get(key);
    if (known) return known;
    const defs = new Map<string, Definition[]>();
    this.byScope.set(key, defs);
    const add: Add = (nameNode, value, op, statement = nameNode) => {
      const name = this.source(nameNode);
      defs.set(name, [...(defs.get(name) ?? []), { node: statement, value, op }]);
    };
    const functions = FUNCTIONS[this.language];
    if (functions.has(scope.name)) this.parameters(scope, add);
    const stack = childrenOf(scope).reverse();
    while (stack.length > 0) {
      const node = stack.pop() as SyntaxNode;
      if (functions.has(node.name)) {
        const named = node.getChild("VariableDefinition") ?? (this.language === "python" ? node.getChild("VariableName") : null);
        if (named) add(named, undefined, "unknown");
        continue;
      }
      if (node.name === "ParamList") continue;
      this.definitionAt(node, add);
      for (let c = node.lastChild; c; c = c.prevSibling) stack.push(c);
    }
    return defs;
  }

  private parameters(scope: SyntaxNode, add: Add): void {
    const params = scope.getChild("ParamList");
    // `x => x + 1`: a lone parameter without parentheses.
    if (!params) {
      if (scope.name === "ArrowFunction" && scope.firstChild?.name === "VariableDefinition") add(scope.firstChild, undefined, "param");
      return;
    }
    const kids = childrenOf(params);
    // The parameter at position 1 of an array method's callback is the element's index.
    const indexed = this.language !== "python" && isIndexedCallback(scope, (n) => this.source(n));
    let position = 0;
    kids.forEach((kid, i) => {
      const op = indexed && position === 1 ? "index" : "param";
      if (kid.name === ",") position++;
      else if (kid.name === "VariableDefinition") add(kid, undefined, op);
      else if (kid.name === "VariableName" && kids[i - 1]?.name !== "AssignOp") add(kid, undefined, op);
      else if (/Pattern$/.test(kid.name)) for (const d of kid.getChildren("VariableDefinition")) add(d, undefined, "param");
    });
  }

  /**
   * Python: the binding of `name` by a `for` clause of a comprehension around `node` (each
   * comprehension is a scope of its own), or undefined when none binds it.
   */
  comprehensionBinding(node: SyntaxNode, name: string): Definition | undefined {
    for (let n = node.parent; n && !FUNCTIONS.python.has(n.name); n = n.parent) {
      // A generator passed alone to a call is an argument list with a `for` clause.
      if (!COMPREHENSIONS.has(n.name) && !(n.name === "ArgList" && n.getChild("for"))) continue;
      const bound = this.loopBindings(n).find((b) => this.source(b.node) === name && !contains(b.iterable, node));
      if (bound) return bound.definition;
    }
    return undefined;
  }

  /** The names each `for … in iterable` among a node's children binds, with the iterable they come from. */
  private loopBindings(node: SyntaxNode): { node: SyntaxNode; iterable: Range; definition: Definition }[] {
    const kids = childrenOf(node);
    const bindings: { node: SyntaxNode; iterable: Range; definition: Definition }[] = [];
    kids.forEach((kid, i) => {
      if (kid.name !== "for") return;
      const targets: SyntaxNode[] = [];
      let at = i + 1;
      for (; at < kids.length && (kids[at] as SyntaxNode).name !== "in"; at++)
        if ((kids[at] as SyntaxNode).name === "VariableName") targets.push(kids[at] as SyntaxNode);
      const iterable = kids[at + 1];
      const counting = indexTargets(targets, iterable, (n) => this.source(n));
      for (const target of targets) {
        const op = counting.includes(target) ? "index" : "unknown";
        bindings.push({ node: target, iterable: iterable ?? target, definition: { node: target, value: undefined, op } });
      }
    });
    return bindings;
  }

  private definitionAt(node: SyntaxNode, add: Add): void {
    switch (node.name) {
      case "VariableDeclaration":
        this.declaration(node, add);
        return;
      case "VariableDefinition":
        // Destructuring, for-of, catch and import bindings: defined, value unknown.
        if (node.parent?.name !== "VariableDeclaration") add(node, undefined, "unknown");
        return;
      case "AssignmentExpression":
        this.assignment(node, add);
        return;
      case "AssignStatement":
        this.pythonAssignment(node, add);
        return;
      case "UpdateStatement":
        this.update(node, add);
        return;
      case "ForOfSpec":
      case "ForInSpec":
      case "WithStatement":
      case "ForStatement":
        this.bound(node, add);
        return;
    }
  }

  private declaration(node: SyntaxNode, add: Add): void {
    const kids = childrenOf(node);
    kids.forEach((kid, i) => {
      if (kid.name !== "VariableDefinition") return;
      const typed = kids[i + 1]?.name === "TypeAnnotation";
      const value = kids[i + (typed ? 2 : 1)]?.name === "Equals" ? kids[i + (typed ? 3 : 2)] : undefined;
      add(kid, value, value ? "=" : "declare", node);
    });
  }

  private assignment(node: SyntaxNode, add: Add): void {
    const kids = childrenOf(node);
    const target = kids[0];
    const op = kids[1] ? this.source(kids[1]) : "";
    if (target?.name !== "VariableName") return;
    add(target, kids[kids.length - 1], op === "=" || op === "+=" ? op : "unknown", statementOf(node));
  }

  private pythonAssignment(node: SyntaxNode, add: Add): void {
    const kids = childrenOf(node);
    const ops = kids.map((k, i) => (k.name === "AssignOp" ? i : -1)).filter((i) => i >= 0);
    const last = ops[ops.length - 1];
    if (last === undefined) return;
    const values = kids.slice(last + 1).filter((k) => /^[A-Z]/.test(k.name));
    let segmentStart = 0;
    for (const opIndex of ops) {
      const targets = kids.slice(segmentStart, opIndex).filter((k) => k.name === "VariableName");
      const single = targets.length === 1 && values.length === 1;
      targets.forEach((t, i) => {
        const value = single ? values[0] : targets.length === values.length ? values[i] : undefined;
        add(t, value, value ? "=" : "unknown", node);
      });
      segmentStart = opIndex + 1;
    }
  }

  private update(node: SyntaxNode, add: Add): void {
    const kids = childrenOf(node);
    if (kids[0]?.name !== "VariableName") return;
    const op = kids[1] ? this.source(kids[1]) : "";
    add(kids[0], kids[kids.length - 1], op === "+=" ? "+=" : "unknown", node);
  }

  /**
   * with x() as name / for name in … / for (name of …): bound to something we do not follow, except
   * a Python loop's count (`for i in range(…)`), a number.
   */
  private bound(node: SyntaxNode, add: Add): void {
    if (this.language === "python" && node.name === "ForStatement") {
      for (const { definition } of this.loopBindings(node)) add(definition.node, undefined, definition.op);
      return;
    }
    let bound = node.name !== "WithStatement";
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name === "as") bound = true;
      else if (c.name === "in" || c.name === "of" || c.name === "Body") bound = false;
      else if (bound && c.name === "VariableName") add(c, undefined, "unknown");
    }
  }
}
