/**
 * Secret rules in gitleaks' TOML format: BuildRunner's defaults (data/secret-rules.toml) and a
 * project's own .gitleaks.toml read as they are, with `[extend] useDefault`. Go's regex dialect is
 * translated to JavaScript's where they differ (inline flags, \z).
 */
import { existsSync, readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import * as z from "zod";
import defaults from "../../../data/secret-rules.toml";
import { usageError } from "../../infra/errors.js";

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
  const modes = new Set<boolean>();
  let out = "";
  let dotAll = false;
  let ci = false;
  const stack: boolean[] = [];
  const letter = (ch: string) => {
    modes.add(ci);
    return expand && ci ? `[${ch}${otherCase(ch)}]` : ch;
  };
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === "\\") {
      const next = source[i + 1] ?? "";
      if (next === "Q") {
        const close = source.indexOf("\\E", i + 2);
        for (const c of source.slice(i + 2, close === -1 ? source.length : close)) out += isLetter(c) ? letter(c) : escapeLiteral(c);
        i = close === -1 ? source.length : close + 2;
      } else if (next === "z") {
        out += "$";
        i += 2;
      } else {
        const length = escapeLength(source, i);
        out += hexEscape(source.slice(i, i + length));
        i += length;
      }
    } else if (ch === "[") {
      const parsed = translateClass(source, i, expand && ci);
      if (parsed.hasLetters) modes.add(ci);
      out += parsed.text;
      i = parsed.end;
    } else if (ch === "(") {
      const flags = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?(:|\))/.exec(source.slice(i));
      const name = /^\(\?P?<(?![=!])[^>]*>/.exec(source.slice(i));
      if (flags && (flags[1] || flags[2] !== undefined)) {
        const on = flags[1] ?? "";
        const off = flags[2] ?? "";
        if (on.includes("s")) dotAll = true;
        const groupCi: boolean = on.includes("i") ? true : off.includes("i") ? false : ci;
        if (flags[3] === ")") ci = groupCi;
        else {
          stack.push(ci);
          ci = groupCi;
          out += "(?:";
        }
        i += flags[0].length;
      } else {
        stack.push(ci);
        // A named group keeps its name as written; RE2's (?P<name>…) is JavaScript's (?<name>…).
        const opening = name ? name[0].replace("(?P<", "(?<") : ch;
        out += opening;
        i += name ? name[0].length : 1;
      }
    } else if (ch === ")") {
      ci = stack.pop() ?? false;
      out += ch;
      i++;
    } else {
      out += isLetter(ch) ? letter(ch) : ch;
      i++;
    }
  }
  return { pattern: out, modes, dotAll };
}

/** A bracket class from `start` (its `[`) to its `]`, with both cases of its letters when `fold`. */
function translateClass(source: string, start: number, fold: boolean): { text: string; end: number; hasLetters: boolean } {
  let j = start + 1;
  let body = "";
  let hasLetters = false;
  if (source[j] === "^") {
    body += "^";
    j++;
  }
  // A `]` first in the class is a literal in RE2.
  if (source[j] === "]") {
    body += "\\]";
    j++;
  }
  // One member: an escape, a POSIX class, or a single character (a literal `[` escaped).
  const atom = (): { text: string; char?: string } => {
    const c = source[j] as string;
    if (c === "\\") {
      const length = escapeLength(source, j);
      const text = hexEscape(source.slice(j, j + length));
      j += length;
      return { text };
    }
    const posix = c === "[" ? /^\[:(\w+):\]/.exec(source.slice(j)) : null;
    const expansion = posix ? POSIX_CLASSES[posix[1] as string] : undefined;
    if (posix && expansion !== undefined) {
      j += posix[0].length;
      if (/alpha|alnum|lower|upper|xdigit/.test(posix[1] as string)) hasLetters = true;
      return { text: expansion };
    }
    j++;
    return { text: c === "[" ? "\\[" : c, char: c };
  };
  while (j < source.length && source[j] !== "]") {
    const from = atom();
    if (source[j] === "-" && source[j + 1] !== undefined && source[j + 1] !== "]") {
      j++;
      const to = atom();
      body += `${from.text}-${to.text}`;
      const a = from.char;
      const b = to.char;
      if (a && b && isLetter(a) && isLetter(b) && (a === a.toLowerCase()) === (b === b.toLowerCase())) {
        hasLetters = true;
        if (fold) body += `${otherCase(a)}-${otherCase(b)}`;
      }
    } else {
      body += from.text;
      if (from.char && isLetter(from.char)) {
        hasLetters = true;
        if (fold) body += otherCase(from.char);
      }
    }
  }
  return { text: `[${body}]`, end: j + 1, hasLetters };
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
    if (!raw.regex && !raw.path) throw usageError(`${where} has neither regex nor path.`, { file: shownAs });
    return {
      id: raw.id,
      description: raw.description ?? raw.id,
      ...(raw.regex ? { regex: compileGoRegex(raw.regex, where) } : {}),
      ...(raw.path ? { path: compileGoRegex(raw.path, where) } : {}),
      ...(raw.secretGroup !== undefined ? { secretGroup: raw.secretGroup } : {}),
      ...(raw.entropy !== undefined ? { entropy: raw.entropy } : {}),
      keywords: raw.keywords.map((k) => k.toLowerCase()),
      severity: raw.severity ?? "high",
      allowlists: [...(raw.allowlist ? [raw.allowlist] : []), ...(raw.allowlists ?? [])].map((a) => compileAllowlist(a, where)),
    };
  });
  const allowlists = [...(config.allowlist ? [config.allowlist] : []), ...(config.allowlists ?? [])].map((a) =>
    compileAllowlist(a, shownAs),
  );
  return { rules, allowlists };
}

let cachedDefaults: RuleSet | undefined;
export function defaultRules(): RuleSet {
  cachedDefaults ??= compileRules(parseConfig(defaults, "data/secret-rules.toml"), "data/secret-rules.toml");
  return cachedDefaults;
}

/**
 * The rules for a scan: a gitleaks config (--config, or .gitleaks.toml in the project) replaces the
 * defaults unless it says `[extend] useDefault = true`, in which case its rules are added (a rule
 * with a default's id replaces it) and `disabledRules` are dropped.
 */
export function loadRules(configPath: string | undefined, shownAs: string): RuleSet {
  if (!configPath || !existsSync(configPath)) return defaultRules();
  const config = parseConfig(readFileSync(configPath, "utf8"), shownAs);
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
