import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brOk, git, initializedRepo, tempDir, tempRepo } from "./helpers.ts";

// Secret-shaped test values, assembled at run time so this file itself holds none.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
const GITHUB_TOKEN = ["ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5"].join("");

interface Report {
  findings: {
    kind: string;
    rule: string;
    severity: string;
    file: string;
    line: number;
    column: number;
    match: string;
    fingerprint: string;
  }[];
  summary: { files: number; bytes: number; bySeverity: Record<string, number> };
}

describe("br security check (secrets)", () => {
  it("finds secrets in the working tree, masked, exits 1, and respects .gitignore and inline allow comments", () => {
    const cwd = initializedRepo();
    writeFileSync(
      join(cwd, "config.js"),
      `export const aws = "${AWS_KEY}";\nexport const gh = "${GITHUB_TOKEN}"; // br:allow (a test fixture)\n`,
    );
    writeFileSync(join(cwd, ".env"), `AWS_KEY=${AWS_KEY}\n`);
    writeFileSync(join(cwd, ".gitignore"), ".env\n.buildrunner/state/\n");
    const result = br(["security", "check", "--json"], { cwd });
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.deepEqual(
      report.findings.map((f) => [f.kind, f.rule, f.file, f.line, f.column, f.severity]),
      [["secret", "aws-access-token", "config.js", 1, 21, "critical"]],
    );
    assert.equal(report.findings[0]?.match, `AKIA${"*".repeat(16)}`);
    assert.match(report.findings[0]?.fingerprint ?? "", /^[0-9a-f]{32}$/);
    assert.equal(report.summary.bySeverity.critical, 1);
    assert.ok(!result.stdout.includes(AWS_KEY) && !result.stderr.includes(AWS_KEY), "never printed in clear");
    const text = br(["security", "check"], { cwd });
    assert.match(text.stdout, /critical\s+config\.js:1:21\s+AWS access key id/);
    assert.match(text.stdout, /br:allow/);
  });

  it("scans exactly what is staged, explicit paths, and stdin", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "a.txt"), `key ${AWS_KEY}\n`);
    writeFileSync(join(cwd, "b.txt"), "nothing here\n");
    git(cwd, "add", "b.txt");
    assert.equal(br(["security", "check", "--staged"], { cwd }).code, 0, "a.txt is not staged");
    git(cwd, "add", "a.txt");
    assert.equal(br(["security", "check", "--staged"], { cwd }).code, 1);
    // The staged version counts, not the working file.
    writeFileSync(join(cwd, "a.txt"), "fixed\n");
    assert.equal(br(["security", "check", "--staged"], { cwd }).code, 1);
    assert.equal(br(["security", "check", "b.txt"], { cwd }).code, 0);
    const stdin = br(["security", "check", "-", "--json"], { cwd, input: `token: ${GITHUB_TOKEN}\n` });
    assert.equal(stdin.code, 1);
    assert.equal((JSON.parse(stdin.stdout) as Report).findings[0]?.file, "(stdin)");
  });

  it("writes SARIF 2.1.0 that code-scanning tools accept", () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "deploy.sh"), `export AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    const result = br(["security", "check", "--format", "sarif"], { cwd });
    assert.equal(result.code, 1);
    const sarif = JSON.parse(result.stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string }[] } };
        results: {
          ruleId: string;
          level: string;
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
        }[];
      }[];
    };
    assert.equal(sarif.version, "2.1.0");
    const run = sarif.runs[0];
    assert.equal(run?.tool.driver.name, "BuildRunner");
    assert.deepEqual(
      run?.tool.driver.rules.map((r) => r.id),
      ["aws-access-token"],
    );
    assert.equal(run?.results[0]?.level, "error");
    assert.equal(run?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri, "deploy.sh");
    assert.equal(run?.results[0]?.locations[0]?.physicalLocation.region.startLine, 1);
    assert.ok(!result.stdout.includes(AWS_KEY));
  });

  it("reads a gitleaks config: its own rules, extending the defaults or replacing them, and allowlists", () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "app.txt"), `internal: ACME-1234567890abcdef\naws: ${AWS_KEY}\n`);
    const rule = `[[rules]]\nid = "acme-token"\ndescription = "ACME internal token"\nregex = '''ACME-[0-9a-f]{16}'''\nkeywords = ["acme-"]\n`;
    const rulesOf = (args: string[]) => {
      const result = br(["security", "check", ...args, "--json"], { cwd });
      return (JSON.parse(result.stdout) as Report).findings.map((f) => f.rule);
    };
    writeFileSync(join(cwd, ".gitleaks.toml"), `[extend]\nuseDefault = true\n\n${rule}`);
    assert.deepEqual(rulesOf(["app.txt"]), ["acme-token", "aws-access-token"]);
    writeFileSync(join(cwd, "own.toml"), rule);
    assert.deepEqual(rulesOf(["app.txt", "--config", "own.toml"]), ["acme-token"], "without useDefault the config replaces the defaults");
    writeFileSync(join(cwd, ".gitleaks.toml"), `[extend]\nuseDefault = true\n\n[allowlist]\npaths = ['''app\\.txt$''']\n`);
    assert.deepEqual(rulesOf(["app.txt"]), []);
    writeFileSync(join(cwd, "bad.toml"), "[[rules]]\nid = 3\n");
    const bad = br(["security", "check", "--config", "bad.toml"], { cwd });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.toml/);
  });
});

describe("br hooks", () => {
  function commit(cwd: string, message: string) {
    return spawnSync("git", ["commit", "-m", message], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", NODE_TEST_CONTEXT: "" },
    });
  }

  it("a commit staging an AWS key is blocked by the installed hook (exit 1, key masked); with br:allow it passes", () => {
    const cwd = initializedRepo();
    brOk(["hooks", "install"], { cwd });
    const status = JSON.parse(brOk(["hooks", "status", "--json"], { cwd }).stdout) as { hooks: { hook: string; installed: boolean }[] };
    assert.deepEqual(
      status.hooks.map((h) => [h.hook, h.installed]),
      [
        ["pre-commit", true],
        ["pre-push", false],
      ],
    );
    writeFileSync(join(cwd, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"\n`);
    git(cwd, "add", "settings.py");
    const blocked = commit(cwd, "add settings");
    assert.equal(blocked.status, 1);
    const output = blocked.stdout + blocked.stderr;
    assert.match(output, /critical\s+settings\.py:1:\d+\s+AWS access key id/);
    assert.match(output, /AKIA\*{16}/);
    assert.ok(!output.includes(AWS_KEY), "the key is masked in the hook's output");
    assert.match(output, /br:allow/, "it says how to allow a false positive");
    writeFileSync(join(cwd, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"  # br:allow (documented test key)\n`);
    git(cwd, "add", "settings.py");
    assert.equal(commit(cwd, "add settings").status, 0);
  });

  it("cooperates with husky, keeping the hook's own commands, and uninstalls cleanly", () => {
    const cwd = tempRepo();
    mkdirSync(join(cwd, ".husky"));
    writeFileSync(join(cwd, ".husky", "pre-commit"), "npx lint-staged\n");
    brOk(["hooks", "install"], { cwd });
    const installed = readFileSync(join(cwd, ".husky", "pre-commit"), "utf8");
    assert.ok(installed.startsWith("npx lint-staged\n"));
    assert.match(installed, /buildrunner_br hooks run pre-commit/);
    brOk(["hooks", "uninstall"], { cwd });
    assert.equal(readFileSync(join(cwd, ".husky", "pre-commit"), "utf8"), "npx lint-staged\n");
  });
});

