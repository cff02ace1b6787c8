import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync, type FSWatcher, readdirSync, readFileSync, rmSync, statSync, utimesSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { projectPaths } from "../src/infra/project.ts";
import { openStateDb } from "../src/infra/state-db.ts";
import { lineAndColumn, stripBom } from "../src/infra/validation.ts";
import { BR, br, brAsync, brOk, brSpawn, git, initializedRepo, snapshot, tempDir, tempRepo } from "./helpers.ts";

/** Every test and wait here has a deadline: a hang fails the test instead of stalling the suite. */
const DEADLINE = { timeout: 60_000 };

const featuresPath = (cwd: string) => join(cwd, ".buildrunner", "features.json");

/** A valid registry of `count` features, written as a user's large project would have it. */
function writeLargeRegistry(cwd: string, count: number): void {
  const at = new Date().toISOString();
  const features = Array.from({ length: count }, (_, i) => ({
    id: `feature-${i}`,
    name: `Feature number ${i} with a name long enough to fill the listing`,
    status: "planned",
    priority: "medium",
    dependsOn: [],
    acceptance: [],
    createdAt: at,
    updatedAt: at,
  }));
  writeFileSync(featuresPath(cwd), `${JSON.stringify({ schemaVersion: 1, project: "big", features }, null, 2)}\n`);
}

