/** One way an attempt broke the rules of evidence, in words a user understands. */
export interface Violation {
  kind:
    | "protected-path"
    | "own-files"
    | "test-not-owned"
    | "test-weakened"
    | "test-counts"
    | "allowlist"
    | "git-state"
    | "wrong-kind"
    | "other-feature"
    | "special-case";
  path?: string;
  message: string;
}

/** The reason a rejected attempt shows: every violation, most telling first, capped for the journal. */
export function describeViolations(violations: readonly Violation[]): string {
  const shown = violations.slice(0, 4).map((v) => v.message);
  const more = violations.length > shown.length ? `; and ${violations.length - shown.length} more` : "";
  return `${shown.join("; ")}${more}`;
}
