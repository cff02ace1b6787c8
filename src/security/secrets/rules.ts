/**
 * Secret rules in gitleaks' TOML format: BuildRunner's defaults (data/secret-rules.toml) and a
 * project's own .gitleaks.toml read as they are, with `[extend] useDefault`. Go's regex dialect is
 * translated to JavaScript's where they differ (inline flags, \z).
 */
import { existsSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import * as z from "zod";
import * as defaultsFile from "../../../data/secret-rules.toml";
import { usageError } from "../../infra/errors.js";
import { readText } from "../../infra/validation.js";
import { reviveRuleSet, type SerializedRuleSet, serializeRuleSet } from "./compiled-rules.js";

const allowlistSchema = z.looseObject({
  description: z.string().optional(),
  regexes: z.array(z.string()).default([]),
  paths: z.array(z.string()).default([]),
  stopwords: z.array(z.string()).default([]),
  regexTarget: z.enum(["secret", "match", "line"]).optional(),
});

const ruleSchema = z.looseObject({
  id: z.string().min(1),
  description: z.string().optional(),
  regex: z.string().optional(),
  path: z.string().optional(),
  secretGroup: z.int().min(0).optional(),
  entropy: z.number().min(0).optional(),
  keywords: z.array(z.string()).default([]),
  tags: z.array(z.string()).default([]),
  severity: z.enum(["critical", "high", "medium", "low"]).optional(),
  allowlist: allowlistSchema.optional(),
  allowlists: z.array(allowlistSchema).optional(),
});

const configSchema = z.looseObject({
  title: z.string().optional(),
  extend: z.looseObject({ useDefault: z.boolean().optional(), disabledRules: z.array(z.string()).optional() }).optional(),
  rules: z.array(ruleSchema).default([]),
  allowlist: allowlistSchema.optional(),
  allowlists: z.array(allowlistSchema).optional(),
});

export interface Allowlist {
  regexes: RegExp[];
  paths: RegExp[];
  stopwords: string[];
  regexTarget: "secret" | "match" | "line";
}

export interface SecretRule {
  id: string;
  description: string;
  regex?: RegExp;
  path?: RegExp;
  secretGroup?: number;
  entropy?: number;
  /** Lowercase; empty means the rule always runs. */
  keywords: string[];
  severity: "critical" | "high" | "medium" | "low";
  allowlists: Allowlist[];
  /** Tagged `generic` (gitleaks' `tags`): a finding of a specific rule on the same span wins over it. */
  generic: boolean;
}

export interface RuleSet {
  rules: SecretRule[];
  allowlists: Allowlist[];
}

/** POSIX classes RE2 accepts inside brackets (`[[:alnum:]_]`), as JavaScript class contents. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: "A-Za-z0-9",
  alpha: "A-Za-z",
  digit: "0-9",
  lower: "a-z",
  upper: "A-Z",
  space: "\\t\\n\\v\\f\\r ",
  xdigit: "0-9A-Fa-f",
  word: "\\w",
};

const isLetter = (ch: string) => /^[A-Za-z]$/.test(ch);
const otherCase = (ch: string) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase());
const escapeLiteral = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The length of the escape sequence starting at `i` (a backslash): `\x{…}`, `\xHH`, `\p{…}`, `\pL`, or `\c`. */
function escapeLength(source: string, i: number): number {
  const next = source[i + 1];
  if ((next === "x" || next === "p" || next === "P") && source[i + 2] === "{") {
    const close = source.indexOf("}", i + 3);
    return close === -1 ? source.length - i : close - i + 1;
  }
  if (next === "x") return 4;
  if (next === "p" || next === "P") return 3;
  return 2;
}

/** RE2's `\x{41}` is JavaScript's `\u0041` (outside unicode mode, `\x{41}` would mean 41 x's). */
function hexEscape(sequence: string): string {
  const code = /^\\x\{([0-9a-fA-F]{1,4})\}$/.exec(sequence)?.[1];
  return code ? `\\u${code.padStart(4, "0")}` : sequence;
}

/**
 * One pass over an RE2 pattern. RE2's case-insensitivity can be scoped: `(?i)` holds to the end of
 * its group, `(?i:…)` and `(?-i:…)` only inside themselves (gitleaks writes `(?-i:[Oo]kta|OKTA)` in
 * an otherwise case-insensitive rule). JavaScript (Node 20) has only the whole-pattern flag, so a
 * pattern that mixes both is written out case-sensitively, each letter matched case-insensitively
 * spelled as both cases (`k` → `[kK]`, `[a-f]` → `[a-fA-F]`). `expand` false leaves letters as they
 * are and only reports which modes letters were seen in.
 */
function translateGo(source: string, expand: boolean): { pattern: string; modes: Set<boolean>; dotAll: boolean } {
  return new GoTranslator(source, expand).run();
}

/** `(?flags)` or `(?flags:`: turns flags on (before the `-`) or off (after it). */
const GROUP_FLAGS = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?(:|\))/;
const NAMED_GROUP = /^\(\?P?<(?![=!])[^>]*>/;

/** The pass over the pattern: `ci` is the case-insensitivity in force at `i`, `stack` the enclosing groups'. */
class GoTranslator {
  private readonly modes = new Set<boolean>();
  private out = "";
  private dotAll = false;
  private ci = false;
  private readonly stack: boolean[] = [];
  private i = 0;

  constructor(
    private readonly source: string,
    private readonly expand: boolean,
  ) {}

  run(): { pattern: string; modes: Set<boolean>; dotAll: boolean } {
    while (this.i < this.source.length) this.step(this.source[this.i] as string);
    return { pattern: this.out, modes: this.modes, dotAll: this.dotAll };
  }

  private step(ch: string): void {
    if (ch === "\\") this.escape();
    else if (ch === "[") this.bracketClass();
    else if (ch === "(") this.openGroup();
    else if (ch === ")") {
      this.ci = this.stack.pop() ?? false;
      this.out += ch;
      this.i++;
    } else {
      this.out += isLetter(ch) ? this.letter(ch) : ch;
      this.i++;
    }
  }

  private letter(ch: string): string {
    this.modes.add(this.ci);
    return this.expand && this.ci ? `[${ch}${otherCase(ch)}]` : ch;
  }

  private escape(): void {
    const { source, i } = this;
    const next = source[i + 1] ?? "";
    if (next === "Q") this.quoted();
    else if (next === "z") {
      this.out += "$";
      this.i += 2;
    } else {
      const length = escapeLength(source, i);
      this.out += hexEscape(source.slice(i, i + length));
      this.i += length;
    }
  }

  /** `\Q…\E`: everything in between is literal. */
  private quoted(): void {
    const { source, i } = this;
    const close = source.indexOf("\\E", i + 2);
    for (const c of source.slice(i + 2, close === -1 ? source.length : close)) this.out += isLetter(c) ? this.letter(c) : escapeLiteral(c);
    this.i = close === -1 ? source.length : close + 2;
  }

  private bracketClass(): void {
    const parsed = translateClass(this.source, this.i, this.expand && this.ci);
    if (parsed.hasLetters) this.modes.add(this.ci);
    this.out += parsed.text;
    this.i = parsed.end;
  }

  private openGroup(): void {
    const rest = this.source.slice(this.i);
    const flags = GROUP_FLAGS.exec(rest);
    if (flags && (flags[1] || flags[2] !== undefined)) {
      this.setFlags(flags);
      return;
    }
    const name = NAMED_GROUP.exec(rest);
    this.stack.push(this.ci);
    // A named group keeps its name as written; RE2's (?P<name>…) is JavaScript's (?<name>…).
    this.out += name ? name[0].replace("(?P<", "(?<") : "(";
    this.i += name ? name[0].length : 1;
  }

  /** `(?i)` holds to the end of the enclosing group; `(?i:` opens a group of its own. */
  private setFlags(flags: RegExpExecArray): void {
    const on = flags[1] ?? "";
    const off = flags[2] ?? "";
    if (on.includes("s")) this.dotAll = true;
    const groupCi: boolean = on.includes("i") ? true : off.includes("i") ? false : this.ci;
    if (flags[3] === ")") this.ci = groupCi;
    else {
      this.stack.push(this.ci);
      this.ci = groupCi;
      this.out += "(?:";
    }
    this.i += flags[0].length;
  }
}

/** Reading a bracket class: where it is (`j`), and whether a member is a letter or letter class. */
interface ClassReader {
  source: string;
  j: number;
  fold: boolean;
  hasLetters: boolean;
}

/** A bracket class from `start` (its `[`) to its `]`, with both cases of its letters when `fold`. */
function translateClass(source: string, start: number, fold: boolean): { text: string; end: number; hasLetters: boolean } {
  const reader: ClassReader = { source, j: start + 1, fold, hasLetters: false };
  let body = "";
  if (source[reader.j] === "^") {
    body += "^";
    reader.j++;
  }
  // A `]` first in the class is a literal in RE2.
  if (source[reader.j] === "]") {
    body += "\\]";
    reader.j++;
  }
  while (reader.j < source.length && source[reader.j] !== "]") body += classMember(reader);
  return { text: `[${body}]`, end: reader.j + 1, hasLetters: reader.hasLetters };
}

/** One member, or a range of two, with the other case added when folding. */
function classMember(reader: ClassReader): string {
  const { source } = reader;
  const from = classAtom(reader);
  if (source[reader.j] === "-" && source[reader.j + 1] !== undefined && source[reader.j + 1] !== "]") {
    reader.j++;
    const to = classAtom(reader);
    return `${from.text}-${to.text}${foldRange(reader, from.char, to.char)}`;
  }
  return `${from.text}${foldLetter(reader, from.char)}`;
}

/** One member: an escape, a POSIX class, or a single character (a literal `[` escaped). */
function classAtom(reader: ClassReader): { text: string; char?: string } {
  const { source } = reader;
  const c = source[reader.j] as string;
  if (c === "\\") {
    const length = escapeLength(source, reader.j);
    const text = hexEscape(source.slice(reader.j, reader.j + length));
    reader.j += length;
    return { text };
  }
  const posix = c === "[" ? /^\[:(\w+):\]/.exec(source.slice(reader.j)) : null;
  const expansion = posix ? POSIX_CLASSES[posix[1] as string] : undefined;
  if (posix && expansion !== undefined) {
    reader.j += posix[0].length;
    if (/alpha|alnum|lower|upper|xdigit/.test(posix[1] as string)) reader.hasLetters = true;
    return { text: expansion };
  }
  reader.j++;
  return { text: c === "[" ? "\\[" : c, char: c };
}

/** A range of letters of one case (`a-f`): the same range in the other case, when folding. */
function foldRange(reader: ClassReader, a: string | undefined, b: string | undefined): string {
  if (!a || !b || !isLetter(a) || !isLetter(b) || (a === a.toLowerCase()) !== (b === b.toLowerCase())) return "";
  reader.hasLetters = true;
  return reader.fold ? `${otherCase(a)}-${otherCase(b)}` : "";
}

function foldLetter(reader: ClassReader, char: string | undefined): string {
  if (!char || !isLetter(char)) return "";
  reader.hasLetters = true;
  return reader.fold ? otherCase(char) : "";
}

/**
 * Go RE2 → JavaScript: inline flags become JavaScript flags when they hold for the whole pattern,
 * and are spelled out letter by letter when the pattern mixes case-sensitive and insensitive parts;
 * \z, \Q…\E, (?P<name>…) and POSIX classes are rewritten.
 */
export function compileGoRegex(source: string, where: string): RegExp {
  try {
    const first = translateGo(source, false);
    const mixed = first.modes.size > 1;
    const { pattern, dotAll } = mixed ? translateGo(source, true) : first;
    const flags = `g${!mixed && first.modes.has(true) ? "i" : ""}${dotAll ? "s" : ""}`;
    return new RegExp(pattern, flags);
  } catch (error) {
    throw usageError(`${where}: the regex cannot be compiled: ${(error as Error).message}`, { fix: "Correct the rule's regex." });
  }
}

function compileAllowlist(raw: z.output<typeof allowlistSchema>, where: string): Allowlist {
  return {
    regexes: raw.regexes.map((r) => compileGoRegex(r, where)),
    paths: raw.paths.map((r) => compileGoRegex(r, where)),
    stopwords: raw.stopwords.map((w) => w.toLowerCase()),
    regexTarget: raw.regexTarget ?? "secret",
  };
}

function parseConfig(text: string, shownAs: string): z.output<typeof configSchema> {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (error) {
    throw usageError(`${shownAs} is not valid TOML: ${(error as Error).message.split("\n")[0]}`, {
      file: shownAs,
      fix: "Correct the TOML.",
    });
  }
  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError(`${shownAs}: ${issue?.path.join(".")} ${issue?.message}`, {
      file: shownAs,
      fix: "Correct the rule (gitleaks config format).",
    });
  }
  return parsed.data;
}