/** The exit code of a child, or a failure once `ms` have passed (the child is then killed). */
function exitOf(child: ChildProcess, ms = 30_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`br did not exit within ${ms} ms`));
    }, ms);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("a closed output pipe", () => {
  it("`br features list | head -1` on a large registry prints the first line and exits 0 without a stack trace", DEADLINE, () => {
    const cwd = initializedRepo();
    writeLargeRegistry(cwd, 2000);
    for (const json of ["", " --json"]) {
      const script = `node ${JSON.stringify(BR)} features list${json} | head -1; echo "br exit: \${PIPESTATUS[0]}" >&2`;
      const result = spawnSync("bash", ["-c", script], { cwd, encoding: "utf8", timeout: 30_000, env: { ...process.env, NO_COLOR: "1" } });
      assert.equal(result.stdout.split("\n").length, 2, `exactly one line: ${result.stdout}`);
      assert.equal(result.stderr, "br exit: 0\n", "no EPIPE error, exit 0");
    }
  });

  it("a reader that closes stdout or stderr early ends br quietly with exit 0", DEADLINE, async () => {
    const cwd = initializedRepo();
    writeLargeRegistry(cwd, 2000);
    const early = brSpawn(["features", "list"], { cwd });
    let stderr = "";
    early.stderr?.on("data", (d) => {
      stderr += d;
    });
    early.stdout?.once("data", () => early.stdout?.destroy());
    assert.equal(await exitOf(early), 0);
    assert.equal(stderr, "");
    // An error message to a closed stderr: nothing more to say, and no stack trace anywhere.
    const noStderr = brSpawn(["features", "show", "no-such-feature"], { cwd });
    noStderr.stderr?.destroy();
    let stdout = "";
    noStderr.stdout?.on("data", (d) => {
      stdout += d;
    });
    const code = await exitOf(noStderr);
    assert.ok(code === 0 || code === 2, `exit ${code}`);
    assert.doesNotMatch(stdout, /EPIPE|at .*\(node:/);
  });
});

/** A pid that belonged to a process which has ended, as a kill -9'd br's would. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  assert.ok(child.pid);
  return child.pid;
}

/** Leaves a temp file the way a br killed mid-write did: named for its pid, `ageMs` old. */
function leftover(path: string, pid: number, ageMs: number): string {
  const file = `${path}.${pid}.0badc0de.tmp`;
  writeFileSync(file, '{ "schemaVersion": 1, "proj');
  const when = new Date(Date.now() - ageMs);
  utimesSync(file, when, when);
  return file;
}

const HOUR = 3_600_000;

describe("temp files of atomic writes", () => {
  it("the next command removes what a killed br left in .buildrunner/, and git status is clean again", DEADLINE, () => {
    const cwd = initializedRepo();
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "project");
    const pid = deadPid();
    const left = [
      leftover(featuresPath(cwd), pid, HOUR),
      leftover(join(cwd, ".buildrunner", "STATUS.md"), pid, HOUR),
      leftover(join(cwd, ".buildrunner", "context", "project.md"), pid, HOUR),
      leftover(join(cwd, "AGENTS.md"), pid, HOUR),
    ];
    assert.equal(git(cwd, "status", "--porcelain").split("\n").filter(Boolean).length, 4, "the leftovers show in git status");
    brOk(["features", "list"], { cwd });
    for (const file of left) assert.ok(!existsSync(file), `${file} removed`);
    assert.equal(git(cwd, "status", "--porcelain"), "");
  });

  it("keeps a temp file that may still be written: its process alive, or too recent to judge", DEADLINE, () => {
    const cwd = initializedRepo();
    const live = leftover(featuresPath(cwd), process.pid, HOUR);
    const recent = leftover(join(cwd, ".buildrunner", "STATUS.md"), deadPid(), 0);
    const userFile = join(cwd, "notes.1234.0badc0de.tmp");
    writeFileSync(userFile, "mine");
    utimesSync(userFile, new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
    brOk(["features", "list"], { cwd });
    for (const file of [live, recent, userFile]) assert.ok(existsSync(file), `${file} kept`);
  });

  it("normal writes never create a temp file in the tracked folders, and leave none behind", DEADLINE, async () => {
    const cwd = initializedRepo();
    const seen: string[] = [];
    const watchers: FSWatcher[] = [cwd, join(cwd, ".buildrunner"), join(cwd, ".buildrunner", "context")].map((dir) =>
      watch(dir, (_event, name) => {
        if (name && /\.tmp$/.test(name)) seen.push(join(dir, name));
      }),
    );
    try {
      for (const args of [
        ["init", "--force"],
        ["features", "add", "Login", "-a", "a user can log in"],
        ["features", "add", "Logout"],
        ["features", "update", "login", "--status", "in_progress"],
        ["features", "block", "logout", "--reason", "waits for login"],
        ["status"],
        ["config", "set", "run.maxAttempts", "4"],
        ["features", "remove", "logout"],
      ]) {
        const result = await brAsync(args, { cwd });
        assert.equal(result.code, 0, `br ${args.join(" ")}: ${result.stderr}`);
      }
      await sleep(300); // let the last change events arrive
    } finally {
      for (const watcher of watchers) watcher.close();
    }
    assert.deepEqual(seen, []);
    assert.deepEqual(readdirSync(join(cwd, ".buildrunner", "state", "tmp")), []);
  });
});

// Secret-shaped test values, assembled at run time so this file itself holds none.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");

/** A server's bare repository: a key committed (first), removed (second), then an unrelated commit. */
function bareRepoWithLeak(): { bare: string; first: string } {
  const work = tempRepo();
  writeFileSync(join(work, "app.js"), `const key = "${AWS_KEY}";\n`);
  git(work, "add", "-A");
  git(work, "commit", "-qm", "add the key");
  const first = git(work, "rev-parse", "HEAD").trim();
  writeFileSync(join(work, "app.js"), "const key = process.env.KEY;\n");
  git(work, "commit", "-qam", "remove the key");
  const bare = join(tempDir(), "server.git");
  git(work, "clone", "-q", "--bare", work, bare);
  return { bare, first };
}

describe("a bare git repository", () => {
  it("br init and br attach refuse (exit 2) with what, where and the fix, and write nothing", DEADLINE, () => {
    const { bare } = bareRepoWithLeak();
    const before = snapshot(bare, []);
    for (const cwd of [bare, join(bare, "refs")]) {
      for (const args of [["init"], ["attach"], ["init", "--force"]]) {
        const result = br(args, { cwd });
        assert.equal(result.code, 2, `br ${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, /bare git repository, which has no working tree/);
        assert.match(result.stderr, new RegExp(`fix: +Run it in a clone with a working tree: \`git clone ${bare} <folder>\``));
      }
    }
    const json = br(["init", "--json"], { cwd: bare });
    assert.equal((JSON.parse(json.stdout) as { error: { exitCode: number } }).error.exitCode, 2);
    assert.deepEqual(snapshot(bare, []), before, "nothing written into the repository");
    assert.ok(!existsSync(join(bare, ".buildrunner")) && !existsSync(join(bare, "AGENTS.md")) && !existsSync(join(bare, "CLAUDE.md")));
  });

  it("br init inside a working tree's .git refuses the same way", DEADLINE, () => {
    const cwd = tempRepo();
    const before = snapshot(join(cwd, ".git"), []);
    const result = br(["init"], { cwd: join(cwd, ".git") });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /git's own folder/);
    assert.match(result.stderr, /fix: +Run it in the repository's working tree/);
    assert.deepEqual(snapshot(join(cwd, ".git"), []), before);
  });

  it("br security check --history and --since <ref> read the commits of a bare repository", DEADLINE, () => {
    const { bare, first } = bareRepoWithLeak();
    const history = br(["security", "check", "--history", "--json"], { cwd: bare });
    assert.equal(history.code, 1, history.stderr);
    const found = (JSON.parse(history.stdout) as { findings: { rule: string; file: string; commit: string }[] }).findings;
    assert.ok(
      found.some((f) => f.rule === "aws-access-token" && f.file === "app.js" && f.commit === first),
      history.stdout,
    );
    assert.doesNotMatch(history.stdout, new RegExp(AWS_KEY), "masked");
    const since = br(["security", "check", "--since", first, "--json"], { cwd: bare });
    assert.equal(since.code, 0, since.stderr);
    assert.equal((JSON.parse(since.stdout) as { summary: { commits: number } }).summary.commits, 1);
    const sinceRef = br(["security", "check", "--since", "HEAD~1"], { cwd: bare });
    assert.equal(sinceRef.code, 0, sinceRef.stderr);
    const missing = br(["security", "check", "--since", "no-such-ref"], { cwd: bare });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such commit/);
    // Without a source it would read git's own files: it says where to look instead.
    for (const args of [[], ["--staged"]]) {
      const plain = br(["security", "check", ...args], { cwd: bare });
      assert.equal(plain.code, 2, plain.stdout);
      assert.match(plain.stderr, /bare git repository .* which has no (working tree|index)/);
      assert.match(plain.stderr, /--history/);
    }
  });

  it("br security baseline does not write its default file into a bare repository, but --output elsewhere works", DEADLINE, () => {
    const { bare } = bareRepoWithLeak();
    const before = snapshot(bare, []);
    const refused = br(["security", "baseline", "--history"], { cwd: bare });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /bare git repository.*Nothing was written/);
    assert.deepEqual(snapshot(bare, []), before);
    const output = join(tempDir(), "baseline.json");
    brOk(["security", "baseline", "--history", "--output", output], { cwd: bare });
    assert.equal(br(["security", "check", "--history", "--baseline", output], { cwd: bare }).code, 0);
  });
});

