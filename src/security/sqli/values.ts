/**
 * What a string expression is known to be, read from the syntax tree: a constant, a string built
 * from non-constant parts (the injection risk), an opaque value, or a safe query builder. Variables
 * are followed to their assignments in the same function (then enclosing scopes), so a query built
 * in a variable first is judged by how it was built; `from` remembers where the flow started. A
 * choice (`c ? a : b`, `a || b`, `a ?? b`, `c && a`, `a if c else b`) is constant when every value
 * it can yield is, and as dynamic as its most dynamic branch otherwise.
 */
import type { SyntaxNode } from "@lezer/common";
import { type CodeLanguage, childrenOf, syntaxChildren } from "../../infra/syntax.js";

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

interface Definition {
  /** The defining statement's span (for parameters, the parameter's). */
  at: number;
  end: number;
  /** The assigned expression; undefined for parameters, loop variables, imports and unpacking. */
  value: SyntaxNode | undefined;
  op: "=" | "+=" | "param" | "unknown";
}

const FUNCTIONS: Record<CodeLanguage, ReadonlySet<string>> = {
  javascript: new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunction", "MethodDeclaration"]),
  typescript: new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunction", "MethodDeclaration"]),
  python: new Set(["FunctionDefinition", "LambdaExpression"]),
};
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
const CONTAINERS = new Set(["ArrayExpression", "TupleExpression", "DictionaryExpression", "SetExpression"]);
const COMPREHENSIONS = new Set(["ArrayComprehensionExpression", "ComprehensionExpression", "SetComprehensionExpression"]);
const MAX_DEPTH = 40;

type Add = (name: SyntaxNode, value: SyntaxNode | undefined, op: Definition["op"], statement?: SyntaxNode) => void;

/** The statement an expression belongs to (`x = y` in JS is an expression inside one). */
function statementOf(node: SyntaxNode): SyntaxNode {
  return node.parent?.name === "ExpressionStatement" ? node.parent : node;
}

const constant = (text = ""): Value => ({ kind: "constant", text });
const isStringish = (v: Value) => v.kind === "constant" || v.kind === "dynamic";
const textOf = (v: Value) => (v.kind === "constant" || v.kind === "dynamic" ? v.text : "");
const flowOf = (v: Value): Step[] => (v.kind === "dynamic" || v.kind === "opaque" ? v.flow : []);

