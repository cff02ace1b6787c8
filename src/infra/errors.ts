/**
 * Errors a user can act on. Anything thrown that is not a BrError is a bug and is reported
 * as such (with a stack trace only under --debug).
 */
export type ExitCode = 0 | 1 | 2 | 130;

export interface ErrorDetails {
  /** The file the problem is in, relative to the project when possible. */
  file?: string;
  /** Where in that file: `line 3, column 7`, a JSON path, or both. */
  place?: string;
  /** What the user should do about it. */
  fix?: string;
  exitCode?: ExitCode;
}

export class BrError extends Error {
  readonly file: string | undefined;
  readonly place: string | undefined;
  readonly fix: string | undefined;
  readonly exitCode: ExitCode;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "BrError";
    this.file = details.file;
    this.place = details.place;
    this.fix = details.fix;
    this.exitCode = details.exitCode ?? 2;
  }

  toJSON(): Record<string, unknown> {
    return {
      message: this.message,
      exitCode: this.exitCode,
      ...(this.file ? { file: this.file } : {}),
      ...(this.place ? { place: this.place } : {}),
      ...(this.fix ? { fix: this.fix } : {}),
    };
  }
}

/** Bad usage or bad input: exit 2. */
export function usageError(message: string, details: Omit<ErrorDetails, "exitCode"> = {}): BrError {
  return new BrError(message, { ...details, exitCode: 2 });
}

/** The command ran and found a problem: exit 1. */
export function failure(message: string, details: Omit<ErrorDetails, "exitCode"> = {}): BrError {
  return new BrError(message, { ...details, exitCode: 1 });
}
