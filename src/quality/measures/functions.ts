/**
 * Per-file code measures for TypeScript, JavaScript and Python: total and code lines, and for every
 * function its name, line range, cyclomatic complexity and whether its body is a stub.
 * TypeScript and JavaScript are read from oxc's parser (oxc.ts, several times faster); Python,
 * and any JS/TS file oxc rejects (a syntax error) or cannot read here, from Lezer's tree (below):
 * one TreeCursor walk per file; SyntaxNode objects are made only for functions (to name them and
 * read their bodies) and a few statement checks, never per node. Both follow the rules below.
 *
 * Functions. JS/TS: function declarations and expressions, arrow functions, class methods
 * (incl. getters, setters, constructors) and object-literal methods (`{ m() {} }`). Overload
 * signatures, `declare function`, abstract methods and interface members have no body and are not
 * functions. Python: `def` / `async def` and lambdas. Module top-level code is not a function.
 *
 * Names. Declarations and methods use the declared name; methods (and arrow functions or function
 * expressions held by class fields) are `Class.method`; an arrow function or function expression
 * assigned to a variable, property or member takes that name (`handler`, `Foo.prototype.bar`,
 * `module.exports.run`), also through parentheses and type assertions (`(…) as T`, `satisfies`,
 * `!`, `<T>…`), before a function expression's own name; Python methods are `Class.method` and lambdas assigned to a name take it.
 * Anything else is `<anonymous>` (the caller shows the line).
 *
 * Complexity is McCabe's cyclomatic number: 1 + the decision points inside the function, not
 * counting nested functions (each is measured on its own; a lambda or callback's branches belong
 * to it, not to the enclosing function).
 * - JS/TS: `if` (an `else if` is an `if` nested in the else branch, so it counts once more),
 *   `?:`, `for` / `for-in` / `for-of` / `for await`, `while`, `do…while`, each `case` label
 *   (`default` is not a decision), `catch`, and each `&&`, `||`, `??`, `&&=`, `||=`, `??=`.
 *   Not counted: `else`, `try`, `finally`, `?.`, TypeScript conditional and union types.
 * - Python: `if`, `elif`, `for` and `async for`, `while`, each `except` clause, conditional
 *   expressions, each `and` / `or` operator, each `for` and `if` clause of a comprehension, and
 *   each `case` clause of a `match` except an irrefutable one (`case _:` / `case name:`, Python's
 *   default); a guard (`case … if …`) is an `if` and counts on its own. Not counted: `else`, `try`, `finally`, `with`.
 *
 * Lines. `lines` is the number of lines of the text; `codeLines` the lines holding something other
 * than whitespace and comments (JS `//` and block comments, Python `#` comments, and Python
 * statement-level string literals such as docstrings, which are documentation, not code). A
 * function's `lines` is `endLine - line + 1`, from its first line (after any JS decorators; for
 * Python, the `def` line) to the last line of its body.
 *
 * Stubs (for gap analysis).
 * - "empty": a JS/TS function with a `{}` body holding no statement (comments and `;` ignored),
 *   reported only for named function declarations and class methods. Empty bodies that are
 *   deliberate no-ops are not reported: arrow functions, function expressions and object-literal
 *   methods (callbacks, default handlers, null objects such as `{ log() {}, warn() {} }`);
 *   constructors, and PascalCase function declarations (pre-class constructors); `override` and
 *   `protected` methods (silencing or offering a hook for subclasses); methods of null-object
 *   classes (`NoopMeter`, `NullLogger`, `NonRecordingSpan`, `DummyX`, `FakeX`, `StubX`, `MockX`);
 *   functions named like a no-op (`noop`, `nop`); and type-level helpers whose parameters are all
 *   marked unused (`_arg`) or typed `never` (`assertIs(_arg: T): void {}`,
 *   `checkNever(x: never) {}`).
 * - "pass": a Python `def` whose body is only `pass`, `...` and/or a docstring.
 * - "not-implemented": a function whose only statement (after comments, a docstring or a
 *   directive) raises: JS `throw` whose thrown expression mentions not implemented /
 *   unimplemented / TODO (`throw new Error("Not implemented")`, `throw new NotImplementedError()`),
 *   Python `raise NotImplementedError` / `raise NotImplementedError(...)` (and the common
 *   mistake `raise NotImplemented`). Reported for anonymous functions too.
 * - Never stubs, because the placeholder body is the point: Python functions decorated
 *   `@abstractmethod` (or `abc.abstractmethod`, `abstractproperty`, `abstractclassmethod`,
 *   `abstractstaticmethod`) or `@overload`, methods of a class deriving from `Protocol`, and
 *   everything in a `.pyi` stub file. Lambdas and expression-bodied arrows are never stubs.
 */
