import type { z } from "zod";
import { BrError, usageError } from "./errors.js";
import { formatPath, lineAndColumn, problemsFrom, readText } from "./validation.js";

/** Finds where a JSON path's value sits in the text (error path only, so the parser loads lazily). */
async function locate(text: string, path: PropertyKey[]): Promise<string | undefined> {
  const { parseTree, findNodeAtLocation } = await import("jsonc-parser");
  const root = parseTree(text);
  if (!root) return undefined;
  for (let depth = path.length; depth >= 0; depth--) {
    const node = findNodeAtLocation(root, path.slice(0, depth) as (string | number)[]);
    if (node) return lineAndColumn(text, node.parent?.type === "property" ? node.parent.offset : node.offset);
  }
  return undefined;
}

async function syntaxErrorPlace(text: string): Promise<{ place: string; what: string }> {
  const { parse, printParseErrorCode } = await import("jsonc-parser");
  const errors: import("jsonc-parser").ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (!first) return { place: lineAndColumn(text, text.length), what: "not valid JSON" };
  const code = printParseErrorCode(first.error);
  // A cut-off file shows up as an error that reaches the end of the text.
  if (code.startsWith("UnexpectedEnd") || first.offset + first.length >= text.trimEnd().length) {
    return { place: lineAndColumn(text, text.trimEnd().length), what: "cut off: the JSON ends too early (truncated?)" };
  }
  const what = `invalid JSON (${code})`;
  return { place: lineAndColumn(text, first.offset), what };
}

export interface LoadJsonOptions {
  /** The path shown to the user (usually relative to the project). */
  displayPath: string;
  /** How to get a good copy back, appended to the fix. */
  restoreHint?: string;
}

/**
 * The last valid read of each file: its text and what the schema made of it. A run reads the plan
 * and the registry several times a task, mostly unchanged; the same text under the same schema
 * validates the same, so only a copy is made (callers may change what they get).
 */
const lastValid = new Map<string, { schema: z.ZodType; text: string; data?: unknown }>();

/**
 * The format version of the JSON files br writes (features.json, tasks.json, backup manifests).
 * docs/versioning.md: a later format gets a higher number, and a br that predates it refuses the
 * file instead of misreading or rewriting it.
 */
export const SCHEMA_VERSION = 1;

/** A file in a later format than this br knows (`schemaVersion`, or `version` in config.yaml and the baseline) is refused, untouched. */
export function refuseNewerVersion(data: unknown, displayPath: string): void {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return; // the schema says what is wrong
  const record = data as { schemaVersion?: unknown; version?: unknown };
  const key = "schemaVersion" in record ? "schemaVersion" : "version";
  const version = record[key];
  if (typeof version !== "number" || version <= SCHEMA_VERSION) return;
  throw usageError(`${displayPath} has ${key} ${version}, written by a newer br; this br reads ${key} ${SCHEMA_VERSION}.`, {
    file: displayPath,
    fix: "Upgrade br (npm i -g buildrunner@latest) on this machine; the file was left as it is.",
  });
}

/**
 * Reads and validates a JSON file. Any problem becomes a BrError (exit 2) naming the file, the
 * line and column, the JSON path and a fix; the file itself is never touched.
 */
export async function loadJsonFile<S extends z.ZodType>(path: string, schema: S, options: LoadJsonOptions): Promise<z.output<S>> {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    throw usageError(`Cannot read ${options.displayPath}: ${(error as Error).message}`, {
      file: options.displayPath,
      fix: "Check that the file exists and that you may read it.",
    });
  }
  const last = lastValid.get(path);
  const seen = last !== undefined && last.schema === schema && last.text === text;
  if (seen && "data" in last) return structuredClone(last.data) as z.output<S>;
  const restore = options.restoreHint ?? `restore it with \`git checkout -- ${options.displayPath}\``;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const { place, what } = await syntaxErrorPlace(text);
    throw usageError(`${options.displayPath} is ${what}.`, {
      file: options.displayPath,
      place,
      fix: `Repair the JSON at ${place}, or ${restore}.`,
    });
  }
  const result = schema.safeParse(data);
  if (result.success) {
    // The copy is kept from the second read of the same text on: a command that reads a file once
    // (most of them) does not pay for copying a large registry it will never read again.
    lastValid.set(path, seen ? { schema, text, data: structuredClone(result.data) } : { schema, text });
    return result.data;
  }
  refuseNewerVersion(data, options.displayPath);
  const problems = problemsFrom(result.error, data);
  const first = problems[0];
  if (!first)
    throw new BrError(`${options.displayPath} is invalid.`, {
      file: options.displayPath,
      fix: "Restore it from git (git diff shows what changed).",
    });
  const where = await locate(text, first.path);
  const jsonPath = formatPath(first.path);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : "";
  throw usageError(`${options.displayPath}: ${jsonPath} ${first.message}${more}.`, {
    file: options.displayPath,
    place: where ? `${where} (${jsonPath})` : jsonPath,
    fix: `Correct ${jsonPath} in ${options.displayPath}, or ${restore}.`,
  });
}