describe("help for a command that does not exist", () => {
  it("`br <unknown> --help` says the command is unknown, suggests the nearest one, and exits 2", DEADLINE, () => {
    const cwd = tempDir();
    for (const [args, unknown, suggestion] of [
      [["bogus", "--help"], "bogus", undefined],
      [["featurs", "--help"], "featurs", "features"],
      [["featurs", "-h"], "featurs", "features"],
      [["features", "lst", "--help"], "lst", "list"],
      [["-C", cwd, "statsu", "--help"], "statsu", "status"],
      [["help", "featurs"], "featurs", "features"],
      [["features", "help", "lst"], "lst", "list"],
    ] as const) {
      const result = br([...args], { cwd });
      assert.equal(result.code, 2, `br ${args.join(" ")}`);
      assert.match(result.stderr, new RegExp(`unknown command '${unknown}'`));
      if (suggestion) assert.match(result.stderr, new RegExp(`Did you mean ${suggestion}\\?`));
      assert.doesNotMatch(result.stdout, /Usage:/, "no help printed as if it had succeeded");
    }
    const json = br(["bogus", "--help", "--json"], { cwd });
    assert.equal(json.code, 2);
    assert.match((JSON.parse(json.stdout) as { error: { message: string } }).error.message, /unknown command 'bogus'/);
  });

  it("help for commands that exist still prints it and exits 0", DEADLINE, () => {
    const cwd = tempDir();
    for (const [args, usage] of [
      [["--help"], "br [options] [command]"],
      [["help"], "br [options] [command]"],
      [["features", "--help"], "br features [options] [command]"],
      [["help", "features"], "br features [options] [command]"],
      [["features", "list", "-h"], "br features list [options]"],
      [["-C", cwd, "status", "--help"], "br status [options]"],
      [["security", "check", "--help"], "br security check [options] [paths...]"],
    ] as const) {
      const result = br([...args], { cwd });
      assert.equal(result.code, 0, `br ${args.join(" ")}: ${result.stderr}`);
      assert.ok(result.stdout.includes(`Usage: ${usage}`), result.stdout);
    }
  });
});