export class Evaluator {
  private readonly definitions = new Map<string, Map<string, Definition[]>>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly language: CodeLanguage,
  ) {}

  source(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  evaluate(node: SyntaxNode, depth = 0): Value {
    if (depth > MAX_DEPTH) return { kind: "opaque", name: this.source(node), flow: [] };
    const next = depth + 1;
    switch (node.name) {
      case "String":
        return constant(this.unquote(node));
      case "ContinuedString":
        return this.concat(
          childrenOf(node).map((c) => this.evaluate(c, next)),
          "f-string",
        );
      case "TemplateString":
      case "FormatString":
        return this.interpolated(node, next);
      case "Number":
      case "BooleanLiteral":
      case "Boolean":
      case "null":
      case "None":
      case "RegExp":
        return constant(this.source(node));
      case "ParenthesizedExpression":
      case "AwaitExpression":
      case "NonNullExpression":
      case "AsExpression":
      case "SatisfiesExpression":
      case "TypeAssertion": {
        const inner = syntaxChildren(node).find((c) => !c.name.startsWith("Type"));
        return inner ? this.evaluate(inner, next) : constant();
      }
      case "TaggedTemplateExpression": {
        // sql`…`, Prisma.sql`…`, slonik and postgres.js tags bind the interpolations as parameters.
        const tag = node.firstChild;
        const template = node.lastChild;
        if (tag && template && /(^|\.)raw$/.test(this.source(tag)) && this.source(tag).startsWith("String"))
          return this.evaluate(template, next);
        return { kind: "safe" };
      }
      case "BinaryExpression":
        return this.binary(node, next);
      case "ConditionalExpression":
        return this.conditional(node, next);
      case "VariableName":
        return this.resolve(node, next);
      case "MemberExpression": {
        const property = node.lastChild ? this.source(node.lastChild) : "";
        // CONSTANT_CASE members (config.USERS_TABLE) and lengths cannot carry user input.
        if (/^[A-Z][A-Z0-9_]*$/.test(property) || property === "length") return constant();
        return { kind: "opaque", name: this.source(node), flow: [] };
      }
      case "CallExpression":
        return this.call(node, next);
      default:
        if (CONTAINERS.has(node.name)) {
          const items = this.containerItems(node).map((c) => this.evaluate(c, next));
          return items.every((v) => v.kind === "constant") ? constant(items.map(textOf).join(" ")) : this.concat(items, "a list");
        }
        if (COMPREHENSIONS.has(node.name)) {
          const element = syntaxChildren(node)[0];
          return element && this.evaluate(element, next).kind === "constant" ? constant() : this.opaque(node);
        }
        return this.opaque(node);
    }
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
    const argList = node.lastChild?.name === "ArgList" ? node.lastChild : undefined;
    if (!callee) return this.opaque(node);
    const isMember = callee.name === "MemberExpression";
    const name = isMember ? (callee.lastChild ? this.source(callee.lastChild) : "") : this.source(callee);
    const receiver = isMember ? callee.firstChild : null;
    const args = argList ? this.argumentsOf(argList) : { positional: [], keyword: new Map<string, SyntaxNode>() };
    const argValues = () => [...args.positional, ...args.keyword.values()].map((a) => this.evaluate(a, depth));
    if (SAFE_BUILDERS.has(name)) return { kind: "safe" };
    if (NUMERIC.has(name) || (receiver && this.source(receiver) === "Math")) return constant();
    if (!receiver) {
      // str(x), String(x): the value of x as text.
      if ((name === "str" || name === "String") && args.positional[0]) {
        const inner = this.evaluate(args.positional[0], depth);
        return inner.kind === "constant" ? constant(inner.text) : inner;
      }
      return this.opaque(node);
    }
    const self = this.evaluate(receiver, depth);
    if (SAME_AS_RECEIVER.has(name)) return self;
    if (name === "format" && this.language === "python") {
      if (self.kind === "safe") return self;
      const values = argValues();
      if (values.every((v) => v.kind === "constant")) return self;
      const base: Value = isStringish(self) ? self : constant();
      const merged = this.concat([base, ...values.map((v) => (v.kind === "dynamic" ? { ...v, text: "" } : v))], ".format()");
      if (merged.kind === "dynamic") {
        merged.how = ".format()";
        if (!isStringish(self)) merged.hints.push(this.source(receiver));
      }
      return merged;
    }
    if (name === "join") {
      const list = this.language === "python" ? args.positional[0] : receiver;
      if (!list) return this.opaque(node);
      const items = this.language === "python" ? this.evaluate(list, depth) : self;
      if (items.kind === "constant") return constant(items.text);
      return items.kind === "dynamic" ? { ...items, how: "join" } : this.concat([constant(), items], "join");
    }
    if (name === "concat" && this.language !== "python") return this.concat([self, ...argValues()], "concatenation");
    if (name === "map" || name === "fill") {
      // ids.map(() => '?') and Array(n).fill('?') build placeholder lists.
      const fn = args.positional[0];
      const result = fn?.name === "ArrowFunction" ? fn.lastChild : fn;
      if (result && this.evaluate(result, depth).kind === "constant") return constant();
    }
    return this.opaque(node);
  }

  argumentsOf(argList: SyntaxNode): { positional: SyntaxNode[]; keyword: Map<string, SyntaxNode> } {
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

  private scopeOf(node: SyntaxNode): SyntaxNode {
    let scope = node.parent;
    while (scope?.parent && !FUNCTIONS[this.language].has(scope.name)) scope = scope.parent;
    return scope ?? node;
  }

  private resolve(node: SyntaxNode, depth: number): Value {
    const name = this.source(node);
    let scope = this.scopeOf(node);
    let inner = true;
    for (;;) {
      const defs = this.definitionsIn(scope).get(name);
      if (defs && defs.length > 0) {
        const before = inner ? defs.filter((d) => d.at < node.from) : defs;
        const key = `${scope.from}:${name}`;
        if (this.resolving.has(key)) return { kind: "opaque", name, flow: [] };
        this.resolving.add(key);
        try {
          return this.fromDefinitions(name, before.length > 0 ? before : defs, depth);
        } finally {
          this.resolving.delete(key);
        }
      }
      if (!scope.parent) break;
      scope = this.scopeOf(scope);
      inner = false;
    }
    // Unresolved: CONSTANT_CASE names are constants by convention (imported settings, enums).
    return /^[A-Z][A-Z0-9_]*$/.test(name) ? constant() : { kind: "opaque", name, flow: [] };
  }

  private fromDefinitions(name: string, defs: Definition[], depth: number): Value {
    let start = defs.length - 1;
    while (start > 0 && (defs[start] as Definition).op === "+=") start--;
    let value: Value = constant();
    for (const def of defs.slice(start)) {
      let assigned: Value;
      const step: Step = { from: def.at, to: def.end, built: false };
      if (def.op === "param") assigned = { kind: "opaque", name, flow: [] };
      else if (!def.value) assigned = { kind: "opaque", name, flow: [step] };
      else {
        assigned = this.evaluate(def.value, depth);
        if (assigned.kind === "opaque" || assigned.kind === "dynamic")
          assigned = { ...assigned, flow: [...assigned.flow, { ...step, built: assigned.kind === "dynamic" }] };
      }
      value = def.op === "+=" ? this.concat([value, assigned], "concatenation") : assigned;
    }
    if (value.kind === "dynamic") return { ...value, hints: [...value.hints, name] };
    return value;
  }

  private definitionsIn(scope: SyntaxNode): Map<string, Definition[]> {
    const key = `${scope.from}:${scope.to}`;
    let found = this.definitions.get(key);
    if (found) return found;
    const defs = new Map<string, Definition[]>();
    found = defs;
    this.definitions.set(key, defs);
    const add: Add = (nameNode, value, op, statement = nameNode) => {
      const name = this.source(nameNode);
      const list = defs.get(name) ?? [];
      list.push({ at: statement.from, end: statement.to, value, op });
      defs.set(name, list);
    };
    const functions = FUNCTIONS[this.language];
    if (functions.has(scope.name)) {
      const params = scope.getChild("ParamList");
      if (params) this.parameters(params, add);
      // `x => x + 1`: a lone parameter without parentheses.
      else if (scope.name === "ArrowFunction" && scope.firstChild?.name === "VariableDefinition") add(scope.firstChild, undefined, "param");
    }
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
    return found;
  }

  private parameters(params: SyntaxNode, add: Add): void {
    const kids = childrenOf(params);
    kids.forEach((kid, i) => {
      if (kid.name === "VariableDefinition") add(kid, undefined, "param");
      else if (kid.name === "VariableName" && kids[i - 1]?.name !== "AssignOp") add(kid, undefined, "param");
      else if (/Pattern$/.test(kid.name)) for (const d of kid.getChildren("VariableDefinition")) add(d, undefined, "param");
    });
  }

  private definitionAt(node: SyntaxNode, add: Add): void {
    switch (node.name) {
      case "VariableDeclaration": {
        const kids = childrenOf(node);
        kids.forEach((kid, i) => {
          if (kid.name !== "VariableDefinition") return;
          const value =
            kids[i + 1]?.name === "Equals"
              ? kids[i + 2]
              : kids[i + 1]?.name === "TypeAnnotation" && kids[i + 2]?.name === "Equals"
                ? kids[i + 3]
                : undefined;
          add(kid, value, value ? "=" : "unknown", node);
        });
        return;
      }
      case "VariableDefinition":
        // Destructuring, for-of, catch and import bindings: defined, value unknown.
        if (node.parent?.name !== "VariableDeclaration") add(node, undefined, "unknown");
        return;
      case "AssignmentExpression": {
        const kids = childrenOf(node);
        const target = kids[0];
        const op = kids[1] ? this.source(kids[1]) : "";
        if (target?.name !== "VariableName") return;
        add(target, kids[kids.length - 1], op === "=" ? "=" : op === "+=" ? "+=" : "unknown", statementOf(node));
        return;
      }
      case "AssignStatement": {
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
        return;
      }
      case "UpdateStatement": {
        const kids = childrenOf(node);
        if (kids[0]?.name !== "VariableName") return;
        const op = kids[1] ? this.source(kids[1]) : "";
        add(kids[0], kids[kids.length - 1], op === "+=" ? "+=" : "unknown", node);
        return;
      }
      case "WithStatement":
      case "ForStatement": {
        // with x() as name / for name in …: bound to something we do not follow.
        let bound = node.name === "ForStatement";
        for (let c = node.firstChild; c; c = c.nextSibling) {
          if (c.name === "as") bound = true;
          else if (c.name === "in" || c.name === "Body") bound = false;
          else if (bound && c.name === "VariableName") add(c, undefined, "unknown");
        }
        return;
      }
    }
  }
}
