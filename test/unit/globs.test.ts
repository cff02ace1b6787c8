/**
 * globMatcher (one regular expression for a list of globs) against picomatch's own matcher for the
 * list, which it replaced: the same answer for every glob list br ships and a few written as users
 * write them, over real paths (this repository and its dependencies) and made-up awkward ones.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import picomatch from "picomatch";
import mapping from "../../data/test-mapping.json" with { type: "json" };
import { globMatcher } from "../../src/infra/globs.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const T = { timeout: 60_000 };

const LISTS: readonly (readonly string[])[] = [
  mapping.skip,
  mapping.fixtures,
  mapping.notTested,
  ...Object.values(mapping.languages).map((l) => l.tests),
  ["src/**", "test/*.test.ts"],
  ["**/*.{js,ts}", "!**/*.d.ts"],
  ["docs/[a-c]*.md", "scripts/?.sh", ".github/**"],
  ["vendor"],
];

function paths(): string[] {
  const real = (readdirSync(ROOT, { recursive: true, encoding: "utf8" }) as string[]).filter((p) => !p.startsWith(".git/"));
  const step = Math.max(1, Math.floor(real.length / 20_000));
  const awkward = [
    "",
    ".env",
    "a/.hidden/b.test.js",
    "src/a.d.ts",
    "node_modules/x/index.js",
    "dist/cli.js",
    "deep/dist/x.js",
    "test/fixtures/a.js",
    "docs/b.md",
    "docs/d.md",
    "scripts/x.sh",
    "scripts/xy.sh",
    "vendor",
    "vendor/a.js",
    "a b/c (1).test.ts",
    "ünïcode/test_ü.py",
  ];
  return [...real.filter((_, i) => i % step === 0), ...awkward];
}

describe("globMatcher: the same answers as picomatch's list matcher", () => {
  it("on every list br ships and lists users write, over real and awkward paths", T, () => {
    const all = paths();
    assert.ok(all.length > 1000, `${all.length} paths`);
    let matched = 0;
    for (const globs of LISTS) {
      const ours = globMatcher(globs);
      const theirs = picomatch([...globs], { dot: true });
      for (const path of all) {
        const expected = theirs(path);
        assert.equal(ours(path), expected, `${JSON.stringify(globs)} on ${JSON.stringify(path)}`);
        if (expected) matched++;
      }
    }
    assert.ok(matched > 100, `${matched} matches: the comparison covers both answers`);
  });

  it("an empty list matches nothing", () => {
    assert.equal(globMatcher([])("anything"), false);
  });
});
