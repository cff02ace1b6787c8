/**
 * The secret scan's breadth, end to end (issue 18): punctuation-rich passwords assigned to
 * secret-named keys in code, config, .env, YAML, JSON and connection strings, basic-auth URLs of
 * several schemes and provider tokens outside gitleaks' set are found by the built br in a real git
 * repository, once each, with the specific rule winning over the generic ones, masked everywhere
 * it reports them; references and placeholders are not findings.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, git, tempRepo } from "./helpers.ts";

// Secret-shaped values, assembled at run time so this file itself holds none.
const PASSWORD = ["hK8#", "vQ2!", "mZ7@", "pL4x"].join("");
const DJANGO = ["django-insecure-", "k3^x9!v@2m#q8z$w", "7t&1r*p(5n)b_0y=+c4"].join("");
const GITHUB_TOKEN = ["ghp", "_", "Zq8vK2mX9pL4wN7rT1yB6cF3hJ5dS0gA2eU8"].join("");
const TAILSCALE = ["tskey", "auth", "kQ7vX2mP9CNTRL", "Zq8vK2mX9pL4wN7rT1yB6cF3hJ5dS0gA"].join("-");
const DISCORD = ["MTk4NjIyNDgzNDcxOTI1MjQ4", "Cl2FMQ", "ZnCjm1XVW7vRze4b7Cq4se7kKWs"].join(".");
const SHOPIFY = ["shpat", "_", "4f1c9a7e2b8d3f6a0c5e9b1d7a3f8c2e"].join("");
const URL_PASSWORD = ["Xk9q", "2Lm!", "Zp8s"].join("");

const DEADLINE = { timeout: 120_000 };

interface Report {
  findings: { rule: string; file: string; line: number; match: string }[];
}

const FILES: Record<string, string> = {
  "settings.py": `DEBUG = False\nSECRET_KEY = "${DJANGO}"\nDB_PASSWORD = os.environ["DB_PASSWORD"]\n`,
  ".env": `DB_PASSWORD=${PASSWORD}\nGITHUB_TOKEN=${GITHUB_TOKEN}\nAPI_URL=https://api.example.org\n`,
  "config.yml": `db:\n  user: app\n  password: "${PASSWORD}"\n  replica_password: \${REPLICA_PASSWORD}\n`,
  "appsettings.json": `{"ConnectionStrings": {"Main": "Server=db;Database=app;User Id=svc;Password=${PASSWORD};"}}\n`,
  "deploy.sh": `curl -fsS ftp://deploy:${URL_PASSWORD}@files.corp.net/upload\nexport TS_AUTHKEY=${TAILSCALE}\n`,
  "bot.js": `client.login("${DISCORD}");\nconst shop = "${SHOPIFY}";\nconst pass = process.env.BOT_PASSWORD;\n`,
};

const EXPECTED = [
  [".env", 1, "generic-password-unquoted"],
  [".env", 2, "github-pat"],
  ["appsettings.json", 1, "connection-string-password"],
  ["bot.js", 1, "discord-bot-token"],
  ["bot.js", 2, "shopify-token"],
  ["config.yml", 3, "generic-password"],
  ["deploy.sh", 1, "basic-auth-url"],
  ["deploy.sh", 2, "tailscale-key"],
  ["settings.py", 2, "generic-password"],
];

describe("secret breadth", () => {
  it("finds each planted secret once, by its most specific rule, and never prints it", DEADLINE, () => {
    const repo = tempRepo();
    for (const [file, text] of Object.entries(FILES)) writeFileSync(join(repo, file), text);
    git(repo, "add", "-A");
    const result = br(["security", "check", "--json"], { cwd: repo });
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    const found = report.findings.map((f) => [f.file, f.line, f.rule]).sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
    assert.deepEqual(found, EXPECTED);
    const text = br(["security", "check"], { cwd: repo });
    const stagedText = br(["security", "check", "--staged"], { cwd: repo });
    assert.match(stagedText.stdout, /take the secret out of the staged files/, "a staged leak is not offered the baseline");
    assert.doesNotMatch(stagedText.stdout, /security baseline/);
    const staged = br(["security", "check", "--staged", "--format", "sarif"], { cwd: repo });
    for (const output of [result.stdout, text.stdout, text.stderr, staged.stdout])
      for (const secret of [PASSWORD, DJANGO, GITHUB_TOKEN, TAILSCALE, DISCORD, SHOPIFY, URL_PASSWORD])
        assert.ok(!output.includes(secret.slice(4)), `the scan's output holds ${secret.slice(0, 4)}… in clear`);
  });

  it("says there was nothing to scan in an empty repository, never 'no findings in 0 files'", DEADLINE, () => {
    const repo = tempRepo();
    const result = br(["security", "check"], { cwd: repo });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /nothing to scan/);
    assert.doesNotMatch(result.stdout, /in 0 files/);
  });

  it("reads the history of a file .gitattributes marks -diff, so a key there is not pushed unseen", DEADLINE, () => {
    const repo = tempRepo();
    writeFileSync(join(repo, ".gitattributes"), "*.env -diff\n");
    writeFileSync(join(repo, "prod.env"), `GITHUB_TOKEN=${GITHUB_TOKEN}\n`);
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "env");
    const history = br(["security", "check", "--history", "--json"], { cwd: repo });
    assert.equal(history.code, 1, history.stdout);
    assert.deepEqual(
      (JSON.parse(history.stdout) as Report).findings.map((f) => [f.file, f.rule]),
      [["prod.env", "github-pat"]],
    );
  });
});