import type { SyntaxNode, TreeCursor } from "@lezer/common";
import { type CodeLanguage, LineIndex, languageOf, parse } from "../../infra/syntax.js";
import { measureScript } from "./oxc.js";
import {
  ANONYMOUS,
  compactName,
  computedKey,
  countCodeLines,
  countLines,
  deliberatelyEmpty,
  type FileMeasures,
  type FunctionMeasure,
  lineSpan,
  NOT_IMPLEMENTED,
  type StubKind,
} from "./rules.js";
import { agreesOnSample, SELF_CHECK } from "./self-check.js";

export { countLines, type FileMeasures, type FunctionMeasure, type StubKind };

/** The language of a path, including Python stub files (`.pyi`), which the shared table leaves out. */
export function measuredLanguageOf(path: string): CodeLanguage | undefined {
  return languageOf(path) ?? (/\.pyi$/i.test(path) ? "python" : undefined);
}

// What a node type means to the walk, looked up by type id (cached per language).
const NONE = 0;
const DECISION = 1;
const LOGIC_OP = 2;
const UPDATE_OP = 3;
const FUNCTION = 4;
const PARAM_LIST = 5;
const COMMENT = 6;
const MATCH_CLAUSE = 7;
const EXPRESSION_STATEMENT = 8;
const PROPERTY = 9;
const STATEMENT_LIST = 10;
const UNKNOWN = 255;

const JS_KINDS: Record<string, number> = {
  IfStatement: DECISION,
  ForStatement: DECISION,
  WhileStatement: DECISION,
  DoStatement: DECISION,
  CaseLabel: DECISION,
  CatchClause: DECISION,
  ConditionalExpression: DECISION,
  LogicOp: LOGIC_OP,
  UpdateOp: UPDATE_OP,
  FunctionDeclaration: FUNCTION,
  FunctionExpression: FUNCTION,
  ArrowFunction: FUNCTION,
  MethodDeclaration: FUNCTION,
  ParamList: PARAM_LIST,
  Property: PROPERTY,
  LineComment: COMMENT,
  BlockComment: COMMENT,
};
const PY_KINDS: Record<string, number> = {
  if: DECISION,
  elif: DECISION,
  for: DECISION,
  while: DECISION,
  except: DECISION,
  and: DECISION,
  or: DECISION,
  MatchClause: MATCH_CLAUSE,
  FunctionDefinition: FUNCTION,
  LambdaExpression: FUNCTION,
  Comment: COMMENT,
  ExpressionStatement: EXPRESSION_STATEMENT,
  Body: STATEMENT_LIST,
  Script: STATEMENT_LIST,
};

const kindCache = { js: new Uint8Array(4096).fill(UNKNOWN), py: new Uint8Array(4096).fill(UNKNOWN) };

function kindOf(cache: Uint8Array, table: Record<string, number>, cursor: TreeCursor): number {
  const id = cursor.type.id;
  const cached = id < cache.length ? (cache[id] as number) : UNKNOWN;
  if (cached !== UNKNOWN) return cached;
  const kind = table[cursor.type.name] ?? NONE;
  if (id < cache.length) cache[id] = kind;
  return kind;
}

const AMP = 38;
const PIPE = 124;
const QUESTION = 63;
const EQUALS = 61;

interface Frame {
  /** Cursor depth of the function's node: the frame closes when the walk leaves that depth. */
  depth: number;
  node: SyntaxNode;
  complexity: number;
}

export function measureFile(path: string, text: string): FileMeasures | undefined {
  const language = measuredLanguageOf(path);
  if (!language) return undefined;
  const fast = language !== "python" && oxcAgrees() ? measureScript(path, text, language) : undefined;
  return fast ?? measureWithLezer(path, text, language);
}

/**
 * Loads the JavaScript/TypeScript parser before a caller reads a large tree into memory: oxc's
 * first parse reserves a large (virtual) buffer, which makes V8 collect the whole heap once, cheap
 * while the heap is small and a few hundred milliseconds once it holds every file's text.
 */
export function prepareMeasures(): void {
  oxcAgrees();
}

let oxcChecked: boolean | undefined;

