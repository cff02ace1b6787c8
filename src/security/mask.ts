/**
 * The one masker for everything br prints, logs, stores or sends to a model: a secret keeps its
 * first 4 characters and the rest becomes `*`. The shapes are data (data/mask-rules.json).
 */
import rules from "../../data/mask-rules.json" with { type: "json" };
import { shannonEntropy } from "./entropy.js";

const KEEP = 4;

interface CompiledRule {
  id: string;
  regex: RegExp;
  group: number;
  loose: boolean;
  /** Every match holds one of these (lower case when the rule ignores case): a text without any is skipped. */
  keywords: readonly string[];
  insensitive: boolean;
}

let compiled: CompiledRule[] | undefined;

function compile(): CompiledRule[] {
  compiled ??= rules.rules.map((rule) => {
    // JSON cannot carry regex flags; a leading (?i) asks for case-insensitive matching.
    const insensitive = rule.pattern.startsWith("(?i)");
    const source = insensitive ? rule.pattern.slice(4) : rule.pattern;
    return {
      id: rule.id,
      regex: new RegExp(source, insensitive ? "gi" : "g"),
      group: rule.group,
      loose: "loose" in rule && rule.loose === true,
      keywords: rule.keywords,
      insensitive,
    };
  });
  return compiled;
}

/** `sk-ant-api03-abc…` → `sk-a*************` (same length, so layouts and offsets survive). */
export function maskValue(secret: string): string {
  if (secret.length <= KEEP) return "*".repeat(secret.length);
  return secret.slice(0, KEEP) + "*".repeat(Math.min(secret.length - KEEP, 64));
}

type MaskOptions = { shapesOnly?: boolean };

/** Every value a rule matches in a text replaced by what `replace` makes of it. */
function applyRule(text: string, rule: CompiledRule, replace: (secret: string) => string): string {
  return text.replace(rule.regex, (match: string, ...groups: unknown[]) => {
    const secret = rule.group === 0 ? match : (groups[rule.group - 1] as string | undefined);
    if (!secret) return match;
    const at = match.indexOf(secret);
    return match.slice(0, at) + replace(secret) + match.slice(at + secret.length);
  });
}

function replaceSecrets(text: string, options: MaskOptions, replace: (secret: string) => string): string {
  let out = text;
  const mayMatch = keywordCheck(text);
  // Checked on the text as given: masking only writes stars, so it never adds a keyword.
  for (const rule of compile()) if (!(options.shapesOnly && rule.loose) && mayMatch(rule)) out = applyRule(out, rule, replace);
  return out;
}

/** Whether a rule can match the text: it holds one of the rule's keywords (lower-cased once, if a rule needs it). */
function keywordCheck(text: string): (rule: CompiledRule) => boolean {
  let lower: string | undefined;
  // Rules share keywords (the assignment rules' names): each is looked for once per text.
  const found = new Map<string, boolean>();
  return (rule) => {
    if (rule.insensitive) lower ??= text.toLowerCase();
    const haystack = rule.insensitive ? (lower as string) : text;
    return rule.keywords.some((keyword) => {
      const key = `${rule.insensitive ? "i" : "s"}${keyword}`;
      const known = found.get(key);
      if (known !== undefined) return known;
      const holds = haystack.includes(keyword);
      found.set(key, holds);
      return holds;
    });
  };
}

/**
 * Masks every secret-shaped value in a text. `shapesOnly` skips the loose rules (a value masked
 * for the name it is assigned to), for text a user typed and br stores.
 */
export function mask(text: string, options: MaskOptions = {}): string {
  return replaceSecrets(text, options, maskValue);
}

/**
 * The text with every secret-shaped value taken out entirely, not even its first 4 characters
 * left: for what br derives from a text and cannot show masked, such as an id made from a name.
 */
export function withoutSecrets(text: string): string {
  return replaceSecrets(text, {}, () => " ")
    .split(/(\s+)/)
    .map((word) => (randomLooking(word) ? " " : word))
    .join("");
}

