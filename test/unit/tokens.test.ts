/** Prompt token counts: br's counting-only cl100k_base against js-tiktoken's own encoder, text by text. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import { seededRandom } from "../../src/infra/random.ts";
import { loadTokenizer, parseRanks, pieceTokens } from "../../src/run/tokens.ts";

const reference = new Tiktoken(cl100k);

/** Texts of the kinds prompts hold: prose, code, paths, JSON, test output, other scripts, emoji and odd whitespace. */
const SAMPLES = [
  "",
  "a",
  "Hello, world!",
  "# Task feature-12.core: Implement the billing export\n\nAcceptance criteria:\n- It returns its own id\n",
  "export function parseStatusV2(output: string, prefix: string): TreeStatus {\n\tconst entries = output.split('\\0');\n}\n",
  "src/feature-1/feature_1_core.js test/feature-1/feature_1_core.test.js .buildrunner/tasks.json",
  '{"schemaVersion":1,"tasks":[{"id":"f.1","status":"ready","dependsOn":[]}]}',
  "ℹ tests 12\nℹ pass 11\nℹ fail 1\n✖ failing tests:\n  AssertionError [ERR_ASSERTION]: 'wrong' !== 'f.1'",
  "Größenänderung über Straßen; naïve café — «guillemets» and ‘quotes’",
  "日本語のテキストと中文文本，还有한국어 텍스트.",
  "emoji 🙂👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇯🇵",
  "    indented\r\n\r\n\t\ttabs   and   spaces   \n\n\n   trailing   ",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "1234567890 3.14159 0xdeadbeef 1e-9 -42",
  "don't can't we'll they've I'M YOU'RE",
  "lone surrogate \ud800 here",
  "=".repeat(300),
];

/** Random strings over a mix of alphabets, for the cases nobody thought to write down. */
function randomTexts(count: number): string[] {
  const random = seededRandom(19);
  const alphabet = [..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 \n\t_-.,;:'\"(){}[]<>/\\=+*&|!?éßøΩжЖ中文🙂"];
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(random() * 200) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""),
  );
}

describe("token counts", () => {
  it("are cl100k_base's, as js-tiktoken's encoder counts them", async () => {
    const count = await loadTokenizer();
    for (const text of [...SAMPLES, ...randomTexts(300)]) {
      assert.equal(count(text), Math.ceil(reference.encode(text).length * 1.15), JSON.stringify(text));
    }
  });

  it("count a piece that is no token by merging the lowest-ranked pair first, as tiktoken does", () => {
    const ranks = parseRanks("! 0 YQ== Yg== Yw==\n! 3 YWI= YmM= YWJj");
    // "abc": ab (3) merges first, then abc (5): one token.
    assert.equal(pieceTokens("abc", ranks), 1);
    // "abcb": ab, then abc; "b" is left: two tokens.
    assert.equal(pieceTokens("abcb", ranks), 2);
    // A byte with no token is dropped, as tiktoken drops it.
    assert.equal(pieceTokens("az", ranks), 1);
  });

  it("read the compressed table's consecutive ranks line by line", () => {
    const ranks = parseRanks("! 0 YQ== Yg==\n! 7 YWI=");
    assert.deepEqual(
      [...ranks],
      [
        ["a", 0],
        ["b", 1],
        ["ab", 7],
      ],
    );
  });

  it("count special tokens' text as ordinary text instead of refusing it", async () => {
    const count = await loadTokenizer();
    const text = "before <|endoftext|> after";
    assert.throws(() => reference.encode(text));
    assert.equal(count(text), Math.ceil(reference.encode(text, [], []).length * 1.15));
  });
});
