/**
 * The masker (src/security/mask.ts): every secret-shaped value in a text keeps its first 4
 * characters, however many there are and whatever their case; the loose `password = …` rule masks
 * what br prints but not what a user typed (`shapesOnly`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import maskRules from "../../data/mask-rules.json" with { type: "json" };
import {
  MASKED_WARNING,
  mask,
  maskedJson,
  maskedJsonCheckedChars,
  maskedJsonParts,
  maskValue,
  randomLooking,
  secretKinds,
  withoutSecrets,
} from "../../src/security/mask.ts";

const T = { timeout: 5_000 };
const AWS_1 = "AKIAIOSFODNN7EXAMPLE";
// Built at run time so that br's own secret scan of this repository does not flag the samples.
const AWS_2 = ["AKIA", "J7Q2WXYZ3ABCDEFG"].join("");

describe("maskValue", () => {
  it("keeps the first 4 characters and stars the rest, same length", T, () => {
    assert.equal(maskValue(AWS_1), `AKIA${"*".repeat(16)}`);
    assert.equal(maskValue("abcde"), "abcd*");
  });
  it("stars a value of 4 characters or fewer entirely", T, () => {
    assert.equal(maskValue("abcd"), "****");
    assert.equal(maskValue("ab"), "**");
    assert.equal(maskValue(""), "");
  });
  it("caps the stars at 64 for a long value", T, () => {
    assert.equal(maskValue("x".repeat(200)), `xxxx${"*".repeat(64)}`);
    assert.equal(maskValue("y".repeat(68)), `yyyy${"*".repeat(64)}`);
  });
});

describe("mask", () => {
  it("masks every secret in a string, not only the first (two AWS keys)", T, () => {
    const text = `first ${AWS_1} and second ${AWS_2} end`;
    assert.equal(mask(text), `first AKIA${"*".repeat(16)} and second AKIA${"*".repeat(16)} end`);
  });
  it("masks every assignment secret in a string, not only the first", T, () => {
    const out = mask("password = hunter2secret; token: abcdefgh12345"); // br:allow (the masker's own test input)
    assert.equal(out, "password = hunt*********; token: abcd*********");
  });
  it("masks `password = …` (the loose assignment rule) in text br prints", T, () => {
    assert.equal(mask("password = hunter2secret"), "password = hunt*********");
    assert.equal(mask('db_password: "s3cretValue!"'), 'db_password: "s3cr********"'); // br:allow (the masker's own test input)
  });
  it("matches the assignment rule whatever the case of the name", T, () => {
    assert.equal(mask("PASSWORD=Hunter2Secret"), "PASSWORD=Hunt*********");
    assert.equal(mask("Api_Key = abcdefghijkl"), "Api_Key = abcd********");
  });
  it("leaves `password = …` alone with shapesOnly, but still masks shapes", T, () => {
    assert.equal(mask("password = hunter2secret", { shapesOnly: true }), "password = hunter2secret");
    assert.equal(mask(`key ${AWS_1}`, { shapesOnly: true }), `key AKIA${"*".repeat(16)}`);
    assert.equal(mask(`password = hunter2secret ${AWS_1}`, {}), `password = hunt********* AKIA${"*".repeat(16)}`);
  });
  it("does not mask environment references, short values or paths", T, () => {
    assert.equal(mask("password = process.env.DB_PASSWORD"), "password = process.env.DB_PASSWORD");
    assert.equal(mask("password = short"), "password = short");
    assert.equal(mask("token = ./config/tokens.json"), "token = ./config/tokens.json");
    assert.equal(mask("nothing secret here"), "nothing secret here");
  });
  it("masks only the captured group: url credentials keep user and host", T, () => {
    const url = ["postgres://admin", "pa55word@db.local/app"].join(":");
    assert.equal(mask(url), "postgres://admin:pa55****@db.local/app");
  });
  it("masks a whole-match rule (a private key block) from its first character", T, () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----";
    const out = mask(`x ${key} y`);
    assert.equal(out, `x ----${"*".repeat(64)} y`);
  });
  it("masks keys of several shapes in one text", T, () => {
    const github = `ghp_${"a".repeat(36)}`;
    const out = mask(`a ${github} b sk-ant-api03-${"B".repeat(24)} c`);
    assert.equal(out, `a ghp_${"*".repeat(36)} b sk-a${"*".repeat(33)} c`);
  });
});

describe("each rule's keywords", () => {
  // One sample per rule, built at run time (see AWS_2). If a rule's keywords missed what its pattern
  // matches, the prefilter would skip the sample and the rule would not be named.
  const x = (n: number, c = "a") => c.repeat(n);
  const samples = (): Record<string, string> => ({
    "private-key": ["-----BEGIN RSA PRIVATE", " KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"].join(""),
    "aws-access-key-id": AWS_2,
    "aws-secret-access-key": `AWS_Secret_Access_Key = ${["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].join("")}`,
    "github-token": `github_pat_${x(30, "B")}`,
    "anthropic-key": `sk-ant-admin01-${x(24, "C")}`,
    "openai-key": `sk-proj-${x(44, "D")}`,
    "slack-token": `xoxb-${x(12, "1")}`,
    "stripe-key": `rk_test_${x(24, "E")}`,
    "google-api-key": `AIza${x(35, "F")}`,
    jwt: `eyJ${x(10)}.eyJ${x(10)}.${x(10)}`,
    "url-credentials": ["postgres://admin", ":hunter22@db.internal/app"].join(""),
    "assignment-quoted": `Client-Secret: "${PASSWORD}"`,
    "assignment-punctuated": `API_KEY=${PASSWORD}`,
    assignment: "PWD = correcthorse99",
  });

  it("let through a sample of every rule, whatever the case of a case-blind rule's name", T, () => {
    for (const [id, sample] of Object.entries(samples())) {
      assert.ok(secretKinds(sample).includes(id), `${id}: ${sample}`);
      assert.ok(secretKinds(`x ${sample} y`).includes(id), `${id} inside a text`);
    }
  });

  it("are given for every rule, in lower case for a rule that ignores case", T, () => {
    for (const rule of maskRules.rules) {
      assert.ok(rule.keywords.length > 0, rule.id);
      if (rule.pattern.startsWith("(?i)")) for (const k of rule.keywords) assert.equal(k, k.toLowerCase(), rule.id);
    }
  });
});

// Punctuation-rich passwords, split so that scanners reading this file do not take them for real ones.
const PASSWORD = ["hK8#vQ2!", "mZ7@pL4x"].join("");
const SEMICOLON_PASSWORD = ["Zx9;(q)W", ",4r!tY7u"].join("");
const STARS_12 = "*".repeat(12);

describe("a secret assigned to a secret's name", () => {
  it("masks a quoted punctuation-rich password, even in text a user typed (shapesOnly)", T, () => {
    for (const options of [{}, { shapesOnly: true }]) {
      assert.equal(mask(`DB_PASSWORD = "${PASSWORD}"`, options), `DB_PASSWORD = "hK8#${STARS_12}"`);
      assert.equal(mask(`API_TOKEN: '${SEMICOLON_PASSWORD}'`, options), `API_TOKEN: 'Zx9;${STARS_12}'`);
    }
  });
  it("masks the whole quoted value, however much punctuation it holds (a Django key)", T, () => {
    const key = ["django-insecure-", "7x#n!k2@q9$w(z)e%r"].join("");
    assert.equal(mask(`SECRET_KEY = "${key}"`, { shapesOnly: true }), `SECRET_KEY = "djan${"*".repeat(key.length - 4)}"`); // br:allow (the masker's own test input)
  });
  it("masks a password inside a JSON string, where its quotes are escaped", T, () => {
    const line = JSON.stringify({ note: `DB_PASSWORD = "${PASSWORD}" and {"password": "${PASSWORD}"}` });
    const out = mask(line, { shapesOnly: true });
    assert.ok(!out.includes(PASSWORD), out);
    assert.deepEqual(JSON.parse(out), { note: `DB_PASSWORD = "hK8#${STARS_12}" and {"password": "hK8#${STARS_12}"}` });
  });
  it("masks an unquoted value with a letter, a digit and a symbol, and stops before trailing punctuation", T, () => {
    assert.equal(mask(`password=${PASSWORD}; next`, { shapesOnly: true }), `password=hK8#${STARS_12}; next`);
  });
  it("leaves ordinary typed text alone: references, paths, URLs, words without digits or symbols", T, () => {
    for (const text of [
      'password: "$DB_PASSWORD"',
      'apiKey: "process.env.ANTHROPIC_API_KEY"',
      'token: "./config/tokens.json"',
      'secret: "my-secret-name"',
      "token_url=https://auth.example.com/oauth2/token?grant=1",
      "password = hunter2secret",
    ]) {
      assert.equal(mask(text, { shapesOnly: true }), text);
    }
  });
  it("the loose rule takes an unquoted value with inner punctuation whole, not up to its first comma", T, () => {
    assert.equal(mask("password=ab;cdefghij"), "password=ab;c*******");
    assert.equal(mask("f(password=hunter2secret, x)"), "f(password=hunt*********, x)");
  });
});

describe("withoutSecrets and secretKinds", () => {
  it("withoutSecrets takes each secret out entirely, its first characters too", T, () => {
    assert.equal(withoutSecrets(`Rotate ${AWS_1} now`), "Rotate   now");
    assert.equal(withoutSecrets(`DB_PASSWORD = "${PASSWORD}"`), 'DB_PASSWORD = " "');
    assert.equal(withoutSecrets("password = hunter2secret"), "password =  ");
    assert.equal(withoutSecrets("nothing secret"), "nothing secret");
  });
  it("withoutSecrets also drops words no person would write in a name: a key without a known prefix, a password", T, () => {
    const KEY = ["Jx8QpL2vTz9Wm4Rk7Yb3", "Nc6Hd1Fg5Sa0Ue2Io8Pq"].join("");
    assert.equal(withoutSecrets(`Key ${KEY} rotate`), "Key   rotate");
    assert.equal(withoutSecrets(`Deploy with ${PASSWORD}`), "Deploy with  ");
  });
  it("randomLooking keeps words people write: versions, acronyms with digits, kebab names, plain long words", T, () => {
    for (const word of ["OAuth2-PKCE-flow", "v1.2.3", "e2e", "ISO-8601", "internationalization", "sha256sum", "2024-05-01T12:00:00Z", "C#"])
      assert.equal(randomLooking(word), false, word);
    for (const word of [PASSWORD, ["Jx8QpL2vTz9Wm4Rk7Yb3", "Nc6Hd1Fg5Sa0Ue2Io8Pq"].join(""), SEMICOLON_PASSWORD])
      assert.equal(randomLooking(word), true, word);
  });
  it("secretKinds names the rules a text matches, none for plain text", T, () => {
    assert.deepEqual(secretKinds(`key ${AWS_1}`), ["aws-access-key-id"]);
    assert.deepEqual(secretKinds(`DB_PASSWORD = "${PASSWORD}"`), ["assignment-quoted", "assignment"]);
    assert.deepEqual(secretKinds("DB_PASSWORD=$DB_PASSWORD node --test"), []);
  });
});

describe("maskedJson", () => {
  it("renders JSON unchanged and says nothing was masked when there is no secret", T, () => {
    const value = { name: "Checkout", tags: ["a", "b"], n: 3 };
    assert.deepEqual(maskedJson(value), { text: JSON.stringify(value, null, 2), masked: false });
  });
  it("masks each string on its own, keeps the JSON well-formed, and says so", T, () => {
    const value = { note: `keys ${AWS_1} ${AWS_2}`, n: 1, nested: { list: [`x ${AWS_2}`] } };
    const out = maskedJson(value);
    assert.equal(out.masked, true);
    assert.deepEqual(JSON.parse(out.text), {
      note: `keys AKIA${"*".repeat(16)} AKIA${"*".repeat(16)}`,
      n: 1,
      nested: { list: [`x AKIA${"*".repeat(16)}`] },
    });
    assert.match(out.text, /\n {2}"n": 1,/);
  });
  it("passes shapesOnly through: a typed `password = …` is kept in stored JSON", T, () => {
    const value = { acceptance: ["password = hunter2secret"] };
    assert.deepEqual(maskedJson(value, { shapesOnly: true }), { text: JSON.stringify(value, null, 2), masked: false });
    assert.equal(maskedJson(value).masked, true);
    assert.deepEqual(JSON.parse(maskedJson(value).text), { acceptance: ["password = hunt*********"] });
  });
});

describe("maskedJson: cost in proportion to what changed", () => {
  const plan = (n: number, extra: Record<string, string> = {}) => ({
    tasks: Array.from({ length: n }, (_, i) => ({ id: `task-${i}-${n}`, title: `Do step ${i} of the unusual plan ${n}`, ...extra })),
  });
  it("checks again only the strings that are new since the last write", T, () => {
    const first = plan(500);
    const before = maskedJsonCheckedChars();
    assert.equal(maskedJson(first, { shapesOnly: true }).masked, false);
    const firstCost = maskedJsonCheckedChars() - before;
    assert.ok(firstCost > 10_000, `${firstCost} characters checked on the first write`);
    const changed = structuredClone(first);
    (changed.tasks[7] as { title: string }).title = "a new title";
    const again = maskedJsonCheckedChars();
    assert.equal(maskedJson(changed, { shapesOnly: true }).text, JSON.stringify(changed, null, 2));
    assert.equal(maskedJsonCheckedChars() - again, "a new title".length);
  });
  it("still masks a secret added to a document it has seen clean, every time it is written", T, () => {
    const known = plan(50);
    maskedJson(known, { shapesOnly: true });
    const leaked = structuredClone(known);
    (leaked.tasks[3] as { title: string }).title = `key ${AWS_1}`;
    for (let i = 0; i < 2; i++) {
      const out = maskedJson(leaked, { shapesOnly: true });
      assert.equal(out.masked, true);
      assert.equal(JSON.parse(out.text).tasks[3].title, `key AKIA${"*".repeat(16)}`);
      assert.equal(JSON.parse(out.text).tasks[4].title, known.tasks[4]?.title);
    }
  });
  it("keeps what each option set found clean apart: clean for stored text is not clean for printed text", T, () => {
    const value = { acceptance: ["password = hunter2again"] };
    assert.equal(maskedJson(value, { shapesOnly: true }).masked, false);
    assert.equal(maskedJson(value).masked, true);
    assert.equal(maskedJson(value, { shapesOnly: true }).masked, false);
  });
});

describe("maskedJsonParts", () => {
  const plan = (n: number) => ({
    schemaVersion: 1,
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      title: i === 3 ? 'quotes " and \\u0000br-parts-5\\u0000 and "\u0000br-parts-5\u0000"' : `Step ${i}`,
      files: i % 2 ? [] : ["src/a.ts"],
      extra: i === 5 ? undefined : { nested: [i, null] },
    })),
    after: { note: "after the array" },
  });
  it("makes exactly JSON.stringify's text, in parts, for a document with a long array between other keys", T, () => {
    for (const n of [257, 1000]) {
      const value = plan(n);
      const out = maskedJsonParts(value, { shapesOnly: true });
      assert.equal(out.masked, false);
      assert.ok(out.parts.length > 3, `${out.parts.length} parts`);
      assert.equal(out.parts.join(""), JSON.stringify(value, null, 2));
      assert.equal(maskedJsonParts(value, { indent: 4 }).parts.join(""), JSON.stringify(value, null, 4));
    }
  });
  it("writes whole what slices would get wrong: an indent JSON.stringify caps, the marker as a value, items with toJSON", T, () => {
    const marked = { a: "\u0000br-parts-5\u0000", ...plan(300) };
    const formatted = { ...plan(300), tasks: plan(300).tasks.map((t) => ({ ...t, toJSON: (k: string) => `item ${k}` })) };
    for (const [value, indent] of [
      [plan(300), 12],
      [plan(300), Number.NaN],
      [marked, 2],
      [formatted, 2],
    ] as const) {
      const out = maskedJsonParts(value, { indent });
      assert.equal(out.parts.join(""), JSON.stringify(value, null, indent));
    }
  });
  it("keeps a short array, a bare array and compact JSON in one part", T, () => {
    for (const [value, indent] of [
      [plan(256), 2],
      [plan(600).tasks, 2],
      [plan(600), 0],
    ] as const) {
      const out = maskedJsonParts(value, { indent });
      assert.deepEqual(out.parts, [JSON.stringify(value, null, indent)]);
    }
  });
  it("masks a secret in any slice of the array and around it, and says so", T, () => {
    const value = plan(1000);
    (value.tasks[700] as { title: string }).title = `key ${AWS_1}`;
    value.after.note = `and ${AWS_2}`;
    const out = maskedJsonParts(value, { shapesOnly: true });
    assert.equal(out.masked, true);
    const parsed = JSON.parse(out.parts.join(""));
    assert.equal(parsed.tasks[700].title, `key AKIA${"*".repeat(16)}`);
    assert.equal(parsed.after.note, `and AKIA${"*".repeat(16)}`);
    assert.equal(parsed.tasks[699].title, "Step 699");
  });
});

describe("MASKED_WARNING", () => {
  it("names the file", T, () => {
    assert.match(MASKED_WARNING("features.json"), /^a secret-shaped value was masked before saving features\.json \(first 4/);
  });
});