/** Records finished (and one still running) executor calls in the ledger, as `br run` does. */
function recordCalls(cwd: string): void {
  const db = openStateDb(projectPaths(cwd));
  try {
    const at = new Date().toISOString();
    const run = db.prepare("INSERT INTO runs (started_at, pid, host, executor) VALUES (?, 1, 'test', 'claude')").run(at);
    const insert = db.prepare(
      `INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, started_at, outcome, input_tokens,
                             output_tokens, cost_usd, cost_source)
       VALUES (?, ?, 'login', ?, 'claude', 'claude-sonnet-4-5', 'sonnet', ?, ?, ?, ?, ?, 'reported')`,
    );
    insert.run(run.lastInsertRowid, "login.core", 1, at, "failed", 1000, 200, 0.0125);
    insert.run(run.lastInsertRowid, "login.core", 2, at, "passed", 2000, 500, 0.025);
    insert.run(run.lastInsertRowid, "login.tests", 1, at, "running", 0, 0, 0);
  } finally {
    db.close();
  }
}

interface StatusJson {
  cost: { calls: number; costUsd: number; tokens: { input: number; output: number } };
}

describe("br status", () => {
  it("leaves STATUS.md untouched when only its generated-at time would change, so the tree stays clean", DEADLINE, () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Login"], { cwd });
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "project");
    const statusFile = join(cwd, ".buildrunner", "STATUS.md");
    const before = { text: readFileSync(statusFile, "utf8"), mtime: statSync(statusFile).mtimeMs };
    for (const args of [["status"], ["status", "--json"], ["status"]]) {
      const result = brOk(args, { cwd });
      if (!args.includes("--json")) assert.match(result.stdout, /Up to date: \.buildrunner\/STATUS\.md/);
    }
    assert.equal(readFileSync(statusFile, "utf8"), before.text);
    assert.equal(statSync(statusFile).mtimeMs, before.mtime, "not even rewritten with the same bytes");
    assert.equal(git(cwd, "status", "--porcelain"), "");
    // A real change still regenerates it.
    brOk(["features", "start", "login"], { cwd });
    assert.match(readFileSync(statusFile, "utf8"), /## In progress \(1\)/);
  });

  it("shows the spend recorded in the ledger: text, --json and STATUS.md", DEADLINE, () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Login"], { cwd });
    recordCalls(cwd);
    const json = JSON.parse(brOk(["status", "--json"], { cwd }).stdout) as StatusJson;
    assert.deepEqual(json.cost, { calls: 2, costUsd: 0.0375, tokens: { input: 3000, output: 700 } });
    const modelStats = JSON.parse(brOk(["model", "stats", "--json"], { cwd }).stdout) as { calls: number; costUsd: number };
    assert.deepEqual([modelStats.calls, modelStats.costUsd], [2, 0.0375], "the same figures as br model stats");
    assert.match(brOk(["status"], { cwd }).stdout, /spend: \$0\.0375 over 2 agent call\(s\); tokens: 3000 in, 700 out/);
    assert.match(
      readFileSync(join(cwd, ".buildrunner", "STATUS.md"), "utf8"),
      /^Spend \(this machine's ledger.*\): \$0\.0375 over 2 agent call\(s\); tokens: 3000 in, 700 out$/m,
    );
  });

  it("without a ledger the spend is 0 and no database is created", DEADLINE, () => {
    const cwd = initializedRepo();
    const db = join(cwd, ".buildrunner", "state", "state.db");
    rmSync(db, { force: true });
    const json = JSON.parse(brOk(["status", "--json"], { cwd }).stdout) as StatusJson;
    assert.deepEqual(json.cost, { calls: 0, costUsd: 0, tokens: { input: 0, output: 0 } });
    assert.match(brOk(["status"], { cwd }).stdout, /spend: \$0\.0000 \(no agent calls recorded yet\)/);
    assert.ok(!existsSync(db), "reading the status creates no ledger");
  });
});

const BOM = "\uFEFF";

