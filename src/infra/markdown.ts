/**
 * Fenced code blocks of a markdown text, as CommonMark reads them: one parser for the guides that
 * `br help` prints (src/cli/guides.ts) and the doc tests that run their examples.
 */

export interface Fence {
  line: number;
  info: string[];
  body: string[];
  /** 1-based line after the closing fence. */
  next: number;
}

/** An opening fence (CommonMark): three or more backticks or tildes, an info string without backticks. */
const FENCE = /^(`{3,}|~{3,})([^`]*)$/;
/** A closing fence: the opening's character, at least as many times, and nothing after it. */
const closes = (line: string, marker: string): boolean =>
  line.trimEnd().length >= marker.length && new RegExp(`^\\${marker[0]}{${marker.length},}$`).test(line.trimEnd());

/** Every fenced block of a markdown text, with its info string's words. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "");
    if (!open) continue;
    const marker = open[1] ?? "```";
    let end = i + 1;
    while (end < lines.length && !closes(lines[end] ?? "", marker)) end++;
    found.push({ line: i + 1, info: (open[2] ?? "").trim().split(/\s+/).filter(Boolean), body: lines.slice(i + 1, end), next: end + 2 });
    i = end;
  }
  return found;
}
