/**
 * JavaScript and TypeScript measures read from oxc's parser (Rust, shipped as prebuilt napi
 * binaries on npm): the same functions, names, complexity, lines and stubs as functions.ts reads
 * from Lezer's tree (its header states the rules), at a fraction of the cost. oxc's lazy raw
 * transfer leaves the AST in the buffer Rust wrote, and its visitor makes JS objects only for the
 * node types asked for: functions, decisions, and the nodes that give a function its name.
 *
 * `measureScript` returns undefined when oxc cannot run here (no binary for this platform, no raw
 * transfer on this runtime) or the file has a syntax error: the caller then measures it with
 * Lezer, which recovers from errors the way it always has.
 *
 * The lazy AST is oxc's own (Rust) one, not ESTree: `Function` is any function, `ObjectProperty`
 * a property of an object literal, `MethodDefinition` also an abstract method. oxc-parser is pinned
 * to an exact version for this reason; test/unit/oxc-measures.test.ts compares both measurers.
 */
import { createRequire } from "node:module";
import { type CodeLanguage, LineIndex } from "../../infra/syntax.js";
import {
  ANONYMOUS,
  compactName,
  computedKey,
  countCodeLines,
  deliberatelyEmpty,
  type FileMeasures,
  type FunctionMeasure,
  isSpace,
  lineSpan,
  NOT_IMPLEMENTED,
  type StubKind,
} from "./rules.js";

// The few shapes of oxc's lazy AST this file reads (getters on the raw buffer).
interface Span {
  start: number;
  end: number;
}
interface AstNode extends Span {
  type: string;
}
interface FunctionBody extends AstNode {
  body: Iterable<AstNode>;
}
interface Params extends AstNode {
  items: ArrayLike<Span & { pattern: AstNode }>;
}
interface FunctionNode extends AstNode {
  id: AstNode | null;
  params: Params;
  body: FunctionBody | null;
}
interface ArrowNode extends AstNode {
  params: Params;
  body: AstNode;
}
interface MethodNode extends AstNode {
  decorators: ArrayLike<Span>;
  key: AstNode;
  computed: boolean;
  value: FunctionNode;
  override: boolean;
  accessibility: string | null;
}
interface PropertyNode extends AstNode {
  key: AstNode;
  computed: boolean;
  value: AstNode | null;
  kind?: string;
  method?: boolean;
}
interface ClassNode extends AstNode {
  id: AstNode | null;
}
interface DeclaratorNode extends AstNode {
  id: AstNode;
  init: AstNode | null;
}
interface AssignmentNode extends AstNode {
  operator: string;
  left: AstNode;
  right: AstNode;
}
interface WrapperNode extends AstNode {
  expression: AstNode;
}
interface LazyResult {
  errors: ArrayLike<unknown>;
  comments: Iterable<Span>;
  visit(visitor: unknown): void;
  dispose(): void;
}
interface Oxc {
  parseSync(filename: string, text: string, options: object): LazyResult;
  visitor: unknown;
}

/** One file's walk: what the visitor callbacks read and write. */
interface Walk {
  text: string;
  lineIndex: LineIndex;
  /** The functions the walk is inside, innermost last. */
  frames: Frame[];
  /** Names of the enclosing classes, innermost last (undefined: an anonymous class). */
  classes: (string | undefined)[];
  /** Names given by what holds a function or class expression (`const f = …`, `x.y = …`, `{ k: … }`). */
  assigned: Map<object, string>;
  /** Function nodes that are the body of a class method (the method's frame measures them). */
  methodValues: Set<object>;
  /** Function nodes that are object-literal methods, with their property. */
  objectMethods: Map<object, PropertyNode>;
  found: { from: number; measure: FunctionMeasure }[];
}

interface Frame {
  /** What starts the function's lines and source order: the method or property for methods. */
  holder: AstNode;
  fn: FunctionNode | ArrowNode;
  kind: "declaration" | "method" | "other";
  name: string;
  /** The method's key as written (constructor check). */
  key?: string;
  hook: boolean;
  start: number;
  complexity: number;
}

let oxc: Oxc | null | undefined;
let walk: Walk | undefined;