/** Whether oxc measures the self-check sample exactly as Lezer does (checked once per process). */
function oxcAgrees(): boolean {
  oxcChecked ??= agreesOnSample(measureScript(SELF_CHECK.path, SELF_CHECK.text, "typescript"));
  return oxcChecked;
}

/**
 * The measures read from Lezer's tree: Python always; JavaScript and TypeScript when oxc cannot
 * run here or rejects the file's syntax (Lezer recovers from errors and measures what it can).
 */
export function measureWithLezer(path: string, text: string, language: CodeLanguage): FileMeasures {
  const tree = parse(path, text, language);
  const python = language === "python";
  const walk: Walk = {
    text,
    python,
    context: { text, lineIndex: new LineIndex(text), stubFile: /\.pyi$/i.test(path) },
    commentFrom: [],
    commentTo: [],
    found: [],
    frames: [],
    kinds: [],
  };
  walkTree(walk, tree.cursor(), python ? kindCache.py : kindCache.js, python ? PY_KINDS : JS_KINDS);
  walk.found.sort((a, b) => a.from - b.from);
  return {
    path,
    language,
    lines: countLines(text),
    codeLines: countCodeLines(text, walk.commentFrom, walk.commentTo),
    functions: walk.found.map((f) => f.measure),
  };
}

/** What the walk collects, and the path it is on. */
interface Walk {
  text: string;
  python: boolean;
  context: Context;
  /** Comment (and docstring) ranges, in source order. */
  commentFrom: number[];
  commentTo: number[];
  found: { from: number; measure: FunctionMeasure }[];
  /** The functions the walk is inside, innermost last. */
  frames: Frame[];
  /** Kind of the node at each depth of the current path (for parent checks). */
  kinds: number[];
}

/** Depth-first over every node; a function is measured when the walk leaves it. */
function walkTree(walk: Walk, cursor: TreeCursor, cache: Uint8Array, table: Record<string, number>): void {
  let depth = 0;
  outer: for (;;) {
    const kind = kindOf(cache, table, cursor);
    walk.kinds[depth] = kind;
    VISITORS[kind]?.(walk, cursor, depth);
    if (cursor.firstChild()) {
      depth++;
      continue;
    }
    for (;;) {
      closeFunctionAt(walk, depth);
      if (cursor.nextSibling()) continue outer;
      if (!cursor.parent()) break outer;
      depth--;
    }
  }
}

function closeFunctionAt(walk: Walk, depth: number): void {
  const top = walk.frames[walk.frames.length - 1];
  if (!top || top.depth !== depth) return;
  walk.frames.pop();
  const measure = walk.python ? pythonFunction(top, walk.context) : jsFunction(top, walk.context);
  if (measure) walk.found.push({ from: top.node.from, measure });
}

function addComment(walk: Walk, cursor: TreeCursor): void {
  walk.commentFrom.push(cursor.from);
  walk.commentTo.push(cursor.to);
}

type Visitor = (walk: Walk, cursor: TreeCursor, depth: number) => void;

/** What each kind of node does to the walk (NONE, PROPERTY and STATEMENT_LIST nodes only matter as parents). */
const VISITORS: Record<number, Visitor> = {
  [DECISION]: (walk) => bump(walk.frames),
  [LOGIC_OP]: (walk, cursor) => {
    // `&&`, `||`, `??` (not `!`, `?`, `:` nor the `|` / `&` of types).
    if (cursor.to - cursor.from === 2 && isLogicalChar(walk.text.charCodeAt(cursor.from))) bump(walk.frames);
  },
  [UPDATE_OP]: (walk, cursor) => {
    if (isLogicalAssignment(walk.text, cursor)) bump(walk.frames);
  },
  [FUNCTION]: (walk, cursor, depth) => {
    walk.frames.push({ depth, node: cursor.node, complexity: 1 });
  },
  [PARAM_LIST]: (walk, cursor, depth) => {
    // `{ m() {} }`: an object-literal method is a Property holding a parameter list.
    if (depth === 0 || walk.kinds[depth - 1] !== PROPERTY) return;
    const property = cursor.node.parent;
    if (property) walk.frames.push({ depth: depth - 1, node: property, complexity: 1 });
  },
  [COMMENT]: addComment,
  [MATCH_CLAUSE]: (walk, cursor) => {
    if (!isIrrefutableCase(cursor)) bump(walk.frames);
  },
  [EXPRESSION_STATEMENT]: (walk, cursor, depth) => {
    // A string on its own as a statement (docstring) documents; it is not code.
    if (depth > 0 && walk.kinds[depth - 1] === STATEMENT_LIST && isBareString(cursor)) addComment(walk, cursor);
  },
};