/**
 * A word no person would write in a name: a long mix of letters and digits with high entropy (a key
 * without a known prefix), or a shorter one that also holds symbols other than - _ . (a password).
 * `OAuth2-PKCE-flow`, `v1.2.3` and `e2e` stay.
 */
export function randomLooking(word: string): boolean {
  if (!/[A-Za-z]/.test(word) || !/[0-9]/.test(word)) return false;
  if (word.length >= 20) return shannonEntropy(word) >= 3.5;
  return word.length >= 8 && /[^\w.-]/.test(word) && shannonEntropy(word) >= 3;
}

/** Names of the rules a text matches (`aws-access-key-id`, `assignment`, …): none when it holds no secret. */
export function secretKinds(text: string): string[] {
  const mayMatch = keywordCheck(text);
  return compile()
    .filter((rule) => mayMatch(rule) && applyRule(text, rule, maskValue) !== text)
    .map((rule) => rule.id);
}

export const MASKED_WARNING = (file: string) =>
  `a secret-shaped value was masked before saving ${file} (first 4 characters kept): br stores no secret in files you commit. Keep secrets in the environment.`;

/**
 * Strings this process has already found to hold nothing to mask, by option set: a long-running
 * br (`br run` rewrites tasks.json at every step) then checks only what changed since its last
 * write, not the whole document again. Bounded, so a long run's memory does not grow with it.
 */
const knownClean = { shapesOnly: new Set<string>(), all: new Set<string>() };
const KNOWN_CLEAN_MAX_CHARS = 16 * 1024 * 1024;
let knownCleanChars = 0;
let checkedChars = 0;

/** Characters maskedJson has run the rules over in this process (tests read it to see what was checked again). */
export function maskedJsonCheckedChars(): number {
  return checkedChars;
}

function rememberClean(set: Set<string>, strings: readonly string[]): void {
  for (const s of strings) {
    if (knownCleanChars + s.length > KNOWN_CLEAN_MAX_CHARS) {
      knownClean.shapesOnly.clear();
      knownClean.all.clear();
      knownCleanChars = 0;
    }
    set.add(s);
    knownCleanChars += s.length;
  }
}

type JsonOptions = { shapesOnly?: boolean; indent?: number };

/**
 * JSON with every secret-shaped string masked (state files pass `shapesOnly`). One pass over the
 * strings not already known clean decides (the usual answer is "nothing to mask"); only then is
 * each string masked on its own, so the JSON stays well-formed whatever a rule matched. A joined
 * text no rule matches has no string a rule matches alone: the rules use no anchors, and the "\n"
 * between strings is, for their boundaries, what a string's start or end is.
 */
export function maskedJson(value: unknown, options: JsonOptions = {}): { text: string; masked: boolean } {
  return maskedText(value, options, true);
}

/** maskedJson, remembering the clean strings only when asked (see maskedJsonParts). */
function maskedText(value: unknown, options: JsonOptions, remember: boolean): { text: string; masked: boolean } {
  const indent = options.indent ?? 2;
  const clean = options.shapesOnly ? knownClean.shapesOnly : knownClean.all;
  // The strings as they are, not as JSON escapes them: `"password": "x"` inside a string is `\"password\"` in the text.
  const unknown = new Set<string>();
  stringsNotIn(clean, value, unknown);
  // The strings are found by a walk of their own, so the text is one plain JSON.stringify.
  const text = JSON.stringify(value, null, indent);
  const strings = [...unknown];
  const all = strings.join("\n");
  checkedChars += all.length;
  if (mask(all, options) === all) {
    // More than the memory holds would only push out what is there (a one-shot command writing a huge plan).
    if (remember && all.length <= KNOWN_CLEAN_MAX_CHARS) rememberClean(clean, strings);
    return { text, masked: false };
  }
  return {
    text: JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? maskKnown(v, clean, options) : v), indent),
    masked: true,
  };
}

