/**
 * Token counting for prompt budgets. A real BPE tokenizer (cl100k_base, via js-tiktoken) counts
 * the text; Claude's own tokenizer is not published and runs somewhat higher on code, so counts
 * are scaled by a calibration factor and the budget stays a safe upper bound.
 */
const CLAUDE_FACTOR = 1.15;

type Encoder = { encode(text: string): number[] };
let encoder: Encoder | undefined;

export async function loadTokenizer(): Promise<(text: string) => number> {
  if (!encoder) {
    const { Tiktoken } = await import("js-tiktoken/lite");
    const ranks = (await import("js-tiktoken/ranks/cl100k_base")).default;
    encoder = new Tiktoken(ranks);
  }
  const active = encoder;
  return (text: string) => Math.ceil(active.encode(text).length * CLAUDE_FACTOR);
}
