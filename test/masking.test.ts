/**
 * Masking everywhere (issue 18): secrets planted in a project's spec, its features and an agent's
 * output never leave br in clear, not in what it prints, the files it writes (tracked or state),
 * its commits, its journal, nor the prompts it sends. Each defect found leaking has its own test.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { type BrResult, br, brOk, git, initializedRepo, snapshot, tempDir } from "./helpers.ts";

// Built at run time, so that secret scanners reading this repository do not flag the samples.
const AWS_KEY = ["AKIA", "Q4M7", "X2RT", "B6WZ", "K3LP"].join("");
const GITHUB_TOKEN = ["ghp_", "R8s2Kd9Lq4Wm7Xz1", "Vb5Nc3Jh6Tf0Gy2Pa8Ue"].join("");
const ANTHROPIC_KEY = ["sk-ant-", "api03-", "Xq7Lm2Rt9Vb4Nc8Kd1Wz6Hs3Jf5Gp0Ya2Te7Ui9Oq4Mn"].join("");
const JWT = ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJici10ZXN0In0", "c2lnbmF0dXJlLXNlY3JldA"].join(".");
const URL_PASSWORD = ["p%40ss", "!w0rd#x"].join("");
const DB_URL = `postgres://user:${URL_PASSWORD}@host/db`;
const DB_PASSWORD = ["hK8#vQ2!", "mZ7@pL4x"].join("");
const DJANGO_KEY = ["django-insecure-", "7x#n!k2@q9$w(z)e%r"].join("");
const API_TOKEN = ["Zx9;(q)W", ",4r!tY7u"].join("");

/** What an assignment of each password looks like in text people write. */
const ASSIGNMENTS = [`DB_PASSWORD = "${DB_PASSWORD}"`, `SECRET_KEY = "${DJANGO_KEY}"`, `API_TOKEN: '${API_TOKEN}'`];

const PLANTED: Record<string, string> = {
  "AWS key": AWS_KEY,
  "GitHub token": GITHUB_TOKEN,
  "Anthropic key": ANTHROPIC_KEY,
  JWT,
  "URL password": URL_PASSWORD,
  "DB password": DB_PASSWORD,
  "Django key": DJANGO_KEY,
  "API token": API_TOKEN,
};

/**
 * A secret is in clear when more than the 4 characters masking keeps are there: the 10 after
 * them are looked for, so a cut or partly masked copy counts too.
 */
function leaks(text: string): string[] {
  return Object.entries(PLANTED)
    .filter(([, secret]) => text.includes(secret.slice(4, 14)))
    .map(([name]) => name);
}

/** The same, for an id or a path: lowercased, every run of other characters a dash. */
function leaksInSlug(text: string): string[] {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return Object.entries(PLANTED)
    .filter(([, secret]) => {
      const tail = slug(secret.slice(4)).replace(/^-+|-+$/g, "");
      return tail.length >= 6 && slug(text).includes(tail.slice(0, 12));
    })
    .map(([name]) => name);
}

function assertNoLeak(text: string, where: string): void {
  const found = leaks(text);
  assert.deepEqual(found, [], `${where} holds ${found.join(", ")} in clear:\n${text.slice(0, 2000)}`);
}

function files(root: string, skip = [".git"]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (skip.includes(relative(root, full))) continue;
      if (statSync(full).isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(root);
  return out;
}

const SPEC = `# Shop

## Overview

The shop reads orders from ${DB_URL} and signs sessions with ${JWT}.

## Deployment

Production settings:

    ${ASSIGNMENTS.join("\n    ")}

## Features

### Rotate ${AWS_KEY} credentials
Priority: high

Replace the leaked key; the CI token is ${GITHUB_TOKEN}.
Connect with ${ASSIGNMENTS[0]}.

Acceptance criteria:
- the agent key ${ANTHROPIC_KEY} is revoked
- ${ASSIGNMENTS[1]} is replaced
Files: src/**, test/**

### Store ${ASSIGNMENTS[2]} safely
Depends on: Rotate ${AWS_KEY} credentials

Keep it in the vault.
Files: src/**, test/**
`;

const T = { timeout: 180_000 };

function project(): string {
  const cwd = initializedRepo("shop");
  writeFileSync(
    join(cwd, "package.json"),
    `${JSON.stringify({ name: "shop", private: true, scripts: { test: "node --test" } }, null, 2)}\n`,
  );
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), SPEC);
  brOk(["config", "set", "commands.test", "node --test"], { cwd });
  return cwd;
}

