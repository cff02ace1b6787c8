/**
 * What a string expression is known to be, read from the syntax tree: a constant, a string built
 * from non-constant parts (the injection risk), an opaque value, or a safe query builder. Variables
 * are followed to their assignments in the same function (then enclosing scopes), so a query built
 * in a variable first is judged by how it was built; `from` remembers where the flow started.
 * Through branches (definitions.ts) a variable is any value some way to its use leaves in it: from
 * the last assignment that always runs, each `if`/`else` arm, `switch` case, loop body or `try`
 * that may run, unless it ends in `return`/`throw`. A choice (`c ? a : b`, `a || b`, `a ?? b`, `c && a`, `a if c else b`) is constant when every value
 * it can yield is, and as dynamic as its most dynamic branch otherwise. Numbers carry nothing to
 * inject: a list's positions (a `map` callback's index, `range()`, `enumerate()`'s count), so a
 * placeholder list (`ids.map((_, i) => "$" + (i + 1)).join(", ")`) is constant SQL.
 */
import type { SyntaxNode } from "@lezer/common";
import { type CodeLanguage, childrenOf, syntaxChildren } from "../../infra/syntax.js";
import { armsOf, branchOf, type Definition, Definitions, exits, FUNCTIONS, type Range } from "./definitions.js";

export type Value =
  | { kind: "constant"; text: string }
  | {
      kind: "dynamic";
      /** The literal text around the non-constant parts (for telling SQL from other strings). */
      text: string;
      how: string;
      /** The non-constant parts, as written. */
      parts: string[];
      /** Names the string travelled through (`sql_query`, `common.bad_query`). */
      hints: string[];
      flow: Step[];
    }
  | { kind: "opaque"; name: string; flow: Step[] }
  | { kind: "safe" };

/** A statement the value passed through: where a string was built, or where an input was assigned. */
export interface Step {
  from: number;
  to: number;
  built: boolean;
}

/** Builders whose results are parameterised or quoted SQL (psycopg.sql, SQLAlchemy bindparams). */
const SAFE_BUILDERS = new Set(["SQL", "Identifier", "Literal", "Placeholder", "Composed", "bindparams", "bindparam"]);
/** Conversions that leave only a number: nothing to inject. */
const NUMERIC = new Set(["Number", "parseInt", "parseFloat", "int", "float", "len", "abs", "round", "floor", "ceil", "bool", "Boolean"]);
/** String methods whose result is as constant (or not) as their receiver. */
const SAME_AS_RECEIVER = new Set([
  "trim",
  "trimStart",
  "trimEnd",
  "toUpperCase",
  "toLowerCase",
  "strip",
  "lstrip",
  "rstrip",
  "upper",
  "lower",
  "dedent",
  "repeat",
]);
/** Nodes that are constants whatever their text. */
const LITERALS = ["Number", "BooleanLiteral", "Boolean", "null", "None", "RegExp"];
/** Nodes whose value is the expression they wrap. */
const WRAPPERS = [
  "ParenthesizedExpression",
  "AwaitExpression",
  "NonNullExpression",
  "AsExpression",
  "SatisfiesExpression",
  "TypeAssertion",
];
const CONTAINERS = new Set(["ArrayExpression", "TupleExpression", "DictionaryExpression", "SetExpression"]);
const COMPREHENSIONS = new Set(["ArrayComprehensionExpression", "ComprehensionExpression", "SetComprehensionExpression"]);
const MAX_DEPTH = 40;

type Rule = (node: SyntaxNode, depth: number) => Value;

interface Arguments {
  positional: SyntaxNode[];
  keyword: Map<string, SyntaxNode>;
}

/** A call being read: what it calls, with what, at which depth. */
interface Call {
  node: SyntaxNode;
  name: string;
  args: Arguments;
  depth: number;
}

