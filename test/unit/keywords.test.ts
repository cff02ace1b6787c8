/**
 * The keyword prefilter's automaton (src/security/secrets/keywords.ts) against its definition: a
 * keyword is present when the lowercased text includes it. Checked on hand-picked overlaps and
 * case, on br's own rule keywords over real source text, and on thousands of random texts drawn
 * from the keywords' own alphabet, where overlaps and near misses are frequent.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

await import("./text-loader.ts");
const { KeywordMatcher } = await import("../../src/security/secrets/keywords.ts");
const { loadRules } = await import("../../src/security/secrets/rules.ts");

function expected(keywords: readonly string[], text: string): string[] {
  const lower = text.toLowerCase();
  return keywords.filter((k) => lower.includes(k)).sort();
}

function actual(matcher: InstanceType<typeof KeywordMatcher>, text: string): string[] {
  return [...matcher.present(text)].sort();
}

describe("keyword matcher", () => {
  it("finds overlapping keywords, one inside another, in any ASCII case", () => {
    const matcher = new KeywordMatcher(["key", "apikey", "api", "pik", "token", "sk"]);
    assert.deepEqual(actual(matcher, "const APIKEY = 1"), ["api", "apikey", "key", "pik"]);
    assert.deepEqual(actual(matcher, "tokeN sK"), ["sk", "token"]);
    assert.deepEqual(actual(matcher, "tokex ke y a p i"), []);
  });

  it("finds a keyword after a failed longer match that shares its start", () => {
    const matcher = new KeywordMatcher(["password", "passphrase", "word"]);
    assert.deepEqual(actual(matcher, "passwor passphras word"), ["word"]);
    assert.deepEqual(actual(matcher, "pppassphrase"), ["passphrase"]);
  });

  it("reads non-ASCII keywords in either case and never folds other non-ASCII text into ASCII", () => {
    const matcher = new KeywordMatcher(["contraseña", "k"]);
    assert.deepEqual(actual(matcher, "la contraseña es"), ["contraseña"]);
    assert.deepEqual(actual(matcher, "CONTRASEÑA"), ["contraseña"]);
    assert.deepEqual(actual(matcher, "contraseÓa"), []);
    assert.deepEqual(actual(matcher, "\u212a"), []); // the Kelvin sign is not a k
  });

  it("ignores empty and repeated keywords and matches nothing when it has none", () => {
    assert.deepEqual(new KeywordMatcher(["", "a", "A"]).keywords, ["a"]);
    assert.deepEqual(actual(new KeywordMatcher([]), "anything at all"), []);
  });

  it("agrees with the definition for br's rule keywords on real source text", () => {
    const keywords = [...new Set(loadRules(undefined, ".gitleaks.toml").rules.flatMap((r) => r.keywords))];
    const matcher = new KeywordMatcher(keywords);
    for (const file of ["src/security/secrets/engine.ts", "data/secret-rules.toml", "README.md", "test/unit/secret-corpus.ts"]) {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
      assert.deepEqual(actual(matcher, text), expected(matcher.keywords, text), file);
    }
  });

  it("agrees with the definition on random texts over the keywords' alphabet", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = "abcAB-_.k:s";
    const word = (max: number) => Array.from({ length: 1 + random(max) }, () => alphabet[random(alphabet.length)]).join("");
    for (let round = 0; round < 2000; round++) {
      const keywords = Array.from({ length: 1 + random(8) }, () => word(4).toLowerCase());
      const matcher = new KeywordMatcher(keywords);
      const text = word(60);
      assert.deepEqual(actual(matcher, text), expected(matcher.keywords, text), `${JSON.stringify(keywords)} in ${JSON.stringify(text)}`);
    }
  });
});
