/**
 * The runnable examples of the guides (docs/*.md, README.md). A shell block is runnable when its
 * fence says so: ```` ```sh doctest ```` (exit 0 expected) or ```` ```sh doctest exit=2 ````. A
 * ```` ```text output ```` block right after it (blank lines between are fine) shows what it prints:
 * each of its lines must appear in the output, in that order, spaces collapsed; `…` in a line stands
 * for any text (with the spaces around it), and a line of `...` for lines that are not shown. Everything else is prose.
 */

import { fences } from "../src/infra/markdown.ts";

export { fences };

export interface OutputBlock {
  /** 1-based line of the output fence. */
  line: number;
  lines: string[];
}

export interface DocBlock {
  file: string;
  /** 1-based line of the block's opening fence, for the message a failure gives. */
  line: number;
  code: string;
  exit: number;
  output?: OutputBlock;
}

function blankBetween(lines: string[], from: number, to: number): boolean {
  return lines.slice(from - 1, to - 1).every((line) => line.trim() === "");
}

/** The runnable shell blocks of a guide, each with the output block that follows it, if any. */
export function runnableBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const all = fences(markdown);
  const blocks: DocBlock[] = [];
  all.forEach((fence, index) => {
    if (!fence.info.includes("doctest")) return;
    const exitWord = fence.info.find((word) => word.startsWith("exit="));
    const exit = exitWord ? Number(exitWord.slice("exit=".length)) : 0;
    if (exitWord && !/^exit=\d{1,3}$/.test(exitWord))
      throw new Error(`${file}:${fence.line}: "${exitWord}" is not an exit code (exit=0, exit=1, exit=2)`);
    const after = all[index + 1];
    const shown = after?.info.includes("output") && blankBetween(lines, fence.next, after.line) ? after : undefined;
    blocks.push({
      file,
      line: fence.line,
      code: fence.body.join("\n"),
      exit,
      ...(shown ? { output: { line: shown.line, lines: shown.body } } : {}),
    });
  });
  return blocks;
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim();

function linePattern(expected: string): RegExp {
  const parts = collapse(expected)
    .split("…")
    .map((part) => part.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/**
 * Why the actual output does not show what the guide says it does, or undefined when it does: the
 * first shown line with no match at or after the previous match.
 */
export function outputMismatch(expected: string[], actual: string): string | undefined {
  const actualLines = actual.split("\n").map(collapse);
  let at = 0;
  for (const want of expected) {
    if (want.trim() === "" || want.trim() === "...") continue;
    const pattern = linePattern(want);
    let found = at;
    while (found < actualLines.length && !pattern.test(actualLines[found] ?? "")) found++;
    if (found === actualLines.length)
      return `the guide shows "${want.trim()}", which the output does not have${at > 0 ? " after the lines matched before it" : ""}`;
    at = found + 1;
  }
  return undefined;
}
