/** Inline allow comments (`br:allow`, `gitleaks:allow`) an attempt added: they do not count for its own scan. */
const INLINE_ALLOW = /\b(?:br|gitleaks):allow\b/;
const EVERY_INLINE_ALLOW = /\b(?:br|gitleaks):allow\b/g;

/**
 * The text with allow comments that were not on the same line before turned off (same length, so
 * positions hold), and the line numbers where that happened.
 */
export function withoutNewAllowComments(before: string | undefined, after: string): { text: string; lines: Set<number> } {
  const old = new Set((before ?? "").split("\n").map((l) => l.trim()));
  const lines = new Set<number>();
  const text = after
    .split("\n")
    .map((line, i) => {
      if (!INLINE_ALLOW.test(line) || old.has(line.trim())) return line;
      lines.add(i + 1);
      return line.replace(EVERY_INLINE_ALLOW, (m) => m.replace("allow", "a1low"));
    })
    .join("\n");
  return { text, lines };
}