describe("masking: each defect found leaking", () => {
  it("br spec sync writes STATUS.md and context/project.md with every planted secret masked", T, () => {
    const cwd = project();
    const out = brOk(["spec", "sync"], { cwd });
    assertNoLeak(`${out.stdout}${out.stderr}`, "br spec sync's output");
    for (const file of ["STATUS.md", "context/project.md", "context/spec.md", "context/blockers.md", "features.json"]) {
      assertNoLeak(readFileSync(join(cwd, ".buildrunner", file), "utf8"), `.buildrunner/${file}`);
    }
    assert.match(readFileSync(join(cwd, ".buildrunner", "STATUS.md"), "utf8"), /AKIA\*{16}/, "the key is shown masked");
    assert.match(readFileSync(join(cwd, ".buildrunner", "context", "project.md"), "utf8"), /API_TOKEN: 'Zx9;\*{12}'/);
  });

  it("a feature id made from a name holding a key carries none of the key's characters", T, () => {
    const cwd = project();
    brOk(["spec", "sync"], { cwd });
    brOk(["features", "add", `Use ${GITHUB_TOKEN} for CI`], { cwd });
    const ids = (JSON.parse(brOk(["features", "list", "--json"], { cwd }).stdout) as { features: { id: string }[] }).features.map(
      (f) => f.id,
    );
    assert.deepEqual(ids.sort(), ["rotate-credentials", "store-api-token-safely", "use-for-ci"]);
    for (const id of ids) assert.deepEqual(leaksInSlug(id), [], `${id} carries a secret`);
  });

  it("a key without a known prefix, or a password, in a name or a description stays out of ids and features.json", T, () => {
    const cwd = initializedRepo("shop");
    const key = ["Jx8QpL2vTz9Wm4Rk7Yb3", "Nc6Hd1Fg5Sa0Ue2Io8Pq"].join("");
    const awsSecret = ["wJalrXUtnFEMI7K2MDEN", "GbPxRfiCYz9Q4eT6uY8i"].join("");
    brOk(["features", "add", `Key ${key} rotate`], { cwd });
    brOk(["features", "add", `Deploy with ${DB_PASSWORD}`, "-d", `aws_secret_access_key=${awsSecret}`], { cwd });
    const listed = JSON.parse(brOk(["features", "list", "--json"], { cwd }).stdout) as { features: { id: string }[] };
    assert.deepEqual(listed.features.map((f) => f.id).sort(), ["deploy-with", "key-rotate"]);
    const stored = readFileSync(join(cwd, ".buildrunner", "features.json"), "utf8");
    assert.ok(!stored.includes(awsSecret.slice(4)), "the AWS secret key is stored masked");
    const check = br(["security", "check", ".buildrunner/features.json"], { cwd });
    assert.equal(check.code, 0, `br's own scan finds nothing in br's own file: ${check.stdout}`);
  });

  it("br config set refuses a secret-shaped value: exit 2, config.yaml unchanged, an environment variable suggested", T, () => {
    const cwd = project();
    const before = snapshot(cwd);
    for (const [key, value] of [
      ["commands.test", `${ASSIGNMENTS[0]} node --test`],
      ["executors.command.command", `my-agent --key ${ANTHROPIC_KEY}`],
      ["commands.lint", `psql ${DB_URL} -c 'select 1'`],
    ] as const) {
      const result = br(["config", "set", key, value], { cwd });
      assert.equal(result.code, 2, `${key}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /looks like a secret/);
      assert.match(result.stderr, /environment variable/);
      assert.match(result.stderr, /config\.yaml was not changed/);
      assertNoLeak(`${result.stdout}${result.stderr}`, `br config set ${key}`);
    }
    assert.deepEqual(snapshot(cwd), before, "nothing on disk changed");
    // A reference to the environment is what it suggests, and that is accepted.
    brOk(["config", "set", "commands.test", "DB_PASSWORD=$DB_PASSWORD node --test"], { cwd });
    assert.match(readFileSync(join(cwd, ".buildrunner", "config.yaml"), "utf8"), /DB_PASSWORD=\$DB_PASSWORD node --test/);
  });
});

const AGENT = resolve(import.meta.dirname, "fixtures", "secret-agent.mjs");
/** Everything the agent repeats: each planted secret as an agent would echo it. */
const SAID = [AWS_KEY, GITHUB_TOKEN, ANTHROPIC_KEY, JWT, DB_URL, ...ASSIGNMENTS];

/** A project whose agent (the command executor) repeats every planted secret; the prompts it receives go to `received`. */
function agentProject(): { cwd: string; env: Record<string, string | undefined>; received: string } {
  const cwd = project();
  const received = tempDir("br-prompts-");
  brOk(["config", "set", "executors.command.command", `"${process.execPath}" "${AGENT}"`], { cwd });
  brOk(["config", "set", "run.maxAttempts", "2"], { cwd });
  // Telemetry on (the helpers turn it off): its events are state too.
  const env = {
    SECRET_AGENT_SAY: SAID.join("\n"),
    SECRET_AGENT_PROMPTS: received,
    BR_TELEMETRY_DISABLED: undefined,
    DO_NOT_TRACK: undefined,
  };
  return { cwd, env, received };
}

function commitPlan(cwd: string, env: Record<string, string | undefined>): void {
  brOk(["spec", "sync"], { cwd, env });
  brOk(["tasks", "generate"], { cwd, env });
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "plan");
}

function attemptRows(cwd: string): { outcome: string; reason: string | null; verification: string | null }[] {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
  db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
  try {
    return db.prepare("SELECT outcome, reason, verification FROM attempts ORDER BY id").all() as {
      outcome: string;
      reason: string | null;
      verification: string | null;
    }[];
  } finally {
    db.close();
  }
}

describe("masking: the journal", () => {
  it("keeps the executor's summary and failure reason masked, JSON-escaped quotes and punctuation-rich passwords included", T, () => {
    const { cwd, env } = agentProject();
    commitPlan(cwd, env);
    const result = br(["run", "--auto", "--executor", "command", "--max-tasks", "1"], { cwd, env });
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const [failed, passed] = attemptRows(cwd);
    assert.equal(failed?.outcome, "failed");
    assert.equal(passed?.outcome, "passed");
    assert.match(failed?.reason ?? "", /the executor reported failure/);
    const summary = (JSON.parse(passed?.verification ?? "{}") as { executor: { summary: string } }).executor.summary;
    assert.match(summary, /Implemented .*AKIA\*{16}/, "the summary line is kept, masked");
    assert.match(summary, /DB_PASSWORD = \\"hK8#\*{12}\\"/, "the password inside the agent's JSON line is masked too");
    for (const row of [failed, passed]) assertNoLeak(JSON.stringify(row), "an attempt's row");
  });
});

/** Runs br, keeping what it printed for the final check. */
function recorder(cwd: string, env: Record<string, string | undefined>) {
  const printed: { args: string[]; result: BrResult }[] = [];
  const run = (args: string[], ok = true) => {
    const result = ok ? brOk(args, { cwd, env }) : br(args, { cwd, env });
    printed.push({ args, result });
    return result;
  };
  return { printed, run };
}

/** Every table of the state database, each read whole (written out, so that no query is built from text). */
const STATE_TABLES: Record<string, string> = {
  attempts: "SELECT * FROM attempts",
  events: "SELECT * FROM events",
  quality_runs: "SELECT * FROM quality_runs",
  runs: "SELECT * FROM runs",
  shared_ledger: "SELECT * FROM shared_ledger",
  streams: "SELECT * FROM streams",
  telemetry: "SELECT * FROM telemetry",
  telemetry_alerts: "SELECT * FROM telemetry_alerts",
  telemetry_events: "SELECT * FROM telemetry_events",
  telemetry_export: "SELECT * FROM telemetry_export",
};

function stateRows(cwd: string): string {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
  db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const unknown = tables.filter((t) => !t.startsWith("sqlite_") && !(t in STATE_TABLES));
    assert.deepEqual(unknown, [], "a new table of the state database: add it to STATE_TABLES");
    return tables
      .filter((t) => t in STATE_TABLES)
      .map((t) => JSON.stringify(db.prepare(STATE_TABLES[t] as string).all()))
      .join("\n");
  } finally {
    db.close();
  }
}

describe("masking: no planted secret leaves br in clear", () => {
  it(
    "spec sync, features, tasks, status, a run with an agent repeating the secrets, config set: outputs, files, state db, commits and prompts",
    T,
    () => {
      const { cwd, env, received } = agentProject();
      const { printed, run } = recorder(cwd, env);

      run(["spec", "sync"]);
      run(["features", "add", "Audit", "--description", `check ${ASSIGNMENTS[0]} and ${ANTHROPIC_KEY}`]);
      run(["tasks", "generate"]);
      run(["features", "list", "--json"]);
      run(["features", "show", "rotate-credentials"]);
      run(["tasks", "list", "--json"]);
      run(["status"]);
      run(["status", "--json"]);
      git(cwd, "add", "-A");
      git(cwd, "commit", "-qm", "plan");
      const result = run(["run", "--auto", "--executor", "command", "--max-tasks", "1"], false);
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
      run(["tasks", "list", "--json"]);
      run(["model", "stats", "--json"]);
      run(["status"]);
      run(["config", "set", "commands.lint", `${ASSIGNMENTS[1]} npm run lint`], false);
      run(["config", "list"]);
      run(["telemetry", "events", "--json"]);

      // The agent was asked twice (its first attempt failed) and its work was accepted.
      const prompts = readdirSync(received);
      assert.equal(prompts.length, 2, `prompts received: ${prompts.join(", ")}`);
      const journal = stateRows(cwd);
      assert.match(journal, /"outcome":"failed"/);
      assert.match(journal, /"outcome":"passed"/);
      assert.match(journal, /AKIA\*{16}/, "the journal keeps what the agent said, masked");

      for (const { args, result } of printed) assertNoLeak(`${result.stdout}\n${result.stderr}`, `br ${args.join(" ")}`);
      for (const file of files(received)) assertNoLeak(readFileSync(file, "utf8"), `the prompt ${relative(received, file)}`);
      const tracked = files(cwd);
      assert.ok(tracked.some((f) => f.endsWith("state.db")) && tracked.some((f) => f.includes("prompts")), "the state was written");
      for (const file of tracked) {
        if (file.endsWith("PROJECT_SPEC.md")) continue; // the user's own file, as they wrote it
        assertNoLeak(readFileSync(file, "latin1"), relative(cwd, file));
        assert.deepEqual(leaksInSlug(relative(cwd, file)), [], `the path ${relative(cwd, file)}`);
      }
      assertNoLeak(journal, "the state database's rows");
      assertNoLeak(historyWithoutSpec(cwd), "git log -p");
      assertNoLeak(git(cwd, "branch", "-a"), "the branches");
      assertNoLeak(readFileSync(join(cwd, ".buildrunner", "config.yaml"), "utf8"), "config.yaml");
      assert.ok(existsSync(join(cwd, ".buildrunner", "STATUS.md")));
    },
  );
});

/** git log -p without the user's own spec file (added by the test's commit, in clear as they wrote it). */
function historyWithoutSpec(cwd: string): string {
  const commits = git(cwd, "rev-list", "--all").trim().split("\n");
  return commits.map((c) => git(cwd, "show", "--format=%H %s%n%b", c, "--", ".", ":(exclude)PROJECT_SPEC.md")).join("\n");
}
