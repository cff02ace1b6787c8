/**
 * Edits an agent's JSON settings file in place: one key path set, everything else (the user's
 * other servers and hooks, their comments and layout) left as it was. A file that does not parse
 * is refused with its place and nothing is written.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { applyEdits, type JSONPath, modify, type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { lineAndColumn } from "../infra/validation.js";

export interface SettingsFile {
  path: string;
  /** The path shown to the user. */
  shown: string;
  text: string;
  data: Record<string, unknown>;
}

export function readSettings(path: string, shown: string): SettingsFile {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (text.trim() === "") return { path, shown, text: "{}\n", data: {} };
  const errors: ParseError[] = [];
  const data = parse(text, errors, { allowTrailingComma: true }) as unknown;
  const first = errors[0];
  if (first || typeof data !== "object" || data === null || Array.isArray(data))
    throw usageError(`${shown} is not a JSON object${first ? ` (${printParseErrorCode(first.error)})` : ""}.`, {
      file: shown,
      place: lineAndColumn(text, first?.offset ?? 0),
      fix: "Fix the file (or move it aside), then run the command again; br changed nothing.",
    });
  return { path, shown, text, data: data as Record<string, unknown> };
}

/** The text with `path` set to `value`, in the file's own indentation. */
export function setIn(file: SettingsFile, path: JSONPath, value: unknown): string {
  const indent = /\n(\s+)"/.exec(file.text)?.[1] ?? "  ";
  const edits = modify(file.text, path, value, {
    formattingOptions: { insertSpaces: !indent.includes("\t"), tabSize: indent.includes("\t") ? 1 : indent.length, eol: "\n" },
  });
  return applyEdits(file.text, edits);
}

/** Writes the text when it differs; says whether it did. */
export function writeSettings(file: SettingsFile, text: string): boolean {
  const ending = text.endsWith("\n") ? text : `${text}\n`;
  if (ending === file.text) return false;
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileAtomic(file.path, ending);
  return true;
}