export function measureScript(path: string, text: string, language: Exclude<CodeLanguage, "python">): FileMeasures | undefined {
  const parser = loadOxc();
  if (!parser) return undefined;
  // JSX is common in plain .js files; in TypeScript only .tsx may hold it (`<T>x` is a cast in .ts).
  const lang = language === "javascript" ? "jsx" : /\.tsx$/i.test(path) ? "tsx" : "ts";
  let result: LazyResult | undefined;
  try {
    result = parser.parseSync(path, text, { lang, preserveParens: true, experimentalLazy: true });
    if (result.errors.length > 0) return undefined;
    const current: Walk = {
      text,
      lineIndex: new LineIndex(text),
      frames: [],
      classes: [],
      assigned: new Map(),
      methodValues: new Set(),
      objectMethods: new Map(),
      found: [],
    };
    walk = current;
    result.visit(parser.visitor);
    const commentFrom: number[] = [];
    const commentTo: number[] = [];
    for (const comment of result.comments) {
      commentFrom.push(comment.start);
      commentTo.push(comment.end);
    }
    current.found.sort((a, b) => a.from - b.from);
    return {
      path,
      language,
      lines: current.lineIndex.lineCount(text),
      codeLines: countCodeLines(text, commentFrom, commentTo),
      functions: current.found.map((f) => f.measure),
    };
  } catch {
    return undefined; // whatever oxc cannot read (a source over its size limit), Lezer measures
  } finally {
    walk = undefined;
    result?.dispose();
  }
}

function loadOxc(): Oxc | null {
  if (oxc !== undefined) return oxc;
  try {
    // Loaded on first use: a project without JavaScript never loads the native binary.
    const module = createRequire(import.meta.url)("oxc-parser") as {
      parseSync: Oxc["parseSync"];
      rawTransferSupported(): boolean;
      experimentalGetLazyVisitor(): new (visitors: object) => unknown;
    };
    if (module.rawTransferSupported()) {
      const Visitor = module.experimentalGetLazyVisitor();
      oxc = { parseSync: module.parseSync, visitor: new Visitor(VISITORS) };
    } else {
      oxc = null; // a 32-bit or big-endian machine: no raw transfer
    }
  } catch {
    oxc = null; // No binary for this platform: Lezer measures every file.
  }
  return oxc;
}

function current(): Walk {
  if (!walk) throw new Error("oxc visitor called outside measureScript");
  return walk;
}

function bump(): void {
  const top = current().frames.at(-1);
  if (top) top.complexity++;
}

function source(node: Span): string {
  return current().text.slice(node.start, node.end);
}

const WRAPPERS = new Set(["ParenthesizedExpression", "TSAsExpression", "TSSatisfiesExpression", "TSNonNullExpression", "TSTypeAssertion"]);
const NAMED_VALUES = new Set(["FunctionExpression", "ArrowFunctionExpression", "ClassExpression"]);

/** The function or class expression a value is, through parentheses and type assertions; else undefined. */
function namedValue(value: AstNode | null): AstNode | undefined {
  let node = value;
  while (node && WRAPPERS.has(node.type)) node = (node as WrapperNode).expression;
  return node && NAMED_VALUES.has(node.type) ? node : undefined;
}

/** The key of a method, property or class field: `name`, `#name`, `"quoted"` → quoted, `[computed]`. */
function keyOf(holder: { key: AstNode; computed: boolean }): string {
  const { text } = current();
  const { key } = holder;
  if (holder.computed) {
    const open = text.lastIndexOf("[", key.start);
    const close = text.indexOf("]", key.end);
    return computedKey(text, open, close < 0 ? key.end : close + 1);
  }
  if (key.type === "StringLiteral") return text.slice(key.start + 1, key.end - 1);
  return text.slice(key.start, key.end);
}

/** `Class.member` when the innermost class has a name, else the member alone. */
function qualified(member: string): string {
  const className = current().classes.at(-1);
  return className ? `${className}.${member}` : member;
}

function name(value: AstNode | undefined, given: string | undefined): void {
  if (value && given !== undefined) current().assigned.set(value, given);
}

function open(frame: Frame): void {
  current().frames.push(frame);
}

