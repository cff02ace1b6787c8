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

/** Go RE2 → JavaScript: inline (?i)/(?s) become flags, (?-i:…) and \z are rewritten. */
export function compileGoRegex(source: string, where: string): RegExp {
  let flags = "g";
  let pattern = source;
  if (/\(\?[a-z]*i[a-z]*\)/.test(pattern) || pattern.includes("(?i:")) flags += "i";
  if (/\(\?[a-z]*s[a-z]*\)/.test(pattern)) flags += "s";
  pattern = pattern
    .replace(/\(\?[ims]+\)/g, "")
    .replace(/\(\?-?[ims]+:/g, "(?:")
    .replace(/\\z/g, "$")
    .replace(/\[\[:alnum:\]\]/g, "[A-Za-z0-9]")
    .replace(/\[:alnum:\]/g, "A-Za-z0-9")
    .replace(/\\Q(.*?)\\E/g, (_, literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  try {
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
