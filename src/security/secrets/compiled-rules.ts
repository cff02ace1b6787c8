/**
 * A compiled rule set as plain data, and back: the build compiles BuildRunner's default rules
 * (data/secret-rules.toml: TOML, schema, Go's regex dialect translated) once and ships the result
 * beside the text (scripts/build.mjs), so a scan, a commit hook or a scan thread starts without
 * doing that work again. A project's own .gitleaks.toml is still read and checked when it is used.
 */
import type { Allowlist, RuleSet, SecretRule } from "./rules.js";

/** A regular expression as data: its source and flags. */
type Pattern = [source: string, flags: string];

interface SerializedAllowlist extends Omit<Allowlist, "regexes" | "paths"> {
  regexes: Pattern[];
  paths: Pattern[];
}

interface SerializedRule extends Omit<SecretRule, "regex" | "path" | "allowlists"> {
  regex?: Pattern;
  path?: Pattern;
  allowlists: SerializedAllowlist[];
}

export interface SerializedRuleSet {
  rules: SerializedRule[];
  allowlists: SerializedAllowlist[];
}

const toData = (regex: RegExp): Pattern => [regex.source, regex.flags];
const fromData = ([source, flags]: Pattern): RegExp => new RegExp(source, flags);

function allowlistToData(list: Allowlist): SerializedAllowlist {
  return { ...list, regexes: list.regexes.map(toData), paths: list.paths.map(toData) };
}

function allowlistFromData(list: SerializedAllowlist): Allowlist {
  return { ...list, regexes: list.regexes.map(fromData), paths: list.paths.map(fromData) };
}

export function serializeRuleSet(set: RuleSet): SerializedRuleSet {
  return {
    rules: set.rules.map(({ regex, path, allowlists, ...rest }) => ({
      ...rest,
      ...(regex ? { regex: toData(regex) } : {}),
      ...(path ? { path: toData(path) } : {}),
      allowlists: allowlists.map(allowlistToData),
    })),
    allowlists: set.allowlists.map(allowlistToData),
  };
}

export function reviveRuleSet(data: SerializedRuleSet): RuleSet {
  return {
    rules: data.rules.map(({ regex, path, allowlists, ...rest }) => ({
      ...rest,
      ...(regex ? { regex: fromData(regex) } : {}),
      ...(path ? { path: fromData(path) } : {}),
      allowlists: allowlists.map(allowlistFromData),
    })),
    allowlists: data.allowlists.map(allowlistFromData),
  };
}