/** `&&=`, `||=`, `??=` (not the arithmetic or bitwise updates). */
function isLogicalAssignment(text: string, cursor: TreeCursor): boolean {
  if (cursor.to - cursor.from !== 3 || text.charCodeAt(cursor.from + 2) !== EQUALS) return false;
  const first = text.charCodeAt(cursor.from);
  return isLogicalChar(first) && text.charCodeAt(cursor.from + 1) === first;
}

function bump(frames: Frame[]): void {
  const top = frames[frames.length - 1];
  if (top) top.complexity++;
}

function isLogicalChar(code: number): boolean {
  return code === AMP || code === PIPE || code === QUESTION;
}

/** `case _:` or `case name:` matches anything, like a default (a guard's `if` counts on its own). */
function isIrrefutableCase(cursor: TreeCursor): boolean {
  if (!cursor.firstChild()) return false;
  let pattern = "";
  do {
    const name = cursor.type.name;
    if (name !== "case" && name !== "Comment") pattern = name;
  } while (!pattern && cursor.nextSibling());
  cursor.parent();
  return pattern === "CapturePattern";
}

function isBareString(cursor: TreeCursor): boolean {
  if (!cursor.firstChild()) return false;
  const name = cursor.type.name;
  const alone = !cursor.nextSibling();
  cursor.parent();
  return alone && (name === "String" || name === "ContinuedString");
}

interface Context {
  text: string;
  lineIndex: LineIndex;
  /** A Python `.pyi` file: every body is a placeholder by design. */
  stubFile: boolean;
}

function source(node: SyntaxNode, context: Context): string {
  return context.text.slice(node.from, node.to);
}

function span(node: SyntaxNode, start: number, context: Context): Pick<FunctionMeasure, "line" | "endLine" | "lines"> {
  return lineSpan(context.lineIndex, context.text, start, node.to);
}

/** A name as written, whitespace removed; undefined when it is too long to be a name. */
function compact(node: SyntaxNode, context: Context): string | undefined {
  return compactName(context.text, node.from, node.to);
}

function lastSyntaxChild(node: SyntaxNode): SyntaxNode | null {
  let child = node.lastChild;
  while (child && (child.name === "⚠" || child.name === "LineComment" || child.name === "BlockComment")) child = child.prevSibling;
  return child;
}

// ---------------------------------------------------------------- JavaScript / TypeScript

function jsFunction(frame: Frame, context: Context): FunctionMeasure | undefined {
  const { node } = frame;
  const body = lastSyntaxChild(node);
  // Overload signatures, `declare function`, abstract methods: no body, not a function.
  if (node.name !== "ArrowFunction" && body?.name !== "Block") return undefined;
  const { start, hook, params } = jsHead(node, context);
  const name = jsName(node, context);
  const measure: FunctionMeasure = { name, ...span(node, start, context), complexity: frame.complexity };
  if (body?.name === "Block") {
    const stub = jsStub(body, context);
    if (stub === "not-implemented" || (stub === "empty" && !deliberatelyEmptyNode(node, name, hook, params, context))) measure.stub = stub;
  }
  return measure;
}

/**
 * What comes before a function's body: where it starts (after any decorators), whether it is a
 * hook (`override`, `protected`: an empty body is its point), and its parameter list.
 */
function jsHead(node: SyntaxNode, context: Context): { start: number; hook: boolean; params: SyntaxNode | null } {
  let start = node.from;
  let hook = false;
  let params: SyntaxNode | null = null;
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.name === "Decorator") {
      start = child.nextSibling?.from ?? start;
      continue;
    }
    if (child.name === "override" || (child.name === "Privacy" && source(child, context) === "protected")) hook = true;
    if (child.name === "ParamList") params = child;
    if (child.name === "ParamList" || child.name === "Block") break;
  }
  return { start, hook, params };
}

/** The rules of rules.ts's deliberatelyEmpty, read from Lezer's nodes. */
function deliberatelyEmptyNode(node: SyntaxNode, name: string, hook: boolean, params: SyntaxNode | null, context: Context): boolean {
  const kind = node.name === "FunctionDeclaration" ? "declaration" : node.name === "MethodDeclaration" ? "method" : "other";
  return deliberatelyEmpty({
    kind,
    name,
    hook,
    ...(kind === "method" ? { key: jsKey(node, context) } : {}),
    ...(params ? { params: source(params, context) } : {}),
    paramNames: params ? params.getChildren("VariableDefinition").map((p) => source(p, context)) : [],
  });
}

