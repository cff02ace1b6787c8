/** What every security finding carries, whichever detector made it (SPEC §7's finding shape). */
export interface FindingFields {
  rule: string;
  file: string;
  line: number;
  endLine: number;
  column: number;
  message: string;
  /** What was found, masked: a secret keeps only its first 4 characters. */
  match: string;
  /** Stable across moved lines; what a baseline records. */
  fingerprint: string;
}
