/**
 * Token counting for prompt budgets. A real BPE tokenizer (cl100k_base, with js-tiktoken's rank
 * table) counts the text; Claude's own tokenizer is not published and runs somewhat higher on
 * code, so counts are scaled by a calibration factor and the budget stays a safe upper bound.
 *
 * Counting needs how many tokens, never their ids: br keeps one map from each token's bytes (as a
 * latin1 string, so an ASCII piece is its own key) to its rank, and merges byte pairs exactly as
 * tiktoken does. js-tiktoken's encoder also keeps the reverse table and keys by comma-joined
 * numbers: it took ~0.6 s and ~120 MB to build, and every process br starts afterwards (a git
 * query, a check) paid for copying that memory's page tables.
 */
const CLAUDE_FACTOR = 1.15;

interface Encoding {
  ranks: Map<string, number>;
  pieces: RegExp;
}

let encoding: Encoding | undefined;

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) SEXTET[BASE64.charCodeAt(i)] = i;

/** The bytes a base64 word stands for, as a latin1 string. */
function decodeBase64(word: string): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (let i = 0; i < word.length; i++) {
    const sextet = SEXTET[word.charCodeAt(i)] ?? -1;
    if (sextet < 0) break; // "=" padding
    acc = ((acc << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 0xff);
    }
  }
  return out;
}

/**
 * js-tiktoken's compressed table: lines of `! <first rank> <base64 token> <base64 token> …`, the
 * tokens of a line taking consecutive ranks.
 */
export function parseRanks(table: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of table.split("\n")) {
    const words = line.split(" ");
    let rank = Number.parseInt(words[1] ?? "", 10);
    for (let i = 2; i < words.length; i++) ranks.set(decodeBase64(words[i] as string), rank++);
  }
  return ranks;
}

/**
 * How many tokens one pre-tokenized piece (its UTF-8 bytes as latin1) is: the adjacent pair of
 * lowest rank is merged until no pair is a token (tiktoken's byte pair merge, ties to the left).
 */
export function pieceTokens(bytes: string, ranks: ReadonlyMap<string, number>): number {
  if (ranks.has(bytes)) return 1;
  // Part i is bytes[bounds[i], bounds[i + 1]).
  const bounds = Array.from({ length: bytes.length + 1 }, (_, i) => i);
  while (bounds.length > 2) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 2 < bounds.length; i++) {
      const rank = ranks.get(bytes.slice(bounds[i], bounds[i + 2]));
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) break;
    bounds.splice(best + 1, 1);
  }
  // A part that is no token is dropped, as tiktoken does (every single byte is one in cl100k).
  let count = 0;
  for (let i = 0; i + 1 < bounds.length; i++) if (ranks.has(bytes.slice(bounds[i], bounds[i + 1]))) count++;
  return count;
}

/** Whether every character is ASCII: such a piece's UTF-8 bytes, as latin1, are the piece itself. */
function isAscii(piece: string): boolean {
  for (let i = 0; i < piece.length; i++) if (piece.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** cl100k_base's token count of a text (special tokens' text counts as ordinary text). */
export function countWith(text: string, { ranks, pieces }: Encoding): number {
  let count = 0;
  for (const [piece] of text.matchAll(pieces)) {
    count += pieceTokens(isAscii(piece) ? piece : Buffer.from(piece, "utf8").toString("latin1"), ranks);
  }
  return count;
}

async function loadEncoding(): Promise<Encoding> {
  const table = (await import("js-tiktoken/ranks/cl100k_base")).default;
  return { ranks: parseRanks(table.bpe_ranks), pieces: new RegExp(table.pat_str, "gu") };
}

export async function loadTokenizer(): Promise<(text: string) => number> {
  encoding ??= await loadEncoding();
  const active = encoding;
  return (text: string) => Math.ceil(countWith(text, active) * CLAUDE_FACTOR);
}