describe("files with a UTF-8 byte-order mark, and YAML errors at the end of a file", () => {
  it("features.json, tasks.json and config.yaml starting with a BOM are read like any other", DEADLINE, () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Login"], { cwd });
    for (const file of ["features.json", "tasks.json", "config.yaml"]) {
      const path = join(cwd, ".buildrunner", file);
      writeFileSync(path, `${BOM}${readFileSync(path, "utf8")}`);
    }
    assert.deepEqual(
      (JSON.parse(brOk(["features", "list", "--json"], { cwd }).stdout) as { features: { id: string }[] }).features.map((f) => f.id),
      ["login"],
    );
    assert.equal(JSON.parse(brOk(["config", "get", "version", "--json"], { cwd }).stdout).value, 1);
    brOk(["tasks", "list"], { cwd });
    brOk(["status"], { cwd });
    brOk(["features", "add", "Logout"], { cwd });
    brOk(["features", "remove", "logout"], { cwd });
    brOk(["config", "set", "run.maxAttempts", "4"], { cwd });
    assert.equal(JSON.parse(brOk(["config", "get", "run.maxAttempts", "--json"], { cwd }).stdout).value, 4);
  });

  it("PROJECT_SPEC.md, package.json and pyproject.toml starting with a BOM are read like any other", DEADLINE, () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "package.json"), `${BOM}${JSON.stringify({ name: "bom", scripts: { test: "node --test" } })}\n`);
    writeFileSync(join(cwd, "pyproject.toml"), `${BOM}[project]\nname = "bom"\ndependencies = ["pytest>=8"]\n`);
    const attached = brOk(["attach"], { cwd }).stdout;
    assert.match(attached, /test +npm test/);
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), `${BOM}## Features\n\n### Login\nPriority: high\n`);
    brOk(["spec", "sync"], { cwd });
    const features = (JSON.parse(brOk(["features", "list", "--json"], { cwd }).stdout) as { features: { id: string; priority: string }[] })
      .features;
    assert.deepEqual(
      features.map((f) => [f.id, f.priority]),
      [["login", "high"]],
    );
  });

  it("a BOM does not shift the place of an error on the first line", DEADLINE, () => {
    const cwd = initializedRepo();
    writeFileSync(featuresPath(cwd), `${BOM}{ "schemaVersion": "1", "project": "x", "features": [] }\n`);
    const result = br(["features", "list"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /at: +line 1, column 3 \(schemaVersion\)/);
  });

  it("a YAML error on the last line of config.yaml is placed within the file, with or without a final newline", DEADLINE, () => {
    const cwd = initializedRepo();
    const config = join(cwd, ".buildrunner", "config.yaml");
    for (const [text, place] of [
      ['version: 1\nexecutor: "claude', "line 2, column 17"],
      ['version: 1\nexecutor: "claude\n', "line 2, column 17"],
      ['version: 1\nexecutor: "claude\n\n\n', "line 2, column 17"],
      ["version: 1\nrun: [1, 2", "line 2, column 10"],
      ["version: 1\nrun: [1, 2\n", "line 2, column 10"],
    ] as const) {
      writeFileSync(config, text);
      const before = snapshot(cwd);
      const result = br(["config", "get", "version"], { cwd });
      assert.equal(result.code, 2, JSON.stringify(text));
      assert.match(result.stderr, /config\.yaml is not valid YAML/);
      assert.ok(result.stderr.includes(`at:   ${place}\n`), `${JSON.stringify(text)}: ${result.stderr}`);
      assert.ok(result.stderr.includes(`fix:  Correct the YAML at ${place}.`), result.stderr);
      assert.deepEqual(snapshot(cwd), before, "nothing on disk changes");
    }
  });

  it("lineAndColumn names a character the text has; stripBom removes only a leading mark", () => {
    assert.equal(lineAndColumn("ab\ncd", 4), "line 2, column 2");
    assert.equal(lineAndColumn("ab\ncd", 5), "line 2, column 2", "the end of the text is its last character");
    assert.equal(lineAndColumn("ab\ncd\n", 6), "line 2, column 2");
    assert.equal(lineAndColumn("ab\ncd\n\n", 99), "line 2, column 2");
    assert.equal(lineAndColumn("ab\n  \n", 3), "line 2, column 1", "whitespace inside the text is still a place");
    assert.equal(lineAndColumn("", 0), "line 1, column 1");
    assert.equal(stripBom(`${BOM}{}`), "{}");
    assert.equal(stripBom(`{"a": "${BOM}"}`), `{"a": "${BOM}"}`);
  });
});
