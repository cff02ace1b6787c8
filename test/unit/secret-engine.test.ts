/**
 * The secret engine's own decisions (src/security/secrets/engine.ts), on small rule sets written
 * here in gitleaks' format: the keyword prefilter, capture groups, entropy floors, allowlists by
 * path, stop word and regex target, inline allow comments, where a finding is (line, column, end
 * line), path-only rules, and the finding's masked match and stable fingerprint.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

await import("./text-loader.ts");
const { lineAround, scanText } = await import("../../src/security/secrets/engine.ts");
const { shannonEntropy } = await import("../../src/security/entropy.ts");
const { rulesFromText } = await import("../../src/security/secrets/rules.ts");

const T = { timeout: 10_000 };

const RULES = rulesFromText(
  `
[allowlist]
paths = ['''^vendor/''']
stopwords = ["placeholder"]

[[rules]]
id = "token"
description = "Test token"
regex = '''\\b(tok_[a-z0-9]{12})\\b'''
keywords = ["tok_"]
severity = "critical"

[[rules]]
id = "grouped"
description = "Second group holds the secret"
regex = '''(name)=(sec[A-Za-z0-9]{10})'''
secretGroup = 2
keywords = ["name="]

[[rules]]
id = "random"
description = "Random value"
regex = '''rnd:([A-Za-z0-9]{8})'''
keywords = ["rnd:"]
entropy = 3.0

[[rules]]
id = "allowed"
description = "Allowlisted by match, line and path"
regex = '''key=(k[0-9]{6})'''
keywords = ["key="]
  [[rules.allowlists]]
  regexTarget = "match"
  regexes = ['''^key=k000''']
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''# test fixture''']
  [[rules.allowlists]]
  paths = ['''\\.snap$''']
  [[rules.allowlists]]
  regexes = ['''999$''']

[[rules]]
id = "always"
description = "No keywords: always runs"
regex = '''ZZ([0-9]{4})ZZ'''

[[rules]]
id = "long-keyword"
description = "Keyword inside a longer one"
regex = '''key-(v[0-9]{5})'''
keywords = ["key"]

[[rules]]
id = "blob"
description = "Multi-line block"
regex = '''BEGIN\\n([a-z\\n]+)\\nEND'''
keywords = ["begin"]

[[rules]]
id = "empty-match"
description = "A pattern that can match nothing"
regex = '''(?:zq)*'''

[[rules]]
id = "key-file"
description = "A file whose name is the secret"
path = '''\\.pem$'''
`,
  "test.toml",
);

const scan = (text: string, file = "app.txt") => scanText(text, file, RULES);
const rules = (text: string, file?: string) => scan(text, file).map((f) => f.rule);

describe("shannonEntropy", () => {
  it("is 0 for empty and uniform text and log2 of the alphabet for even spreads", T, () => {
    assert.equal(shannonEntropy(""), 0);
    assert.equal(shannonEntropy("aaaa"), 0);
    assert.equal(shannonEntropy("ab"), 1);
    assert.equal(shannonEntropy("abcd"), 2);
    assert.equal(shannonEntropy("aabb"), 1);
    assert.ok(Math.abs(shannonEntropy("aab") - 0.9183) < 0.001);
  });
});

describe("scanText", () => {
  it("runs a rule only when one of its keywords is in the text, or always when it has none", T, () => {
    assert.deepEqual(rules("x tok_abcdef123456 y"), ["token"]);
    assert.deepEqual(rules("ZZ1234ZZ"), ["always"]);
    // `key` hides inside the longer keyword `key=` that the one-pass prefilter matched instead.
    assert.deepEqual(rules("key=k123456 key-v12345"), ["allowed", "long-keyword"]);
  });

  it("takes the secret from the named group, or the first group that matched", T, () => {
    const [grouped] = scan("name=secABCDEF1234");
    assert.equal(grouped?.match, `secA${"*".repeat(9)}`);
    assert.equal(grouped?.column, 6);
    const [token] = scan("tok_abcdef123456");
    assert.equal(token?.match, `tok_${"*".repeat(12)}`);
  });

  it("drops a match whose secret is below the rule's entropy, keeps one at or above it", T, () => {
    assert.deepEqual(rules("rnd:aaaabbbb"), []);
    assert.deepEqual(rules("rnd:abcdefgh"), ["random"]);
    // Exactly 3 bits: eight distinct characters.
    assert.equal(shannonEntropy("abcdefgh"), 3);
  });

  it("applies allowlists by match, line, secret and path, and the global path and stop word lists", T, () => {
    assert.deepEqual(rules("key=k123456"), ["allowed"]);
    assert.deepEqual(rules("key=k000123"), [], "match allowlist");
    assert.deepEqual(rules("key=k123456 # test fixture"), [], "line allowlist");
    assert.deepEqual(rules("key=k123999"), [], "secret allowlist");
    assert.deepEqual(rules("key=k123456", "ui.snap"), [], "the rule's path allowlist");
    assert.deepEqual(rules("tok_abcdef123456", "vendor/lib.txt"), [], "the global path allowlist");
    assert.deepEqual(rules("tok_placeholder1"), [], "the global stop words");
  });

  it("skips a finding whose first or last line carries br:allow or gitleaks:allow", T, () => {
    assert.deepEqual(rules("tok_abcdef123456 // br:allow"), []);
    assert.deepEqual(rules("tok_abcdef123456 # gitleaks:allow"), []);
    assert.deepEqual(rules("BEGIN\nabc\nEND // br:allow"), []);
    assert.deepEqual(rules("// br:allow\ntok_abcdef123456"), ["token"], "an allow comment on another line does not count");
  });

  it("places a finding by line, column and end line, across lines too", T, () => {
    const [token] = scan("first line\nsecond\n   tok_abcdef123456\n");
    assert.deepEqual([token?.line, token?.column, token?.endLine], [3, 4, 3]);
    const [blob] = scan("x\nBEGIN\nabc\ndef\nEND\n");
    assert.deepEqual([blob?.rule, blob?.line, blob?.endLine], ["blob", 3, 5]);
  });

  it("reports a path-only rule once, on line 1, with the file name as what was found", T, () => {
    const found = scan("anything", "certs/server.pem");
    assert.deepEqual(
      found.map((f) => [f.rule, f.line, f.column]),
      [["key-file", 1, 1]],
    );
    assert.equal(found[0]?.match, `cert${"*".repeat("certs/server.pem".length - 4)}`);
  });

  it("does not loop on a pattern that matches the empty string", T, () => {
    assert.deepEqual(rules("zqzq yyy zq"), ["empty-match", "empty-match"]);
  });

  it("gives each finding a stable fingerprint of rule, file and secret, and a message naming the rule", T, () => {
    const [a] = scan("tok_abcdef123456");
    const [moved] = scan("\n\n  tok_abcdef123456");
    const [elsewhere] = scan("tok_abcdef123456", "other.txt");
    assert.match(a?.fingerprint ?? "", /^[0-9a-f]{32}$/);
    assert.equal(moved?.fingerprint, a?.fingerprint, "a line move keeps the fingerprint");
    assert.notEqual(elsewhere?.fingerprint, a?.fingerprint, "another file is another finding");
    assert.equal(a?.message, "Test token (token)");
    assert.equal(a?.kind, "secret");
    assert.equal(a?.severity, "critical");
    assert.ok(!JSON.stringify(a).includes("abcdef123456"), "the secret is never in the finding in clear");
  });
});

describe("lineAround: the line of an offset, read in place", () => {
  it("is the line text.split gives, at every offset of random texts, with and without the last line kept", T, () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ["a", "b", "\n", "\r", " ", "tok_"];
    for (let t = 0; t < 300; t++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      const lines = text.split("\n");
      let kept: ReturnType<typeof lineAround> | undefined;
      for (let offset = 0; offset < text.length; offset++) {
        const expected = lines[text.slice(0, offset).split("\n").length - 1];
        assert.equal(lineAround(text, offset).text, expected, `${JSON.stringify(text)} at ${offset}`);
        kept = lineAround(text, offset, random() < 0.5 ? kept : undefined);
        assert.equal(kept.text, expected, `${JSON.stringify(text)} at ${offset}, last line kept`);
      }
    }
  });
});