/** "empty" or "not-implemented" from the body alone (whether an empty body is deliberate is decided by the caller). */
function jsStub(body: SyntaxNode, context: Context): StubKind | undefined {
  const statements: SyntaxNode[] = [];
  for (let child = body.firstChild; child; child = child.nextSibling) {
    const n = child.name;
    if (n === "{" || n === "}" || n === ";" || n === "LineComment" || n === "BlockComment") continue;
    // Directives ("use strict") are not statements of the function's own.
    if (n === "ExpressionStatement" && child.firstChild?.name === "String" && statements.length === 0) continue;
    statements.push(child);
    if (statements.length > 1) return undefined;
  }
  const only = statements[0];
  if (!only) return "empty";
  if (only.name === "ThrowStatement" && NOT_IMPLEMENTED.test(source(only, context))) return "not-implemented";
  return undefined;
}

/**
 * Lezer reads a generic async arrow, `async <T>(x: T) => …`, as comparisons: `async < T > ((x: T)
 * => …)`. The arrow is then the right operand of a BinaryExpression whose text before it is
 * `async <…>`; seen through, the arrow gets the name it is assigned to, as oxc gives it.
 */
const GENERIC_ASYNC_HEAD = /^async\s*<[^=;{}()]*>\s*$/;

function isGenericAsyncHead(parent: SyntaxNode, value: SyntaxNode, context: Context): boolean {
  if (parent.name !== "BinaryExpression" || parent.lastChild?.from !== value.from) return false;
  return GENERIC_ASYNC_HEAD.test(context.text.slice(parent.from, value.from));
}

/**
 * Whether a node only wraps the value before it: parentheses and TypeScript's assertions, which
 * Lezer's tree spells `x as T` / `x satisfies T` (BinaryExpression), `x!` (PostfixExpression) and
 * `<T>x` (PrefixCast).
 */
function isWrapper(node: SyntaxNode): boolean {
  switch (node.name) {
    case "ParenthesizedExpression":
    case "PrefixCast":
      return true;
    case "BinaryExpression": {
      const operator = node.firstChild?.nextSibling?.name;
      return operator === "as" || operator === "satisfies";
    }
    case "PostfixExpression":
      return node.lastChild?.name === "LogicOp"; // `!`, not `++` / `--`
    default:
      return false;
  }
}

function jsName(node: SyntaxNode, context: Context): string {
  switch (node.name) {
    case "FunctionDeclaration":
      return ownName(node, context) ?? ANONYMOUS;
    case "MethodDeclaration":
      return qualified(node.parent?.parent, jsKey(node, context), context);
    case "Property":
      return jsKey(node, context);
    default:
      return assignedName(node, context) ?? ownName(node, context) ?? ANONYMOUS;
  }
}

function ownName(node: SyntaxNode, context: Context): string | undefined {
  const name = node.getChild("VariableDefinition");
  return name ? source(name, context) : undefined;
}

/** `Class.member` when the class has a name, else the member alone. */
function qualified(classNode: SyntaxNode | null | undefined, member: string, context: Context): string {
  if (!classNode || (classNode.name !== "ClassDeclaration" && classNode.name !== "ClassExpression")) return member;
  const className = ownName(classNode, context) ?? assignedName(classNode, context);
  return className ? `${className}.${member}` : member;
}

/** The key of a method, property or class field: `name`, `#name`, `"quoted"` → quoted, `[computed]`. */
function jsKey(node: SyntaxNode, context: Context): string {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    switch (child.name) {
      case "PropertyDefinition":
      case "PrivatePropertyDefinition":
      case "PropertyName":
      case "Number":
        return source(child, context);
      case "String":
        return source(child, context).slice(1, -1);
      case "[": {
        let close = child.nextSibling;
        while (close && close.name !== "]") close = close.nextSibling;
        return computedKey(context.text, child.from, close ? close.to : child.to);
      }
    }
  }
  return ANONYMOUS;
}

/** The name a function or class expression is assigned to, if any. */
function assignedName(node: SyntaxNode, context: Context): string | undefined {
  let value = node;
  let parent = node.parent;
  while (parent && (isWrapper(parent) || isGenericAsyncHead(parent, value, context))) {
    value = parent;
    parent = parent.parent;
  }
  if (!parent) return undefined;
  switch (parent.name) {
    case "VariableDeclaration":
      return declaredName(value, context);
    case "AssignmentExpression":
      return assignmentTarget(parent, value, context);
    case "PropertyDeclaration":
      return qualified(parent.parent?.parent, jsKey(parent, context), context);
    case "Property": {
      const key = jsKey(parent, context);
      return key === ANONYMOUS ? undefined : key;
    }
    default:
      return undefined;
  }
}