function compileRules(config: z.output<typeof configSchema>, shownAs: string): RuleSet {
  const rules = config.rules.map((raw, index): SecretRule => {
    const where = `${shownAs}: rules[${index}] (${raw.id})`;
    if (!raw.regex && !raw.path)
      throw usageError(`${where} has neither regex nor path.`, { file: shownAs, fix: "Give the rule a regex, a path, or both." });
    return {
      id: raw.id,
      description: raw.description ?? raw.id,
      ...(raw.regex ? { regex: compileGoRegex(raw.regex, where) } : {}),
      ...(raw.path ? { path: compileGoRegex(raw.path, where) } : {}),
      ...(raw.secretGroup !== undefined ? { secretGroup: raw.secretGroup } : {}),
      ...(raw.entropy !== undefined ? { entropy: raw.entropy } : {}),
      keywords: raw.keywords.map((k) => k.toLowerCase()),
      severity: raw.severity ?? "high",
      generic: raw.tags.includes("generic"),
      allowlists: [...(raw.allowlist ? [raw.allowlist] : []), ...(raw.allowlists ?? [])].map((a) => compileAllowlist(a, where)),
    };
  });
  const allowlists = [...(config.allowlist ? [config.allowlist] : []), ...(config.allowlists ?? [])].map((a) =>
    compileAllowlist(a, shownAs),
  );
  return { rules, allowlists };
}

