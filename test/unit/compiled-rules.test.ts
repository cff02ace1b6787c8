/**
 * The default secret rules as the build ships them (src/security/secrets/compiled-rules.ts): the
 * compiled set as data and back is the set compiled from the TOML, every rule, pattern, flag,
 * allowlist and keyword; and a rule set revived from data finds what the compiled one finds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

await import("./text-loader.ts");
const { compiledDefaults, defaultRules, rulesFromText } = await import("../../src/security/secrets/rules.ts");
const { reviveRuleSet, serializeRuleSet } = await import("../../src/security/secrets/compiled-rules.ts");
const { scanText } = await import("../../src/security/secrets/engine.ts");

const T = { timeout: 30_000 };

describe("compiled secret rules", () => {
  it("revive what the build serializes: the same rule set as compiling the TOML", T, () => {
    const fromText = defaultRules();
    const revived = reviveRuleSet(JSON.parse(JSON.stringify(compiledDefaults())));
    assert.ok(fromText.rules.length > 90);
    assert.deepEqual(revived, fromText);
    // deepEqual compares a RegExp's source and flags: check one that relies on its flags.
    const flagged = fromText.rules.find((r) => r.regex?.flags.includes("i"));
    assert.ok(flagged, "some default rule is case-insensitive");
    assert.equal(revived.rules.find((r) => r.id === flagged.id)?.regex?.flags, flagged.regex?.flags);
  });

  it("a revived set finds what the compiled one finds, allowlists and path rules included", T, () => {
    const set = rulesFromText(
      `
[allowlist]
paths = ['''^vendor/''']
stopwords = ["example"]
[[rules]]
id = "token"
regex = '''(?i)\\b(tok_[a-z0-9]{12})\\b'''
keywords = ["tok_"]
[rules.allowlist]
regexes = ['''tok_0{12}''']
[[rules]]
id = "key-file"
path = '''\\.pem$'''
`,
      "test.toml",
    );
    const revived = reviveRuleSet(JSON.parse(JSON.stringify(serializeRuleSet(set))));
    const token = ["tok_", "a1b2c3d4e5f6"].join("");
    const cases: [string, string][] = [
      [`x = "${token}"`, "src/a.js"],
      [`x = "${token.toUpperCase()}"`, "src/a.js"],
      ['x = "tok_000000000000"', "src/a.js"],
      [`x = "${token}"`, "vendor/a.js"],
      ["-----", "certs/server.pem"],
    ];
    for (const [text, file] of cases) assert.deepEqual(scanText(text, file, revived), scanText(text, file, set), `${file}: ${text}`);
    assert.equal(scanText(`x = "${token.toUpperCase()}"`, "src/a.js", revived).length, 1);
  });
});