/** `const name = value` (also with a type annotation): the name. */
function declaredName(value: SyntaxNode, context: Context): string | undefined {
  let previous = value.prevSibling;
  while (previous && (previous.name === "Equals" || previous.name === "TypeAnnotation")) previous = previous.prevSibling;
  return previous?.name === "VariableDefinition" ? source(previous, context) : undefined;
}

/** `target = value`: the target when it is a name or member (`Foo.prototype.bar`), and value is on the right. */
function assignmentTarget(assignment: SyntaxNode, value: SyntaxNode, context: Context): string | undefined {
  const target = assignment.firstChild;
  if (!target || target.from === value.from) return undefined;
  return target.name === "VariableName" || target.name === "MemberExpression" ? compact(target, context) : undefined;
}

// ---------------------------------------------------------------- Python

const ABSTRACT = /^@\s*(?:[\w.]+\.)?(?:abstractmethod|abstractproperty|abstractclassmethod|abstractstaticmethod|overload)\b/;

function pythonFunction(frame: Frame, context: Context): FunctionMeasure | undefined {
  const { node } = frame;
  const range = span(node, node.from, context);
  if (node.name === "LambdaExpression") return { name: lambdaName(node, context) ?? ANONYMOUS, ...range, complexity: frame.complexity };
  const own = node.getChild("VariableName");
  const name = own ? source(own, context) : ANONYMOUS;
  const holder = node.parent?.name === "DecoratedStatement" ? node.parent : node;
  const classNode = holder.parent?.name === "Body" ? holder.parent.parent : null;
  const inClass = classNode?.name === "ClassDefinition";
  const className = inClass ? classNode?.getChild("VariableName") : null;
  const measure: FunctionMeasure = {
    name: className ? `${source(className, context)}.${name}` : name,
    ...range,
    complexity: frame.complexity,
  };
  const stub = pythonStub(node, context);
  if (stub && !placeholderByDesign(holder, inClass ? classNode : null, context)) measure.stub = stub;
  return measure;
}

function placeholderByDesign(holder: SyntaxNode, classNode: SyntaxNode | null | undefined, context: Context): boolean {
  if (context.stubFile) return true;
  if (holder.name === "DecoratedStatement") {
    for (const decorator of holder.getChildren("Decorator")) if (ABSTRACT.test(source(decorator, context))) return true;
  }
  const bases = classNode?.getChild("ArgList");
  return bases !== null && bases !== undefined && /\bProtocol\b/.test(source(bases, context));
}

function pythonStub(node: SyntaxNode, context: Context): StubKind | undefined {
  const body = node.getChild("Body");
  if (!body) return undefined;
  let placeholders = 0;
  let raises = 0;
  let first = true;
  for (let child = body.firstChild; child; child = child.nextSibling) {
    const n = child.name;
    if (n === ":" || n === "Comment") continue;
    const isFirst = first;
    first = false;
    if (n === "PassStatement" || (n === "ExpressionStatement" && isPlaceholderExpression(child, isFirst))) {
      placeholders++;
      continue;
    }
    if (n === "RaiseStatement" && raises === 0 && /^raise\s+NotImplemented(?:Error)?\b/.test(source(child, context))) {
      raises++;
      continue;
    }
    return undefined;
  }
  if (raises > 0) return "not-implemented";
  return placeholders > 0 ? "pass" : undefined;
}

/** `...` alone, or (as the first statement) a docstring alone. */
function isPlaceholderExpression(statement: SyntaxNode, isFirst: boolean): boolean {
  const inner = statement.firstChild;
  if (!inner || inner.nextSibling) return false;
  return inner.name === "Ellipsis" || (isFirst && (inner.name === "String" || inner.name === "ContinuedString"));
}

function lambdaName(node: SyntaxNode, context: Context): string | undefined {
  const parent = node.parent;
  if (parent?.name !== "AssignStatement" || parent.lastChild?.from !== node.from) return undefined;
  const op = node.prevSibling;
  let target = op?.name === "AssignOp" ? op.prevSibling : null;
  if (target?.name === "TypeDef") target = target.prevSibling;
  return target && (target.name === "VariableName" || target.name === "MemberExpression") ? compact(target, context) : undefined;
}