/** Where a method starts: after its decorators (at the next token or comment), as Lezer's tree has it. */
function methodStart(method: MethodNode): number {
  const { decorators } = method;
  if (decorators.length === 0) return method.start;
  const { text } = current();
  let at = (decorators[decorators.length - 1] as Span).end;
  while (at < method.end && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** The plain identifier parameters, rest included (oxc's lazy AST leaves the rest out of `items`). */
function paramNames(params: Params): string[] {
  const names: string[] = [];
  let last = params.start + 1;
  for (let i = 0; i < params.items.length; i++) {
    const item = params.items[i] as Span & { pattern: AstNode };
    if (item.pattern.type === "BindingIdentifier") names.push(source(item.pattern));
    last = item.end;
  }
  const rest = /\.\.\.\s*([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)/u.exec(current().text.slice(last, params.end - 1));
  if (rest?.[1]) names.push(rest[1]);
  return names;
}

/** "empty" or "not-implemented" from the body alone (whether an empty body is deliberate is decided apart). */
function stubOf(body: FunctionBody): StubKind | undefined {
  let only: AstNode | undefined;
  // Iterated, not indexed: oxc's lazy arrays answer an index through a Proxy, and a body's first two statements settle it.
  for (const statement of body.body) {
    if (statement.type === "EmptyStatement") continue;
    if (only) return undefined;
    only = statement;
  }
  if (!only) return "empty";
  return only.type === "ThrowStatement" && NOT_IMPLEMENTED.test(source(only)) ? "not-implemented" : undefined;
}

function close(): void {
  const w = current();
  const frame = w.frames.pop();
  if (!frame) return;
  const body = frame.fn.body;
  // Overload signatures, `declare function`, abstract methods: no body, not a function.
  if (!body) return;
  const measure: FunctionMeasure = {
    name: frame.name,
    ...lineSpan(w.lineIndex, w.text, frame.start, frame.holder.end),
    complexity: frame.complexity,
  };
  if (body.type === "FunctionBody") {
    const stub = stubOf(body as FunctionBody);
    if (stub === "not-implemented" || (stub === "empty" && !emptyOnPurpose(frame))) measure.stub = stub;
  }
  w.found.push({ from: frame.holder.start, measure });
}

function emptyOnPurpose(frame: Frame): boolean {
  const { params } = frame.fn;
  return deliberatelyEmpty({
    kind: frame.kind,
    name: frame.name,
    hook: frame.hook,
    ...(frame.key !== undefined ? { key: frame.key } : {}),
    params: source(params),
    paramNames: frame.kind === "other" ? [] : paramNames(params),
  });
}

function openFunction(fn: FunctionNode): void {
  const w = current();
  if (w.methodValues.has(fn)) return; // measured by its MethodDefinition's frame
  const property = w.objectMethods.get(fn);
  if (property) {
    open({ holder: property, fn, kind: "other", name: keyOf(property), hook: false, start: property.start, complexity: 1 });
    return;
  }
  const declaration = fn.type === "FunctionDeclaration";
  const own = fn.id ? source(fn.id) : undefined;
  const given = declaration ? own : (w.assigned.get(fn) ?? own);
  open({
    holder: fn,
    fn,
    kind: declaration ? "declaration" : "other",
    name: given ?? ANONYMOUS,
    hook: false,
    start: fn.start,
    complexity: 1,
  });
}

function closeFunction(fn: FunctionNode): void {
  if (!current().methodValues.has(fn)) close();
}

const VISITORS: Record<string, (node: never) => void> = {
  IfStatement: bump,
  ForStatement: bump,
  ForInStatement: bump,
  ForOfStatement: bump,
  WhileStatement: bump,
  DoWhileStatement: bump,
  CatchClause: bump,
  ConditionalExpression: bump,
  // `&&`, `||`, `??`: the only logical operators.
  LogicalExpression: bump,
  SwitchCase(node: { test: AstNode | null }) {
    if (node.test) bump(); // `default` is not a decision
  },
  AssignmentExpression(node: AssignmentNode) {
    const { operator } = node;
    if (operator === "&&=" || operator === "||=" || operator === "??=") bump();
    const value = namedValue(node.right);
    if (!value) return;
    const { left } = node;
    if (left.type === "IdentifierReference" || left.type.endsWith("MemberExpression") || left.type === "PrivateFieldExpression")
      name(value, compactName(current().text, left.start, left.end));
  },
  VariableDeclarator(node: DeclaratorNode) {
    const value = namedValue(node.init);
    if (value && node.id.type === "BindingIdentifier") name(value, source(node.id));
  },
  ObjectProperty(node: PropertyNode) {
    if (!node.value) return;
    if (node.method || node.kind !== "init") current().objectMethods.set(node.value, node);
    else name(namedValue(node.value), keyOf(node));
  },
  PropertyDefinition(node: PropertyNode) {
    name(namedValue(node.value), qualified(keyOf(node)));
  },
  Class(node: ClassNode) {
    const w = current();
    w.classes.push(node.id ? source(node.id) : w.assigned.get(node));
  },
  "Class:exit"() {
    current().classes.pop();
  },
  MethodDefinition(node: MethodNode) {
    const w = current();
    w.methodValues.add(node.value);
    const key = keyOf(node);
    open({
      holder: node,
      fn: node.value,
      kind: "method",
      name: qualified(key),
      key,
      hook: node.override || node.accessibility === "protected",
      start: methodStart(node),
      complexity: 1,
    });
  },
  "MethodDefinition:exit": close,
  Function: openFunction,
  "Function:exit": closeFunction,
  ArrowFunctionExpression(node: ArrowNode) {
    const w = current();
    open({ holder: node, fn: node, kind: "other", name: w.assigned.get(node) ?? ANONYMOUS, hook: false, start: node.start, complexity: 1 });
  },
  "ArrowFunctionExpression:exit": close,
};