/** Items of a long array serialised together: large enough to keep JSON.stringify's fast loop, small enough to stay out of the old generation. */
const PART_ITEMS = 256;

/**
 * maskedJson's text as parts whose concatenation is that text, byte for byte. An object whose
 * longest top-level array has more than PART_ITEMS items (a plan of 70,000 tasks) is serialised a
 * slice at a time: V8 formats many small arrays faster than one huge one, and a writer can encode
 * and write each part without ever holding the whole document as one string.
 */
export function maskedJsonParts(value: unknown, options: JsonOptions = {}): { parts: string[]; masked: boolean } {
  const indent = options.indent ?? 2;
  const key = Number.isInteger(indent) && indent >= 1 && indent <= 10 ? longestArrayKey(value) : undefined;
  const whole = () => {
    const { text, masked } = maskedJson(value, options);
    return { parts: [text], masked };
  };
  if (key === undefined) return whole();
  const object = value as Record<string, unknown>;
  const items = object[key] as unknown[];
  // A marker string takes the array's place, so the text around it comes from JSON.stringify itself;
  // a document that holds the marker elsewhere (or items that format themselves) is written whole.
  const marker = `\u0000br-parts-${key.length}\u0000`;
  const outer = maskedJson({ ...object, [key]: marker }, options);
  const place = outer.text.indexOf(JSON.stringify(marker));
  if (place !== outer.text.lastIndexOf(JSON.stringify(marker)) || items.some(formatsItself)) return whole();
  const pad = " ".repeat(indent);
  // How JSON.stringify writes `{ key: [...] }` around the items: what is cut from each slice's text.
  const head = `{\n${pad}${JSON.stringify(key)}: [\n`;
  const tail = `\n${pad}]\n}`;
  const parts = [outer.text.slice(0, place), "[\n"];
  let masked = outer.masked;
  const before = checkedChars;
  for (let from = 0; from < items.length; from += PART_ITEMS) {
    // As for one text: a document whose new strings would overflow the memory is not remembered,
    // judged from what its first slices held.
    const expected = from === 0 ? 0 : ((checkedChars - before) / from) * items.length;
    const slice = maskedText({ [key]: items.slice(from, from + PART_ITEMS) }, options, expected <= KNOWN_CLEAN_MAX_CHARS);
    masked ||= slice.masked;
    if (from > 0) parts.push(",\n");
    parts.push(slice.text.slice(head.length, slice.text.length - tail.length));
  }
  parts.push(`\n${pad}]`, outer.text.slice(place + JSON.stringify(marker).length));
  return { parts, masked };
}

/** An item with its own toJSON: it would see its index within a slice, not within the array. */
function formatsItself(item: unknown): boolean {
  return typeof item === "object" && item !== null && typeof (item as { toJSON?: unknown }).toJSON === "function";
}

/** The key of a plain object's longest array, when it is long enough to be worth serialising in parts. */
function longestArrayKey(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return undefined;
  let best: string | undefined;
  let length = PART_ITEMS;
  for (const [key, item] of Object.entries(value)) {
    if (Array.isArray(item) && item.length > length && typeof (item as { toJSON?: unknown }).toJSON !== "function") {
      best = key;
      length = item.length;
    }
  }
  return best;
}

/** The string values in a JSON value (as JSON.stringify would write them) that are not in `clean`. */
function stringsNotIn(clean: Set<string>, value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (!clean.has(value)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) stringsNotIn(clean, item, into);
  } else if (typeof value === "object" && value !== null) {
    const json = (value as { toJSON?: unknown }).toJSON;
    if (typeof json === "function") {
      stringsNotIn(clean, json.call(value), into);
      return;
    }
    for (const key in value) {
      if (Object.hasOwn(value, key)) stringsNotIn(clean, (value as Record<string, unknown>)[key], into);
    }
  }
}

function maskKnown(text: string, clean: Set<string>, options: MaskOptions): string {
  if (clean.has(text)) return text;
  const masked = mask(text, options);
  if (masked === text) rememberClean(clean, [text]);
  return masked;
}