const constant = (text = ""): Value => ({ kind: "constant", text });
const isStringish = (v: Value) => v.kind === "constant" || v.kind === "dynamic";
const textOf = (v: Value) => (v.kind === "constant" || v.kind === "dynamic" ? v.text : "");
const flowOf = (v: Value): Step[] => (v.kind === "dynamic" || v.kind === "opaque" ? v.flow : []);

export class Evaluator {
  private readonly definitions: Definitions;
  private readonly rules: Map<string, Rule>;
  private readonly resolving = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly language: CodeLanguage,
  ) {
    this.definitions = new Definitions(text, language);
    this.rules = this.ruleTable();
  }

  source(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  evaluate(node: SyntaxNode, depth = 0): Value {
    if (depth > MAX_DEPTH) return this.opaque(node);
    const rule = this.rules.get(node.name);
    return rule ? rule(node, depth + 1) : this.opaque(node);
  }

  /** How each kind of node is read; any other is opaque. */
  private ruleTable(): Map<string, Rule> {
    const rules = new Map<string, Rule>([
      ["String", (node) => constant(this.unquote(node))],
      [
        "ContinuedString",
        (node, depth) =>
          this.concat(
            childrenOf(node).map((c) => this.evaluate(c, depth)),
            "f-string",
          ),
      ],
      ["TemplateString", (node, depth) => this.interpolated(node, depth)],
      ["FormatString", (node, depth) => this.interpolated(node, depth)],
      ["TaggedTemplateExpression", (node, depth) => this.tagged(node, depth)],
      ["BinaryExpression", (node, depth) => this.binary(node, depth)],
      ["ConditionalExpression", (node, depth) => this.conditional(node, depth)],
      ["VariableName", (node, depth) => this.resolve(node, depth)],
      ["MemberExpression", (node) => this.member(node)],
      ["CallExpression", (node, depth) => this.call(node, depth)],
    ]);
    for (const name of LITERALS) rules.set(name, (node) => constant(this.source(node)));
    for (const name of WRAPPERS) rules.set(name, (node, depth) => this.unwrapped(node, depth));
    for (const name of CONTAINERS) rules.set(name, (node, depth) => this.container(node, depth));
    for (const name of COMPREHENSIONS) rules.set(name, (node, depth) => this.comprehension(node, depth));
    return rules;
  }

  /** (x), await x, x!, x as T, x satisfies T, <T>x: the value of x. */
  private unwrapped(node: SyntaxNode, depth: number): Value {
    const inner = syntaxChildren(node).find((c) => !c.name.startsWith("Type"));
    return inner ? this.evaluate(inner, depth) : constant();
  }

  /** sql`…`, Prisma.sql`…`, slonik and postgres.js tags bind the interpolations as parameters; String.raw`…` does not. */
  private tagged(node: SyntaxNode, depth: number): Value {
    const tag = node.firstChild;
    const template = node.lastChild;
    if (tag && template && /(^|\.)raw$/.test(this.source(tag)) && this.source(tag).startsWith("String"))
      return this.evaluate(template, depth);
    return { kind: "safe" };
  }

  /** CONSTANT_CASE members (config.USERS_TABLE) and lengths cannot carry user input. */
  private member(node: SyntaxNode): Value {
    const property = node.lastChild ? this.source(node.lastChild) : "";
    return /^[A-Z][A-Z0-9_]*$/.test(property) || property === "length" ? constant() : this.opaque(node);
  }

  private container(node: SyntaxNode, depth: number): Value {
    const items = this.containerItems(node).map((c) => this.evaluate(c, depth));
    return items.every((v) => v.kind === "constant") ? constant(items.map(textOf).join(" ")) : this.concat(items, "a list");
  }

  private comprehension(node: SyntaxNode, depth: number): Value {
    const element = syntaxChildren(node)[0];
    return element && this.evaluate(element, depth).kind === "constant" ? constant() : this.opaque(node);
  }

  /** Elements of a list or tuple; values of a dict (its keys are names, not SQL). */
  containerItems(node: SyntaxNode): SyntaxNode[] {
    const items = syntaxChildren(node).filter((c) => c.name !== "Spread");
    if (node.name !== "DictionaryExpression") return items;
    const values: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name === ":" && c.nextSibling) values.push(c.nextSibling);
    }
    return values;
  }

  private opaque(node: SyntaxNode): Value {
    return { kind: "opaque", name: this.source(node), flow: [] };
  }

  private unquote(node: SyntaxNode): string {
    const raw = this.source(node).replace(/^[rRbBuU]{0,2}/, "");
    const quote = raw.startsWith('"""') || raw.startsWith("'''") ? 3 : 1;
    return raw.slice(quote, raw.length - quote);
  }

  private interpolated(node: SyntaxNode, depth: number): Value {
    const pieces: Value[] = [];
    let cursor = node.from;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.name !== "Interpolation" && child.name !== "FormatReplacement") continue;
      pieces.push(constant(this.text.slice(cursor, child.from)));
      const expression = syntaxChildren(child).find((c) => !c.name.startsWith("Interpolation") && !c.name.startsWith("Format"));
      pieces.push(expression ? this.evaluate(expression, depth) : constant());
      cursor = child.to;
    }
    pieces.push(constant(this.text.slice(cursor, node.to)));
    return this.concat(pieces, node.name === "FormatString" ? "an f-string" : "a template literal");
  }

  /** Joins string pieces: constant when every piece is, dynamic when any is not. */
  private concat(values: Value[], how: string): Value {
    if (values.every((v) => v.kind === "constant")) return constant(values.map(textOf).join(""));
    if (!values.some(isStringish)) return this.mergeOpaque(values);
    const parts: string[] = [];
    const hints: string[] = [];
    const flow: Step[] = [];
    let innerHow: string | undefined;
    for (const v of values) {
      flow.push(...flowOf(v));
      if (v.kind === "dynamic") {
        parts.push(...v.parts);
        hints.push(...v.hints);
        innerHow ??= v.how;
      } else if (v.kind === "opaque") parts.push(v.name);
      else if (v.kind === "safe") parts.push("a query builder");
    }
    return { kind: "dynamic", text: values.map(textOf).join(""), how: innerHow ?? how, parts, hints, flow };
  }

  private mergeOpaque(values: Value[]): Value {
    const opaque = values.filter((v): v is Extract<Value, { kind: "opaque" }> => v.kind === "opaque");
    if (opaque.length === 0) return values.every((v) => v.kind === "safe") ? { kind: "safe" } : constant();
    return { kind: "opaque", name: opaque.map((v) => v.name).join(" + "), flow: opaque.flatMap((v) => v.flow) };
  }

  /**
   * Either of several values (branches of a conditional, `a || b`): constant when every one is, its
   * text then all of theirs (for telling SQL from other strings); dynamic when any is.
   */
  private union(values: Value[]): Value {
    if (values.every((v) => v.kind === "constant")) return constant([...new Set(values.map(textOf).filter(Boolean))].join(" "));
    const dynamic = values.find((v) => v.kind === "dynamic");
    if (dynamic) return dynamic;
    return this.mergeOpaque(values);
  }

  /** `test ? a : b` (JS, whose `?` and `:` are LogicOp nodes) or `a if test else b` (Python): either branch. */
  private conditional(node: SyntaxNode, depth: number): Value {
    const kids = syntaxChildren(node).filter((k) => k.name !== "LogicOp");
    const branches = this.language === "python" ? [kids[0], kids[2]] : [kids[1], kids[2]];
    return this.union(branches.filter((b): b is SyntaxNode => b !== undefined).map((b) => this.evaluate(b, depth)));
  }

  private binary(node: SyntaxNode, depth: number): Value {
    const kids = childrenOf(node);
    const left = kids[0];
    const right = kids[kids.length - 1];
    if (!left || !right || left === right) return this.opaque(node);
    const operand = (n: SyntaxNode) => this.evaluate(n, depth);
    switch (kids[1] ? this.source(kids[1]) : "") {
      case "+":
        return this.concat([operand(left), operand(right)], "concatenation");
      case "||":
      case "??":
      case "or":
        return this.union([operand(left), operand(right)]);
      case "&&":
      case "and":
        // The left operand is the result only when falsy ("", 0, null, false…): no text to inject.
        return this.union([operand(right), constant()]);
      case "%":
        return this.language === "python" ? this.percent(node, operand(left), right, depth) : this.opaque(node);
      case "*":
        return this.repeated(node, operand(left), operand(right));
      default:
        return this.opaque(node);
    }
  }

  /** Python's `format % args`. */
  private percent(node: SyntaxNode, format: Value, right: SyntaxNode, depth: number): Value {
    if (!isStringish(format)) return this.opaque(node);
    const args = this.evaluate(right, depth);
    if (args.kind === "constant") return format;
    return this.concat([format, args.kind === "dynamic" ? { ...args, text: "" } : args], "% formatting");
  }

  /** 'x' * n and ['%s'] * len(ids) repeat constants: placeholders, not values. */
  private repeated(node: SyntaxNode, a: Value, b: Value): Value {
    return a.kind === "constant" || b.kind === "constant" ? constant(textOf(a) || textOf(b)) : this.opaque(node);
  }

  private call(node: SyntaxNode, depth: number): Value {
    const callee = node.firstChild;
    if (!callee) return this.opaque(node);
    const isMember = callee.name === "MemberExpression";
    const name = isMember ? (callee.lastChild ? this.source(callee.lastChild) : "") : this.source(callee);
    const receiver = isMember ? callee.firstChild : null;
    if (SAFE_BUILDERS.has(name)) return { kind: "safe" };
    if (NUMERIC.has(name) || (receiver && this.source(receiver) === "Math")) return constant();
    const argList = node.lastChild?.name === "ArgList" ? node.lastChild : undefined;
    const call: Call = { node, name, args: argList ? this.argumentsOf(argList) : { positional: [], keyword: new Map() }, depth };
    return receiver ? this.method(call, receiver) : this.plainCall(call);
  }

  /** str(x), String(x): the value of x as text. Any other function's result is opaque. */
  private plainCall(call: Call): Value {
    const first = call.args.positional[0];
    if ((call.name !== "str" && call.name !== "String") || !first) return this.opaque(call.node);
    const inner = this.evaluate(first, call.depth);
    return inner.kind === "constant" ? constant(inner.text) : inner;
  }

  private method(call: Call, receiver: SyntaxNode): Value {
    const self = this.evaluate(receiver, call.depth);
    if (SAME_AS_RECEIVER.has(call.name)) return self;
    const python = this.language === "python";
    switch (call.name) {
      case "format":
        return python ? this.format(call, receiver, self) : this.opaque(call.node);
      case "join":
        return this.join(call, self);
      case "concat":
        return python ? this.opaque(call.node) : this.concat([self, ...this.argumentValues(call)], "concatenation");
      case "map":
      case "flatMap":
      case "fill":
        return this.placeholders(call, call.args.positional[0]);
      case "from":
        // Array.from(items, fn): what fn returns for each item.
        return this.source(receiver) === "Array" ? this.placeholders(call, call.args.positional[1]) : this.opaque(call.node);
      default:
        return this.opaque(call.node);
    }
  }

  private argumentValues(call: Call): Value[] {
    return [...call.args.positional, ...call.args.keyword.values()].map((a) => this.evaluate(a, call.depth));
  }

  /** Python's `template.format(…)`: the template with the arguments in it. */
  private format(call: Call, receiver: SyntaxNode, self: Value): Value {
    if (self.kind === "safe") return self;
    const values = this.argumentValues(call);
    if (values.every((v) => v.kind === "constant")) return self;
    const base: Value = isStringish(self) ? self : constant();
    const merged = this.concat([base, ...values.map((v) => (v.kind === "dynamic" ? { ...v, text: "" } : v))], ".format()");
    if (merged.kind === "dynamic") {
      merged.how = ".format()";
      if (!isStringish(self)) merged.hints.push(this.source(receiver));
    }
    return merged;
  }

  /** JS `list.join(sep)`, Python `sep.join(list)`: as constant as the list. */
  private join(call: Call, self: Value): Value {
    let items = self;
    if (this.language === "python") {
      const list = call.args.positional[0];
      if (!list) return this.opaque(call.node);
      items = this.evaluate(list, call.depth);
    }
    if (items.kind === "constant") return constant(items.text);
    return items.kind === "dynamic" ? { ...items, how: "join" } : this.concat([constant(), items], "join");
  }

  /**
   * ids.map(() => '?'), ids.map((_, i) => `$${i + 1}`) and Array(n).fill('?') build placeholder
   * lists: constant when every value the callback returns (or the fill value) is, over any list.
   */
  private placeholders(call: Call, fn: SyntaxNode | undefined): Value {
    const results = fn ? this.returnedBy(fn) : [];
    const constantResults = results.length > 0 && results.every((r) => r === undefined || this.evaluate(r, call.depth).kind === "constant");
    return constantResults ? constant() : this.opaque(call.node);
  }

  /**
   * What a function returns: an arrow's expression body, or each `return`'s value in a block body
   * (undefined for a bare `return`, or a block that ends without one). Any other node is its own value.
   */
  private returnedBy(fn: SyntaxNode): (SyntaxNode | undefined)[] {
    if (fn.name !== "ArrowFunction" && fn.name !== "FunctionExpression") return [fn];
    const body = fn.lastChild;
    if (body?.name !== "Block") return body ? [body] : [];
    const results: (SyntaxNode | undefined)[] = [undefined];
    const stack = childrenOf(body);
    while (stack.length > 0) {
      const node = stack.pop() as SyntaxNode;
      if (FUNCTIONS[this.language].has(node.name)) continue;
      if (node.name === "ReturnStatement") results.push(syntaxChildren(node)[0]);
      else stack.push(...childrenOf(node));
    }
    return results;
  }

  argumentsOf(argList: SyntaxNode): Arguments {
    const positional: SyntaxNode[] = [];
    const keyword = new Map<string, SyntaxNode>();
    const kids = childrenOf(argList);
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i] as SyntaxNode;
      if (!/^[A-Z]/.test(kid.name) || kid.name.endsWith("Comment") || kid.name === "Spread") continue;
      if (kid.name === "VariableName" && kids[i + 1]?.name === "AssignOp") {
        const value = kids[i + 2];
        if (value) keyword.set(this.source(kid), value);
        i += 2;
        continue;
      }
      positional.push(kid);
    }
    return { positional, keyword };
  }

  // --- variables -------------------------------------------------------------------------------

  private resolve(node: SyntaxNode, depth: number): Value {
    const name = this.source(node);
    const comprehension = this.language === "python" ? this.definitions.comprehensionBinding(node, name) : undefined;
    if (comprehension) return this.assigned(name, comprehension, depth);
    let scope = this.definitions.scopeOf(node);
    // Where the value is used: the name itself, or in an enclosing scope the function holding it.
    let use: SyntaxNode = node;
    for (;;) {
      const defs = this.definitions.in(scope).get(name);
      if (defs && defs.length > 0) {
        const before = use === node ? defs.filter((d) => d.node.from < node.from) : defs;
        const key = `${scope.from}:${name}`;
        if (this.resolving.has(key)) return { kind: "opaque", name, flow: [] };
        this.resolving.add(key);
        try {
          return this.fromDefinitions(name, before.length > 0 ? before : defs, scope, use, depth);
        } finally {
          this.resolving.delete(key);
        }
      }
      if (!scope.parent) break;
      use = scope;
      scope = this.definitions.scopeOf(scope);
    }
    // Unresolved: CONSTANT_CASE names are constants by convention (imported settings, enums).
    return /^[A-Z][A-Z0-9_]*$/.test(name) ? constant() : { kind: "opaque", name, flow: [] };
  }

  /**
   * The value a name has at `use`, from its definitions in `scope` (in source order): any value it
   * may have been given on some way there, from the last definition that always runs.
   */
  private fromDefinitions(name: string, defs: Definition[], scope: SyntaxNode, use: SyntaxNode, depth: number): Value {
    // `let x;` and nothing we can see assigns it: set somewhere we do not follow.
    const seen = defs.every((d) => d.op === "declare") ? defs.map((d): Definition => ({ ...d, op: "unknown" })) : defs;
    let start = seen.length - 1;
    while (start > 0 && ((seen[start] as Definition).op === "+=" || branchOf((seen[start] as Definition).node, scope, use))) start--;
    const value = this.fold(name, seen.slice(start), scope, use, undefined, depth) ?? { kind: "opaque", name, flow: [] };
    if (value.kind === "dynamic") return { ...value, hints: [...value.hints, name] };
    return value;
  }

  /** The value after `defs` (all inside `within`, in source order) run from `value`. */
  private fold(
    name: string,
    defs: Definition[],
    within: Range,
    use: SyntaxNode,
    value: Value | undefined,
    depth: number,
  ): Value | undefined {
    if (depth > MAX_DEPTH) return { kind: "opaque", name, flow: [] };
    let i = 0;
    while (i < defs.length) {
      const def = defs[i] as Definition;
      const branch = branchOf(def.node, within, use);
      if (!branch) {
        value = this.assign(name, def, value, depth);
        i++;
        continue;
      }
      let end = i + 1;
      while (end < defs.length && (defs[end] as Definition).node.from < branch.to) end++;
      value = this.branched(name, defs.slice(i, end), branch, use, value, depth + 1);
      i = end;
    }
    return value;
  }

  /** The value after a branching node holding `defs`: what any way through it that goes on leaves. */
  private branched(
    name: string,
    defs: Definition[],
    branch: SyntaxNode,
    use: SyntaxNode,
    value: Value | undefined,
    depth: number,
  ): Value | undefined {
    const { arms, always } = armsOf(branch, this.language);
    const inside = (d: Definition, arm: Range) => arm.from <= d.node.from && d.node.to <= arm.to;
    // Definitions in no arm (an `if`'s test) run first.
    let start = value;
    for (const def of defs) if (!arms.some((arm) => inside(def, arm))) start = this.assign(name, def, start, depth);
    const outcomes = arms
      .filter((arm) => !exits(arm))
      .map((arm) =>
        this.fold(
          name,
          defs.filter((d) => inside(d, arm)),
          arm,
          use,
          start,
          depth,
        ),
      );
    if (!always) outcomes.push(start);
    const known = outcomes.filter((v): v is Value => v !== undefined);
    return known.length > 0 ? this.union(known) : start;
  }

  /** A value after one definition runs. */
  private assign(name: string, def: Definition, value: Value | undefined, depth: number): Value {
    const assigned = this.assigned(name, def, depth);
    return def.op === "+=" ? this.concat([value ?? constant(), assigned], "concatenation") : assigned;
  }

  private assigned(name: string, def: Definition, depth: number): Value {
    const step: Step = { from: def.node.from, to: def.node.to, built: false };
    // A position counts: a number, nothing to inject.
    if (def.op === "declare" || def.op === "index") return constant();
    if (def.op === "param") return { kind: "opaque", name, flow: [] };
    if (!def.value) return { kind: "opaque", name, flow: [step] };
    const assigned = this.evaluate(def.value, depth);
    if (assigned.kind !== "opaque" && assigned.kind !== "dynamic") return assigned;
    return { ...assigned, flow: [...assigned.flow, { ...step, built: assigned.kind === "dynamic" }] };
  }
}
