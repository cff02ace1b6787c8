/**
 * SQL injection detection for TypeScript, JavaScript and Python: every call to a query API of
 * data/sql-sinks.json is found in the syntax tree, and its query argument is judged by how it was
 * built (values.ts). A string built from non-constant parts is flagged; parameterised calls,
 * tagged-template builders and constants are not. A cheap text prefilter keeps files that call no
 * query API from ever being parsed.
 */
import type { SyntaxNode } from "@lezer/common";
import sinkData from "../../../data/sql-sinks.json" with { type: "json" };
import { nodeCrypto } from "../../infra/crypto.js";
import { type CodeLanguage, LineIndex, languageOf, parse } from "../../infra/syntax.js";
import type { FindingFields } from "../finding.js";
import { mask } from "../mask.js";
import { Evaluator, type Step, type Value } from "./values.js";

export interface SqlInjectionFinding extends FindingFields {
  kind: "sql-injection";
  severity: "high";
}

interface Sink {
  id: string;
  languages: string[];
  methods?: string[];
  functions?: string[];
  receiverIncludes?: string[];
  fileMentions?: string[];
  args: (number | string)[];
  objectKeys?: string[];
  kind: "statement" | "fragment" | "unsafe";
  message: string;
}

const SINKS = sinkData.sinks as Sink[];
const INLINE_ALLOW = /\b(?:br|gitleaks):allow\b/;
/** Literal text that reads as SQL: a statement's shape, or a clause with a comparison. */
const SQL_TEXT =
  /^\s*(?:select|with)\s|\b(?:select\b[\s\S]*\bfrom|insert\s+(?:ignore\s+)?into|update\b[\s\S]*\bset|delete\s+from|create\s+(?:temporary\s+|temp\s+|unique\s+)?(?:table|index|view|database|schema|trigger)|drop\s+(?:table|index|view|database|schema)|alter\s+table|truncate\s+table|replace\s+into|merge\s+into|order\s+by|group\s+by|values\s*\(|where\s+[\w."`[\]]+\s*(?:=|<|>|!=|like\b|in\b|is\b))/i;
const SQL_NAME = /sql|query|stmt|statement/i;
/**
 * Whether a file may hold SQL at all, checked before parsing it for the `statement` sinks whose
 * names (get, run, execute…) are everywhere: SQL keywords in capitals, lowercase statement
 * phrases, or a name with "sql" in it. Cheap, linear, and true for every file worth parsing.
 */
const MAY_HOLD_SQL = [
  // A keyword followed by a space or a bracket, as in SQL: HTTP's "DELETE" and a tag's "SELECT" are not.
  /\b(?:SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|FROM|WHERE|VALUES)[\s(]/,
  /\b(?:insert\s+into|delete\s+from|select\s+\S+\s+from|create\s+(?:temp\w*\s+)?table|drop\s+table|alter\s+table|update\s+\S+\s+set)\b|sql/i,
];

interface LanguageSinks {
  byMethod: Map<string, Sink[]>;
  byFunction: Map<string, Sink[]>;
  /** Every sink's method and function names called (`name(`) anywhere in a text: one pass finds which are. */
  called: RegExp;
  /** Per sink, whether a file's text could hold a call to it, given the sink names it calls (checked before any parsing). */
  gates: Map<Sink, (text: string, called: ReadonlySet<string>) => boolean>;
}

const perLanguage = new Map<CodeLanguage, LanguageSinks>();

const escapeName = (name: string) => name.replace(/[$]/g, "\\$");

function gate(sink: Sink): (text: string, called: ReadonlySet<string>) => boolean {
  const names = [...(sink.methods ?? []), ...(sink.functions ?? [])];
  // Whole names only: a receiver named `dbg` is not `db`.
  const receivers = sink.receiverIncludes && new RegExp(`(?<![\\w$])(?:${sink.receiverIncludes.join("|")})(?![\\w$])`, "i");
  return (text, called) =>
    names.some((n) => called.has(n)) &&
    (!receivers || receivers.test(text)) &&
    (!sink.fileMentions || sink.fileMentions.some((m) => text.includes(m))) &&
    (sink.kind !== "statement" || MAY_HOLD_SQL.some((r) => r.test(text)));
}

function sinksFor(language: CodeLanguage): LanguageSinks {
  let found = perLanguage.get(language);
  if (found) return found;
  const byMethod = new Map<string, Sink[]>();
  const byFunction = new Map<string, Sink[]>();
  const gates = new Map<Sink, (text: string, called: ReadonlySet<string>) => boolean>();
  for (const sink of SINKS) {
    if (!sink.languages.includes(language)) continue;
    for (const m of sink.methods ?? []) byMethod.set(m, [...(byMethod.get(m) ?? []), sink]);
    for (const f of sink.functions ?? []) byFunction.set(f, [...(byFunction.get(f) ?? []), sink]);
    gates.set(sink, gate(sink));
  }
  const names = [...new Set([...byMethod.keys(), ...byFunction.keys()])].map(escapeName);
  // Whole names only: `draw(` is no call to raw(). At one place at most one name is followed by `(`, so no call hides another.
  const called = new RegExp(`(?<![\\w$])(${names.join("|")})\\s*\\(`, "g");
  found = { byMethod, byFunction, called, gates };
  perLanguage.set(language, found);
  return found;
}

/** The sinks whose gates a text opens: one pass for the names it calls, then each sink's cheap checks. */
function applicableSinks(sinks: LanguageSinks, text: string): Set<Sink> {
  const called = new Set<string>();
  for (const match of text.matchAll(sinks.called)) called.add(match[1] as string);
  const open = new Set<Sink>();
  if (called.size === 0) return open;
  for (const [sink, opens] of sinks.gates) if (opens(text, called)) open.add(sink);
  return open;
}

/** Names along a receiver: `db.session.query(X).filter` → db, session, query. */
function receiverNames(node: SyntaxNode, source: (n: SyntaxNode) => string): string[] {
  const names: string[] = [];
  for (let n: SyntaxNode | null = node; n; ) {
    if (n.name === "MemberExpression" || n.name === "SubscriptExpression") {
      const last = n.lastChild;
      if (last && (last.name === "PropertyName" || last.name === "PrivatePropertyName")) names.push(source(last));
      n = n.firstChild;
    } else if (n.name === "CallExpression" || n.name === "AwaitExpression" || n.name === "ParenthesizedExpression") {
      n = n.name === "CallExpression" ? n.firstChild : (n.lastChild?.prevSibling ?? n.lastChild);
    } else {
      if (n.name === "VariableName" || n.name === "this" || n.name === "self") names.push(source(n));
      n = null;
    }
  }
  return names.map((name) => name.toLowerCase());
}

/** Lines that hold no statement of their own: blank, comments, closing brackets. */
const EMPTY_LINE = /^\s*(?:(?:#|\/\/|\/\*|\*).*|[)\]}]*;?)?\s*$/;

/**
 * Where a finding starts: the statement of the call, extended up to every statement that built the
 * query string, and to the statements that assigned its inputs when they sit right above (with only
 * blank lines, comments or the headers of enclosing blocks between). Inputs from further away are
 * named in the message instead, so an editor highlights the code that makes the query, not half a
 * function.
 */
function flowRegion(call: SyntaxNode, flow: Step[], lines: LineIndex, textLines: string[]): { line: number; column: number } {
  let statement = call;
  while (statement.parent && !/Statement$|Declaration$/.test(statement.name)) statement = statement.parent;
  if (!/Statement$|Declaration$/.test(statement.name)) statement = call;
  let start = statement.from;
  const headers = new Set<number>();
  for (let n = call.parent; n; n = n.parent) headers.add(lines.line(n.from));
  for (const step of flow) if (step.built) start = Math.min(start, step.from);
  const inputs = flow.filter((s) => !s.built).sort((a, b) => b.to - a.to);
  for (const step of inputs) {
    if (step.from >= start) continue;
    const first = lines.line(Math.max(step.from, step.to - 1)) + 1;
    const last = lines.line(start) - 1;
    let adjacent = true;
    for (let l = first; l <= last && adjacent; l++) adjacent = headers.has(l) || EMPTY_LINE.test(textLines[l - 1] ?? "");
    if (adjacent) start = step.from;
  }
  return { line: lines.line(start), column: lines.column(start) };
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function isCodeFile(path: string): boolean {
  return languageOf(path) !== undefined;
}

type DynamicValue = Extract<Value, { kind: "dynamic" }>;

/** A call that may be a query sink: its callee, arguments and the sinks its name matches. */
interface SinkCall {
  call: SyntaxNode;
  callee: SyntaxNode;
  argList: SyntaxNode;
  isMember: boolean;
  candidates: Sink[];
}

/** One file's scan: finds calls to query sinks and judges what reaches their query arguments. */
class CodeScan {
  private evaluatorOfFile: Evaluator | undefined;
  private readonly sinks: LanguageSinks;
  private readonly applicable: Set<Sink>;
  private lines: LineIndex | undefined;
  private textLines: string[] | undefined;
  readonly findings: SqlInjectionFinding[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly language: CodeLanguage,
  ) {
    this.sinks = sinksFor(language);
    this.applicable = applicableSinks(this.sinks, text);
  }

  /** Whether any sink's cheap text gate opens: most files never need parsing. */
  get worthParsing(): boolean {
    return this.applicable.size > 0;
  }

  private readonly source = (n: SyntaxNode) => this.text.slice(n.from, n.to);

  /** Built on the first sink call to judge: most files that open a gate have no such call, and building it costs a table per file. */
  private get evaluator(): Evaluator {
    this.evaluatorOfFile ??= new Evaluator(this.text, this.language);
    return this.evaluatorOfFile;
  }

  visit(call: SyntaxNode): void {
    const target = this.sinkCall(call);
    if (!target) return;
    for (const sink of target.candidates) {
      if (!this.applicable.has(sink) || !this.receiverMatches(sink, target)) continue;
      if (this.judgeArguments(sink, target)) return;
    }
  }

  private sinkCall(call: SyntaxNode): SinkCall | undefined {
    const callee = call.firstChild;
    const argList = call.lastChild;
    if (!callee || argList?.name !== "ArgList") return undefined;
    const isMember = callee.name === "MemberExpression";
    if (!isMember && callee.name !== "VariableName") return undefined;
    const name = isMember ? (callee.lastChild ? this.source(callee.lastChild) : "") : this.source(callee);
    const candidates = (isMember ? this.sinks.byMethod : this.sinks.byFunction).get(name);
    return candidates ? { call, callee, argList, isMember, candidates } : undefined;
  }

  private receiverMatches(sink: Sink, { callee, isMember }: SinkCall): boolean {
    if (!isMember || !sink.receiverIncludes || !callee.firstChild) return true;
    const chain = receiverNames(callee.firstChild, this.source);
    return sink.receiverIncludes.some((r) => chain.includes(r.toLowerCase()));
  }

  /** Records the first query argument built from non-constant SQL; true when the call is settled. */
  private judgeArguments(sink: Sink, target: SinkCall): boolean {
    for (const argument of this.queryArguments(sink, target.argList)) {
      const value = this.evaluator.evaluate(argument);
      if (value.kind !== "dynamic" || !isSql(sink, value)) continue;
      const finding = this.findingFor(sink, target, argument, value);
      if (finding) this.findings.push(finding);
      return true;
    }
    return false;
  }

  private queryArguments(sink: Sink, argList: SyntaxNode): SyntaxNode[] {
    const { positional, keyword } = this.evaluator.argumentsOf(argList);
    const picked: SyntaxNode[] = [];
    for (const spec of sink.args) {
      const node = typeof spec === "number" ? positional[spec] : keyword.get(spec);
      if (!node) continue;
      if (node.name === "ObjectExpression" && sink.objectKeys) picked.push(...this.keyedValues(node, sink.objectKeys));
      else if (/^(Array|Tuple|Dictionary)Expression$/.test(node.name)) picked.push(...this.evaluator.containerItems(node));
      else picked.push(node);
    }
    return picked;
  }

  /** The values of an options object's query keys (`{ sql: … }`). */
  private keyedValues(object: SyntaxNode, keys: readonly string[]): SyntaxNode[] {
    const values: SyntaxNode[] = [];
    for (const property of object.getChildren("Property")) {
      const key = property.firstChild;
      const value = property.lastChild;
      if (key && value && value !== key && keys.includes(this.source(key).replace(/^["']|["']$/g, ""))) values.push(value);
    }
    return values;
  }

  /** The finding for a query argument, or undefined when an allow comment covers the call. */
  private findingFor(sink: Sink, { call, callee }: SinkCall, argument: SyntaxNode, value: DynamicValue): SqlInjectionFinding | undefined {
    this.lines ??= new LineIndex(this.text);
    this.textLines ??= this.text.split("\n");
    const region = flowRegion(call, value.flow, this.lines, this.textLines);
    const callLine = this.lines.line(call.from);
    const endLine = this.lines.line(Math.max(call.from, call.to - 1));
    const allowLines = [callLine - 1, region.line, ...Array.from({ length: endLine - callLine + 1 }, (_, i) => callLine + i)];
    if (allowLines.some((l) => INLINE_ALLOW.test(this.textLines?.[l - 1] ?? ""))) return undefined;
    const parts = [...new Set(value.parts)].slice(0, 3).map((p) => `\`${shorten(p, 40)}\``);
    const rule = `sqli-${sink.id}`;
    return {
      kind: "sql-injection",
      rule,
      severity: "high",
      file: this.file,
      line: region.line,
      endLine,
      column: region.column,
      message: `SQL built by ${value.how} from ${parts.join(", ") || "non-constant parts"} reaches ${shorten(this.source(callee), 48)}(): ${sink.message}`,
      match: mask(shorten(this.source(argument), 100)),
      fingerprint: this.fingerprint(rule, call, value),
    };
  }

  /**
   * Stable across line moves: the rule, the file, the call and the statements that built its query,
   * as written (`db.query(sql)` alone would be the same for every query).
   */
  private fingerprint(rule: string, call: SyntaxNode, value: DynamicValue): string {
    const built = value.flow.filter((step) => step.built).map((step) => this.text.slice(step.from, step.to));
    return [rule, this.file, this.source(call), ...built].map((part) => part.replace(/\s+/g, " ")).join("\0");
  }
}

function isSql(sink: Sink, value: DynamicValue): boolean {
  return sink.kind !== "statement" || SQL_TEXT.test(value.text) || value.hints.some((h) => SQL_NAME.test(h));
}

/** Identical code twice in one file: the occurrence tells them apart, so a baseline accepts each once. */
function numberFingerprints(findings: SqlInjectionFinding[]): void {
  const seen = new Map<string, number>();
  for (const f of findings) {
    const n = seen.get(f.fingerprint) ?? 0;
    seen.set(f.fingerprint, n + 1);
    f.fingerprint = nodeCrypto().createHash("sha256").update(`${f.fingerprint}\0${n}`).digest("hex").slice(0, 32);
  }
}

/** Type declarations run nothing. */
const DECLARATIONS = /\.d\.[cm]?ts$/i;
/** Compiled output names its source map on its last line; its source is scanned where it lives. */
const SOURCE_MAP_TRAILER = /\/\/# sourceMappingURL=\S+\s*$/;

/** Whether a file is hand-written code, where a person writes a query, rather than declarations or build output. */
export function isWrittenCode(text: string, file: string): boolean {
  return !DECLARATIONS.test(file) && !SOURCE_MAP_TRAILER.test(text.slice(-512));
}

export function scanCode(text: string, file: string): SqlInjectionFinding[] {
  const language = languageOf(file);
  if (!language || !isWrittenCode(text, file)) return [];
  const scan = new CodeScan(text, file, language);
  if (!scan.worthParsing) return [];
  parse(file, text, language).iterate({
    enter: (ref) => {
      if (ref.name === "CallExpression") scan.visit(ref.node);
    },
  });
  numberFingerprints(scan.findings);
  return scan.findings;
}
