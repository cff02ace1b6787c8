/**
 * Scanning a text too large to hold as one string: it is read in chunks that overlap, so a secret
 * across a chunk boundary is still whole in one of them. Each chunk keeps only the findings that
 * start in its own part (from where the previous one stopped keeping to where the next one starts
 * keeping), with at least OVERLAP bytes of context either side: a match up to OVERLAP bytes long is
 * found exactly once, with its line and column in the whole text.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Where findings are placed, 1-based, as the secret engine reports them. */
export interface Located {
  line: number;
  endLine: number;
  column: number;
}

/** Bytes read by position: a file on disk (never read whole) or a buffer already in memory. */
export interface ByteSource {
  size: number;
  readAt(position: number, length: number): Buffer;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return { size: buffer.length, readAt: (position, length) => buffer.subarray(position, position + length) };
}

/** Opens a file for reading by position; `use` gets the source, and the file is closed after. */
export function withFileSource<T>(file: string, size: number, use: (source: ByteSource) => T): T {
  const fd = openSync(file, "r");
  try {
    return use({
      size,
      readAt: (position, length) => {
        const buffer = Buffer.alloc(length);
        let filled = 0;
        while (filled < length) {
          const read = readSync(fd, buffer, filled, length - filled, position + filled);
          if (read === 0) break; // the file shrank while it was read
          filled += read;
        }
        return buffer.subarray(0, filled);
      },
    });
  } finally {
    closeSync(fd);
  }
}

export interface ChunkSizes {
  chunk: number;
  /** Context kept on each side of a chunk's own part: the longest match found whole across a boundary. */
  overlap: number;
}

/** 4 MiB chunks; 64 KiB covers every secret format (a PEM private key block is under 4 KiB). */
export const CHUNK_SIZES: ChunkSizes = { chunk: 4 * 1024 * 1024, overlap: 64 * 1024 };

/** One chunk as text, where it sits in the whole text, and which of its findings are its own. */
interface Chunk {
  text: string;
  /** Lines of the whole text before the chunk's first line. */
  lineOffset: number;
  /** Characters of the chunk's first line that precede the chunk (0 when it starts a line). */
  columnOffset: number;
  /** Its own part, in the chunk's coordinates: findings from `from` (inclusive) to `until` (exclusive). */
  from: Position;
  until: Position | undefined;
}

interface Position {
  line: number;
  column: number;
}

const NEWLINE = 10;

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

/** Back to the start of the UTF-8 character at `index`, so a cut never splits one. */
function characterStart(bytes: Buffer, index: number): number {
  let i = index;
  while (i > 0 && i < bytes.length && ((bytes[i] as number) & 0xc0) === 0x80) i--;
  return i;
}

/** The 1-based line and column (in UTF-16 units, as the engine counts) of byte `index` of `bytes`. */
function positionIn(bytes: Buffer, index: number): Position {
  const head = bytes.subarray(0, index);
  const lastNewline = head.lastIndexOf(NEWLINE);
  return { line: countNewlines(head) + 1, column: head.subarray(lastNewline + 1).toString("utf8").length + 1 };
}

/** Where the chunk read from `start` ends: at a line end when there is one well past the context, else at a character. */
function chunkEnd(bytes: Buffer, sizes: ChunkSizes): number {
  const lastNewline = bytes.lastIndexOf(NEWLINE);
  return lastNewline >= 3 * sizes.overlap ? lastNewline + 1 : characterStart(bytes, bytes.length);
}

/** Where the next chunk starts (relative to this one): at a line start at least `overlap` before `keepUntil`. */
function nextStart(bytes: Buffer, keepUntil: number, overlap: number): number {
  const limit = keepUntil - overlap;
  const newline = bytes.lastIndexOf(NEWLINE, limit - 1);
  // At least one byte on, even in text that is not UTF-8, so the chunks always move forward.
  return newline >= 0 ? newline + 1 : Math.max(1, characterStart(bytes, limit));
}

/** The chunks of a source; `sizes.chunk` must be well above `3 × sizes.overlap` so each one moves on. */
export function* chunksOf(source: ByteSource, sizes: ChunkSizes = CHUNK_SIZES): Generator<Chunk> {
  let start = 0;
  let lineOffset = 0;
  let columnOffset = 0;
  let from: Position = { line: 1, column: 1 };
  for (;;) {
    const wanted = Math.min(sizes.chunk, source.size - start);
    let bytes = source.readAt(start, wanted);
    // A file that shrank while it was read ends where its bytes end.
    const last = bytes.length < wanted || start + bytes.length >= source.size;
    if (last) {
      yield { text: bytes.toString("utf8"), lineOffset, columnOffset, from, until: undefined };
      return;
    }
    bytes = bytes.subarray(0, chunkEnd(bytes, sizes));
    const keepUntil = characterStart(bytes, bytes.length - sizes.overlap);
    const next = nextStart(bytes, keepUntil, sizes.overlap);
    const until = positionIn(bytes, keepUntil);
    yield { text: bytes.toString("utf8"), lineOffset, columnOffset, from, until };
    // The next chunk's coordinates: lines and characters between its start and this one's.
    const skipped = bytes.subarray(0, next);
    const nextLines = countNewlines(skipped);
    const startOfNext = positionIn(bytes, next);
    const untilInNext = positionIn(bytes.subarray(next), keepUntil - next);
    columnOffset = nextLines > 0 ? startOfNext.column - 1 : columnOffset + startOfNext.column - 1;
    lineOffset += nextLines;
    from = untilInNext;
    start += next;
  }
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}

/**
 * Runs `scan` over each chunk and returns its own findings placed in the whole text. `scan` learns
 * whether the chunk is the first: findings tied to the file rather than a place are made only there.
 */
export function scanChunks<F extends Located>(
  source: ByteSource,
  scan: (text: string, first: boolean) => F[],
  sizes: ChunkSizes = CHUNK_SIZES,
): F[] {
  const out: F[] = [];
  let first = true;
  for (const chunk of chunksOf(source, sizes)) {
    for (const finding of scan(chunk.text, first)) {
      const at = { line: finding.line, column: finding.column };
      if (before(at, chunk.from) || (chunk.until && !before(at, chunk.until))) continue;
      out.push({
        ...finding,
        line: finding.line + chunk.lineOffset,
        endLine: finding.endLine + chunk.lineOffset,
        column: finding.column + (finding.line === 1 ? chunk.columnOffset : 0),
      });
    }
    first = false;
  }
  return out;
}
