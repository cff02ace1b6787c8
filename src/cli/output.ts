import { BrError } from "../infra/errors.js";
import { style } from "../infra/log.js";
import { mask, maskedJson } from "../security/mask.js";

export interface GlobalOptions {
  cwd?: string;
  debug?: boolean;
  json?: boolean;
}

/**
 * Prints a command's result: one JSON document on stdout with --json, human text otherwise.
 * Everything passes the one masker, so a secret a user typed into a description is never echoed.
 */
export function emit(json: boolean | undefined, data: unknown, human: () => string | string[]): void {
  if (json) {
    process.stdout.write(`${maskedJson(data).text}\n`);
    return;
  }
  const text = human();
  const lines = Array.isArray(text) ? text : [text];
  if (lines.length > 0) process.stdout.write(`${mask(lines.join("\n"))}\n`);
}

/** A plain column layout; the last column is never padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [style.dim(line(header)), ...rows.map(line)];
}

/**
 * Failures of the machine rather than of br (a full disk, no permission, a folder where a file
 * should be, a damaged state database) are reported as such, with exit 1, not as a bug.
 */
function fromEnvironment(error: unknown): BrError | undefined {
  const { code, path, message } = (error ?? {}) as { code?: unknown; path?: unknown; message?: unknown };
  if (typeof code !== "string") return undefined;
  if (code.startsWith("SQLITE_")) {
    return new BrError(`The machine-local state database failed: ${String(message)} (${code}).`, {
      file: ".buildrunner/state/",
      fix: "If another program holds it, close that; if it is damaged, move .buildrunner/state/ aside (it holds only machine-local history).",
      exitCode: 1,
    });
  }
  if (/^E[A-Z]+$/.test(code) && typeof path === "string") {
    return new BrError(`Cannot access ${path}: ${code}.`, {
      file: path,
      fix: "Check that the path is a writable file (not a folder), that the disk has space, and its permissions.",
      exitCode: 1,
    });
  }
  return undefined;
}

/** Prints an error for a human (stderr) and, with --json, as a JSON document on stdout. */
export function reportError(error: unknown, options: GlobalOptions): number {
  if (error instanceof BrError) {
    const lines = [`${style.red("error:")} ${error.message}`];
    if (error.file) lines.push(`  file: ${error.file}`);
    if (error.place) lines.push(`  at:   ${error.place}`);
    if (error.fix) lines.push(`  fix:  ${error.fix}`);
    process.stderr.write(`${mask(lines.join("\n"))}\n`);
    if (options.json) process.stdout.write(`${maskedJson({ error: error.toJSON() }).text}\n`);
    return error.exitCode;
  }
  const environmental = fromEnvironment(error);
  if (environmental) return reportError(environmental, options);
  const err = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`${style.red("internal error:")} ${mask(err.message)}\n`);
  if (options.debug) process.stderr.write(`${err.stack ?? ""}\n`);
  else process.stderr.write("  This is a bug in br. Run again with --debug (or BR_DEBUG=1) for details, and report it.\n");
  if (options.json) process.stdout.write(`${maskedJson({ error: { message: err.message, exitCode: 1 } }).text}\n`);
  return 1;
}
