import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brOk, git, snapshot, tempRepo } from "./helpers.ts";

// Secret-shaped test values, assembled at run time so this file itself holds none.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
const OTHER_KEY = ["AKIA", "Q7QWERTY4ASDFGH3"].join("");
const MASKED = `AKIA${"*".repeat(16)}`;

interface Finding {
  kind: string;
  rule: string;
  file: string;
  line: number;
  endLine: number;
  column: number;
  match: string;
  fingerprint: string;
  commit?: string;
}

interface Report {
  findings: Finding[];
  summary: { files: number; commits?: number; baselined: number; bySeverity: Record<string, number> };
}

function check(cwd: string, ...args: string[]): { code: number | null; report: Report; stdout: string; stderr: string } {
  const result = br(["security", "check", ...args, "--json"], { cwd });
  assert.ok(result.code === 0 || result.code === 1, `br security check ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stdout: result.stdout, stderr: result.stderr };
}

function commitAll(cwd: string, message: string): string {
  git(cwd, "add", "-A");
  git(cwd, "commit", "-q", "-m", message);
  return git(cwd, "rev-parse", "HEAD").trim();
}

/** first: app.js without a secret; leak: a changed line 2 and the key on line 5; fix: the key removed. */
function leakedAndRemoved() {
  const cwd = tempRepo();
  writeFileSync(join(cwd, "app.js"), "const a = 1;\nconst b = 2;\nconst c = 3;\nconst d = 4;\nexport {};\n");
  const first = commitAll(cwd, "first");
  writeFileSync(join(cwd, "app.js"), `const a = 1;\nconst b = 22;\nconst c = 3;\nconst d = 4;\nconst key = "${AWS_KEY}";\nexport {};\n`);
  const leak = commitAll(cwd, "add the key");
  writeFileSync(join(cwd, "app.js"), "const a = 1;\nconst b = 22;\nconst c = 3;\nconst d = 4;\nexport {};\n");
  const fix = commitAll(cwd, "remove the key");
  return { cwd, first, leak, fix };
}

describe("br security check --since / --history", () => {
  it("finds a secret that was committed and later removed, with its commit, file and line in that commit", () => {
    const { cwd, first, leak } = leakedAndRemoved();
    assert.equal(check(cwd).code, 0, "the working tree no longer holds it");
    assert.deepEqual(check(cwd).report.findings, []);

    for (const args of [["--history"], ["--since", first]]) {
      const { code, report, stdout, stderr } = check(cwd, ...args);
      assert.equal(code, 1, args.join(" "));
      assert.deepEqual(
        report.findings.map((f) => [f.kind, f.rule, f.file, f.line, f.endLine, f.column, f.match, f.commit]),
        [["secret", "aws-access-token", "app.js", 5, 5, 14, MASKED, leak]],
        args.join(" "),
      );
      assert.equal(report.summary.commits, args[0] === "--history" ? 3 : 2);
      assert.ok(!stdout.includes(AWS_KEY) && !stderr.includes(AWS_KEY), "never printed in clear");
    }

    const text = br(["security", "check", "--history"], { cwd });
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`critical\\s+app\\.js:5:14\\s+AWS access key id.*commit ${leak.slice(0, 12)}`));
    assert.ok(!text.stdout.includes(AWS_KEY));
  });

  it("reports the commit in SARIF", () => {
    const { cwd, leak } = leakedAndRemoved();
    const result = br(["security", "check", "--history", "--format", "sarif"], { cwd });
    assert.equal(result.code, 1);
    const sarif = JSON.parse(result.stdout) as {
      runs: {
        results: {
          partialFingerprints: Record<string, string>;
          properties?: { commit?: string };
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
        }[];
      }[];
    };
    const only = sarif.runs[0]?.results[0];
    assert.equal(only?.partialFingerprints.commitSha, leak);
    assert.equal(only?.properties?.commit, leak);
    assert.equal(only?.locations[0]?.physicalLocation.region.startLine, 5);
    assert.ok(!result.stdout.includes(AWS_KEY));
  });

  it("--since HEAD scans nothing; an unknown ref is exit 2 naming the ref, and nothing is written", () => {
    const { cwd } = leakedAndRemoved();
    const none = check(cwd, "--since", "HEAD");
    assert.equal(none.code, 0);
    assert.deepEqual(none.report.findings, []);
    assert.equal(none.report.summary.commits, 0);

    const before = snapshot(cwd);
    for (const args of [
      ["security", "check", "--since", "no-such-branch"],
      ["security", "baseline", "--since", "no-such-branch"],
    ]) {
      const bad = br(args, { cwd });
      assert.equal(bad.code, 2, args.join(" "));
      assert.match(bad.stderr, /no-such-branch/);
      assert.match(bad.stderr, /fix:/);
      assert.doesNotMatch(bad.stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
    }
    const json = br(["security", "check", "--since", "no-such-branch", "--json"], { cwd });
    assert.equal(json.code, 2);
    assert.match((JSON.parse(json.stdout) as { error: { message: string } }).error.message, /no-such-branch/);
    assert.deepEqual(snapshot(cwd), before, "nothing written");
    assert.ok(!existsSync(join(cwd, ".buildrunner")));
  });

  it("--since, --history, --staged and paths are mutually exclusive (exit 2)", () => {
    const { cwd, first } = leakedAndRemoved();
    for (const args of [
      ["--since", first, "--history"],
      ["--history", "--staged"],
      ["--since", first, "app.js"],
      ["--history", "-"],
    ]) {
      const result = br(["security", "check", ...args], { cwd });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, /cannot be combined/);
    }
  });

  it("reads merges (only lines new to every parent), renames, binary files and unusual paths", () => {
    const cwd = tempRepo();
    git(cwd, "checkout", "-q", "-b", "main");
    writeFileSync(join(cwd, "notes.txt"), "base\n");
    commitAll(cwd, "base");
    git(cwd, "checkout", "-q", "-b", "feature");
    const odd = "dir with space/tab\té.txt";
    mkdirSync(join(cwd, "dir with space"));
    writeFileSync(join(cwd, odd), `one\ntwo\nkey ${AWS_KEY}\n`);
    writeFileSync(join(cwd, "blob.bin"), Buffer.from([0, 1, 2, 3, 0, 255, 0]));
    writeFileSync(join(cwd, "crlf.ini"), `[aws]\r\nid = ${AWS_KEY}\r\n`);
    const feature = commitAll(cwd, "feature");
    git(cwd, "checkout", "-q", "main");
    writeFileSync(join(cwd, "notes.txt"), "base\nmain\n");
    commitAll(cwd, "main");
    git(cwd, "merge", "-q", "--no-commit", "feature");
    // An "evil merge": the merge commit itself brings in a key neither parent has.
    writeFileSync(join(cwd, "notes.txt"), `base\nmain\nleaked ${OTHER_KEY}\n`);
    const merge = commitAll(cwd, "merge");
    git(cwd, "mv", "crlf.ini", "moved.ini");
    writeFileSync(join(cwd, "moved.ini"), `[aws]\r\nid = ${AWS_KEY}\r\nregion = eu\r\n`);
    commitAll(cwd, "rename");

    const { report } = check(cwd, "--history");
    assert.deepEqual(
      report.findings.map((f) => [f.file, f.line, f.commit]),
      [
        ["crlf.ini", 2, feature],
        [odd, 3, feature],
        ["notes.txt", 3, merge],
      ],
      "each secret once, in the commit that added it; the rename only adds `region`",
    );
    assert.equal(report.summary.commits, 5);
  });
});

describe("br security baseline", () => {
  it("accepts existing findings: check passes and counts them, a new secret still fails, moved lines stay accepted", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "config.js"), `export const aws = "${AWS_KEY}";\n`);
    assert.equal(check(cwd).code, 1);

    const written = JSON.parse(brOk(["security", "baseline", "--json"], { cwd }).stdout) as { file: string; accepted: number };
    assert.equal(written.file, ".buildrunner/security-baseline.json");
    assert.equal(written.accepted, 1);
    const path = join(cwd, ".buildrunner", "security-baseline.json");
    const content = readFileSync(path, "utf8");
    assert.ok(!content.includes(AWS_KEY), "the baseline holds no secret in clear");
    const baseline = JSON.parse(content) as { findings: Record<string, string>[] };
    assert.deepEqual(Object.keys(baseline.findings[0] ?? {}).sort(), ["file", "fingerprint", "match", "rule"]);
    assert.equal(baseline.findings[0]?.match, MASKED);

    const accepted = check(cwd);
    assert.equal(accepted.code, 0);
    assert.deepEqual(accepted.report.findings, []);
    assert.equal(accepted.report.summary.baselined, 1);
    assert.equal(accepted.report.summary.bySeverity.critical, 0);
    assert.match(br(["security", "check"], { cwd }).stdout, /1 accepted by the baseline/);

    // Lines inserted above the secret: the fingerprint does not depend on the line.
    writeFileSync(join(cwd, "config.js"), `// header\n// more\n\nexport const aws = "${AWS_KEY}";\n`);
    assert.equal(check(cwd).code, 0);
    assert.equal(check(cwd).report.summary.baselined, 1);

    // A new secret is reported, the accepted one still left out.
    writeFileSync(join(cwd, "more.js"), `export const other = "${OTHER_KEY}";\n`);
    const fresh = check(cwd);
    assert.equal(fresh.code, 1);
    assert.deepEqual(
      fresh.report.findings.map((f) => [f.file, f.line]),
      [["more.js", 1]],
    );
    assert.equal(fresh.report.summary.baselined, 1);

    // The same secret in the same file, found in history, matches the baseline entry.
    git(cwd, "add", "config.js");
    git(cwd, "commit", "-q", "-m", "config");
    const history = check(cwd, "--history");
    assert.equal(history.code, 0);
    assert.equal(history.report.summary.baselined, 1);
    // The pre-commit path (--staged) applies the baseline too.
    git(cwd, "add", "more.js");
    assert.deepEqual(
      check(cwd, "--staged").report.findings.map((f) => f.file),
      ["more.js"],
    );
  });

  it("--output and --baseline name another file; --history accepts secrets that are gone from the tree", () => {
    const { cwd } = leakedAndRemoved();
    assert.equal(check(cwd, "--history").code, 1);
    brOk(["security", "baseline", "--history", "--output", "accepted.json"], { cwd });
    assert.ok(!readFileSync(join(cwd, "accepted.json"), "utf8").includes(AWS_KEY));
    assert.ok(!existsSync(join(cwd, ".buildrunner", "security-baseline.json")));
    assert.equal(check(cwd, "--history").code, 1, "the default baseline does not exist, so nothing is left out");
    const result = check(cwd, "--history", "--baseline", "accepted.json");
    assert.equal(result.code, 0);
    assert.equal(result.report.summary.baselined, 1);
  });

  it("a missing or malformed --baseline file is exit 2 naming the file and the fix", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "config.js"), `export const aws = "${AWS_KEY}";\n`);
    const missing = br(["security", "check", "--baseline", "nope.json"], { cwd });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json/);
    assert.match(missing.stderr, /br security baseline --output nope\.json/);

    for (const bad of ['{"findings": [', '{"findings": [{"fingerprint": 3}]}', "[]"]) {
      writeFileSync(join(cwd, "bad.json"), bad);
      const result = br(["security", "check", "--baseline", "bad.json"], { cwd });
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /bad\.json/);
      assert.match(result.stderr, /fix:/);
    }
    // The default baseline, when present, must be valid too.
    mkdirSync(join(cwd, ".buildrunner"));
    writeFileSync(join(cwd, ".buildrunner", "security-baseline.json"), "{");
    const broken = br(["security", "check"], { cwd });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /security-baseline\.json/);
  });

  it("has --help", () => {
    const cwd = tempRepo();
    for (const command of [["security"], ["security", "check"], ["security", "baseline"]]) {
      const result = br([...command, "--help"], { cwd });
      assert.equal(result.code, 0, command.join(" "));
      assert.match(result.stdout, /Usage: br/);
    }
    assert.match(br(["security", "check", "--help"], { cwd }).stdout, /--since <ref>[\s\S]*--history[\s\S]*--baseline <file>/);
  });
});