describe("masking what users type", () => {
  it("a secret in a feature, the spec or an acceptance criterion is masked in every file and output br writes", () => {
    const cwd = initializedRepo();
    const spec = [
      "# Shop",
      "",
      "## Notes",
      "",
      `The staging key is ${GITHUB_TOKEN}.`,
      "",
      "## Features",
      "",
      "### Payments",
      "Priority: high",
      "",
      `Charge cards with the AWS key ${AWS_KEY}.`,
      "",
      "Acceptance criteria:",
      `- a charge with token ${GITHUB_TOKEN} succeeds`,
      "",
    ].join("\n");
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec);
    const outputs = [
      br(["features", "add", "Search", "--description", `index with ${AWS_KEY}`, "--acceptance", `uses ${GITHUB_TOKEN}`, "--json"], {
        cwd,
      }),
      br(["spec", "sync", "--json"], { cwd }),
      br(["spec", "sync"], { cwd }),
      br(["tasks", "generate"], { cwd }),
      br(["features", "list", "--json"], { cwd }),
      br(["features", "show", "search"], { cwd }),
      br(["tasks", "list", "--json"], { cwd }),
      br(["status"], { cwd }),
      br(["features", "add", "Search", "--description", AWS_KEY], { cwd }),
    ];
    assert.match(outputs[0]?.stderr ?? "", /a secret-shaped value was masked before saving features\.json/);
    assert.equal(outputs[8]?.code, 2, "a duplicate name is still refused");
    for (const out of outputs) {
      const all = `${out.stdout}${out.stderr}`;
      assert.ok(!all.includes(AWS_KEY) && !all.includes(GITHUB_TOKEN), `nothing printed in clear: ${all.slice(0, 400)}`);
    }
    assert.match(outputs[4]?.stdout ?? "", /AKIA\*{16}/, "shown masked");
    const written: string[] = ["STATUS.md", "AGENTS.md", "CLAUDE.md"].map((f) => join(cwd, f));
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else written.push(full);
      }
    };
    walk(join(cwd, ".buildrunner"));
    assert.ok(written.some((f) => f.endsWith("tasks.json")) && written.some((f) => f.endsWith("spec.md")));
    for (const file of written) {
      if (!existsSync(file)) continue;
      const content = readFileSync(file, "utf8");
      assert.ok(!content.includes(AWS_KEY) && !content.includes(GITHUB_TOKEN), `${file} holds no unmasked secret`);
    }
    JSON.parse(readFileSync(join(cwd, ".buildrunner", "features.json"), "utf8"));

    // What only looks like an assignment of a secret (an environment reference, a path) is kept as typed.
    const plain = ["apiKey: process.env.ANTHROPIC_API_KEY", "$ node scripts/check-auth.js --token-file=test/fixtures/token.txt"];
    brOk(["features", "add", "Auth check", "--description", plain[0] as string, "--acceptance", plain[1] as string], { cwd });
    const stored = readFileSync(join(cwd, ".buildrunner", "features.json"), "utf8");
    for (const text of plain) assert.ok(stored.includes(JSON.stringify(text).slice(1, -1)), `${text} stored as typed`);
    assert.ok(brOk(["features", "show", "auth-check"], { cwd }).stdout.includes(plain[1] as string));
  });
});
