import { readFileSync } from "node:fs";
import type { z } from "zod";

/** A schema problem reduced to what a user needs: where (path) and what is wrong. */
export interface Problem {
  path: PropertyKey[];
  message: string;
}

/**
 * `line 3, column 7` for a character offset into a text. An offset at or past the end (a parser
 * that ran out of input) names the last character, so the place is always one the file has.
 */
export function lineAndColumn(text: string, offset: number): string {
  const at = offset >= text.length ? Math.max(0, text.trimEnd().length - 1) : Math.max(0, offset);
  const before = text.slice(0, at);
  return `line ${before.split("\n").length}, column ${at - before.lastIndexOf("\n")}`;
}

/** The text without a leading UTF-8 byte-order mark, which some Windows editors add and JSON.parse rejects. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A file people or agents write (JSON, YAML, TOML, Markdown, requirements), as text to parse: UTF-8, no BOM. */
export function readText(path: string): string {
  return stripBom(readFileSync(path, "utf8"));
}

/** `features[3].status` — the form users see in messages and can search for in the file. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(top level)";
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Turns zod's issues into plain sentences that say what was expected and what was found. */
export function problemsFrom(error: z.ZodError, input: unknown): Problem[] {
  return error.issues.map((issue) => {
    const found = valueAt(input, issue.path);
    switch (issue.code) {
      case "invalid_type":
        return {
          path: issue.path,
          message:
            found === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, found ${describeValue(found)}`,
        };
      case "invalid_value":
        return {
          path: issue.path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}; found ${describeValue(found)}`,
        };
      case "unrecognized_keys":
        return {
          path: [...issue.path, issue.keys[0] ?? ""],
          message: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`,
        };
      default:
        // A check may ask that the value not be echoed: it may hold a credential.
        if (issue.code === "custom" && issue.params?.hideValue === true) return { path: issue.path, message: issue.message };
        return { path: issue.path, message: `${issue.message}; found ${describeValue(found)}` };
    }
  });
}
