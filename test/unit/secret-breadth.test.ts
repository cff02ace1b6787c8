/**
 * The secret engine's breadth and its one-finding-per-secret rule (src/security/secrets/engine.ts
 * with data/secret-rules.toml): every record of br's breadth corpus is found or left alone as
 * labelled, overlapping findings collapse to one with the specific rule winning, and the keyword
 * rule's judgement of values (placeholders, references, code, prose) holds case by case.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { breadthCorpus } from "./secret-corpus.ts";

await import("./text-loader.ts");
const { onePerSpan, scanText } = await import("../../src/security/secrets/engine.ts");
const { defaultRules } = await import("../../src/security/secrets/rules.ts");

const T = { timeout: 20_000 };
const rules = defaultRules();
const scan = (text: string, file = "sample.txt") => scanText(text, file, rules);
// Built at run time so that br's own secret scan of this repository does not flag them.
const GITHUB_TOKEN = ["ghp", "_", "Zq8vK2mX9pL4wN7rT1yB6cF3hJ5dS0gA2eU8"].join("");
const PASSWORD = ["hK8#", "vQ2!", "mZ7@", "pL4x"].join("");

describe("secret breadth", () => {
  it("finds every secret of the breadth corpus and nothing in its clean records", T, () => {
    const wrong = breadthCorpus()
      .map((record) => ({ record, findings: scan(record.text, record.path ?? "sample.txt") }))
      .filter(({ record, findings }) => (record.expect === "secret") !== findings.length > 0)
      .map(
        ({ record, findings }) =>
          `${record.expect} ${record.rule} ${record.path ?? ""}: ${JSON.stringify(record.text)} → ${findings.map((f) => f.rule)}`,
      );
    assert.deepEqual(wrong, []);
  });

  it("reports one finding per secret, the specific rule winning over the generic ones", T, () => {
    for (const [file, text] of [
      [".env", `GITHUB_TOKEN=${GITHUB_TOKEN}\n`],
      ["settings.py", `GITHUB_TOKEN = "${GITHUB_TOKEN}"\n`],
      ["config.yml", `github:\n  api_key: ${GITHUB_TOKEN}\n`],
    ] as const) {
      const findings = scan(text, file);
      assert.deepEqual(
        findings.map((f) => f.rule),
        ["github-pat"],
        `${file}: ${findings.map((f) => f.rule)}`,
      );
    }
  });

  it("keeps findings of different secrets on one line, each once", T, () => {
    const text = `DB_PASSWORD="${PASSWORD}" GITHUB_TOKEN=${GITHUB_TOKEN}\n`;
    const rulesFound = scan(text, ".env").map((f) => f.rule);
    assert.deepEqual(rulesFound.sort(), ["generic-password", "github-pat"]);
  });

  it("finds punctuation-rich passwords in code, config, .env, YAML, JSON, properties and connection strings", T, () => {
    const cases: [string, string][] = [
      ["settings.py", `DB_PASSWORD = "${PASSWORD}"\n`],
      ["app.js", `const password = '${PASSWORD}';\n`],
      [".env", `DB_PASSWORD=${PASSWORD}\n`],
      ["config.yml", `db:\n  password: ${PASSWORD}\n`],
      ["config.json", `{"password": "${PASSWORD}"}\n`],
      ["app.properties", `db.password=${PASSWORD}\n`],
      ["Db.cs", `var cs = "Server=db;User Id=app;Password=${PASSWORD};";\n`],
    ];
    for (const [file, text] of cases) {
      const findings = scan(text, file);
      assert.equal(findings.length, 1, `${file}: ${findings.map((f) => f.rule)}`);
      assert.ok(!JSON.stringify(findings).includes(PASSWORD), "the finding carries the secret masked");
    }
  });

  it("leaves references, placeholders, code and prose alone", T, () => {
    const cases: [string, string][] = [
      ["settings.py", 'password = os.environ["DB_PASSWORD"]\n'],
      ["app.js", "const password = process.env.DB_PASSWORD;\n"],
      ["settings.py", "password = get_password()\n"],
      ["config.yml", "password: ${DB_PASSWORD}\n"],
      ["config.yml", "password: *db_password\n"],
      ["vars.yml", 'password: "{{ vault_password }}"\n'],
      ["form.js", 'errors.password = "Password is required";\n'],
      ["deploy.yaml", "secretName: db-credentials\n"],
      ["settings.py", 'password = "fake-password-1!"\n'],
      ["login.py", "login(username=username, password=password)\n"],
    ];
    for (const [file, text] of cases) assert.deepEqual(scan(text, file), [], `${file}: ${text}`);
  });

  it("scans adversarial lines in linear time (no catastrophic backtracking in the keyword rules)", T, () => {
    // Each of these took seconds to minutes with nested whitespace quantifiers; now milliseconds.
    const lines = [
      `password${" ".repeat(20_000)}x`,
      `password${" \t".repeat(10_000)}`,
      "password=".repeat(10_000),
      `secret: ${" ".repeat(20_000)}int =`,
      `${"user=a ".repeat(5_000)}pwd=x`,
      "passphrase1".repeat(3_000),
    ];
    for (const line of lines)
      for (const file of ["settings.py", ".env"]) {
        const started = performance.now();
        scan(line, file);
        assert.ok(
          performance.now() - started < 2_000,
          `${file}: ${JSON.stringify(line.slice(0, 20))}… took ${performance.now() - started} ms`,
        );
      }
  });

  it("every default rule scans a keyword followed by long runs of any character class in linear time", T, () => {
    // A keyword then thousands of one filler, and keyword+filler repeated: the shapes that made
    // nested or unbounded quantifiers go quadratic or worse. Each took milliseconds when measured.
    const fillers = [" ", "\t", "a", "a.", "a=", "=", ":", "'", '"', "a ", "/", "-", "_", "1", "a:", "A", "+", "\n", "x=y ", "@"];
    const slow: string[] = [];
    for (const rule of rules.rules) {
      if (!rule.regex) continue;
      const only = { rules: [rule], allowlists: [] };
      for (const keyword of rule.keywords.length ? rule.keywords.slice(0, 3) : [""])
        for (const filler of fillers)
          for (const text of [`${keyword}${filler.repeat(Math.floor(6000 / filler.length))}`, `${keyword}${filler}`.repeat(3000)]) {
            const started = performance.now();
            scanText(text, "x.env", only);
            const ms = performance.now() - started;
            if (ms > 500) slow.push(`${rule.id} on ${JSON.stringify(text.slice(0, 24))}…: ${ms.toFixed(0)} ms`);
          }
    }
    assert.deepEqual(slow, []);
  });

  it("reads an unquoted value as code in a source file and as a secret in a config file", T, () => {
    assert.equal(scan(`password = ${PASSWORD}\n`, "settings.py").length, 0);
    assert.equal(scan(`password = ${PASSWORD}\n`, "settings.ini").length, 1);
  });
});

describe("onePerSpan", () => {
  const finding = (rule: string) => ({ rule }) as Parameters<typeof onePerSpan>[0][number];
  const spansOf = (entries: [ReturnType<typeof finding>, number, number, boolean][]) => {
    const spans = new WeakMap();
    for (const [f, start, end, generic] of entries) spans.set(f, { start, end, generic });
    return spans;
  };

  it("keeps the specific finding over a generic one that overlaps it, whatever their order", T, () => {
    const generic = finding("generic-api-key");
    const specific = finding("github-pat");
    const spans = spansOf([
      [generic, 10, 50, true],
      [specific, 12, 52, false],
    ]);
    assert.deepEqual(onePerSpan([generic, specific], spans), [specific]);
    assert.deepEqual(onePerSpan([specific, generic], spans), [specific]);
  });

  it("between two generic findings keeps the longer secret, then the first listed", T, () => {
    const short = finding("generic-password");
    const long = finding("generic-api-key");
    assert.deepEqual(
      onePerSpan(
        [short, long],
        spansOf([
          [short, 5, 20, true],
          [long, 5, 30, true],
        ]),
      ),
      [long],
    );
    const first = finding("a");
    const second = finding("b");
    assert.deepEqual(
      onePerSpan(
        [first, second],
        spansOf([
          [first, 0, 10, true],
          [second, 0, 10, true],
        ]),
      ),
      [first],
    );
  });

  it("keeps findings that only touch or do not overlap, in their original order", T, () => {
    const a = finding("a");
    const b = finding("b");
    const c = finding("c");
    const spans = spansOf([
      [a, 0, 10, true],
      [b, 10, 20, false],
      [c, 30, 40, true],
    ]);
    assert.deepEqual(onePerSpan([a, b, c], spans), [a, b, c]);
  });

  it("the kept finding takes the gravest severity of those it replaced", T, () => {
    const specific = { rule: "jwt", severity: "medium" } as Parameters<typeof onePerSpan>[0][number];
    const generic = { rule: "generic-password", severity: "high" } as Parameters<typeof onePerSpan>[0][number];
    const kept = onePerSpan(
      [specific, generic],
      spansOf([
        [specific, 0, 50, false],
        [generic, 0, 50, true],
      ]),
    );
    assert.deepEqual(
      kept.map((f) => [f.rule, f.severity]),
      [["jwt", "high"]],
    );
    const low = { rule: "generic-password", severity: "low" } as Parameters<typeof onePerSpan>[0][number];
    const critical = { rule: "aws", severity: "critical" } as Parameters<typeof onePerSpan>[0][number];
    const kept2 = onePerSpan(
      [critical, low],
      spansOf([
        [critical, 0, 50, false],
        [low, 0, 50, true],
      ]),
    );
    assert.deepEqual(
      kept2.map((f) => [f.rule, f.severity]),
      [["aws", "critical"]],
    );
  });

  it("keeps a path-only finding, which has no span", T, () => {
    const path = finding("pkcs12-file");
    const other = finding("generic-api-key");
    assert.deepEqual(onePerSpan([path, other], spansOf([[other, 0, 10, true]])), [path, other]);
  });
});