let cachedDefaults: RuleSet | undefined;

/** The default rules: as the build compiled them, or compiled from the text (running from source). */
export function defaultRules(): RuleSet {
  cachedDefaults ??= defaultsFile.compiled ? reviveRuleSet(defaultsFile.compiled) : compileDefaults();
  return cachedDefaults;
}

function compileDefaults(): RuleSet {
  return compileRules(parseConfig(defaultsFile.default, "data/secret-rules.toml"), "data/secret-rules.toml");
}

/** What the build ships beside data/secret-rules.toml (scripts/build.mjs). */
export function compiledDefaults(): SerializedRuleSet {
  return serializeRuleSet(compileDefaults());
}

/**
 * The rules for a scan: a gitleaks config (--config, or .gitleaks.toml in the project) replaces the
 * defaults unless it says `[extend] useDefault = true`, in which case its rules are added (a rule
 * with a default's id replaces it) and `disabledRules` are dropped.
 */
export function loadRules(configPath: string | undefined, shownAs: string): RuleSet {
  if (!configPath || !existsSync(configPath)) return defaultRules();
  return rulesFromText(readText(configPath), shownAs);
}

/** The rules of a gitleaks configuration given as text (a committed version, say). */
export function rulesFromText(text: string, shownAs: string): RuleSet {
  const config = parseConfig(text.replace(/^\uFEFF/, ""), shownAs);
  const own = compileRules(config, shownAs);
  if (!config.extend?.useDefault) return own;
  const base = defaultRules();
  const disabled = new Set(config.extend.disabledRules ?? []);
  const ownIds = new Set(own.rules.map((r) => r.id));
  return {
    rules: [...base.rules.filter((r) => !ownIds.has(r.id) && !disabled.has(r.id)), ...own.rules],
    allowlists: [...base.allowlists, ...own.allowlists],
  };
}
