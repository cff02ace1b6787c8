/**
 * The gate never weakens itself or goes quiet (issue 18): a file of any size is scanned, a file that
 * is not scanned says so (and fails the check when the user named it), and a malformed config.yaml
 * stops the check, the hook, `br status` and `br tasks generate` with exit 2 instead of falling back
 * to defaults. Each case runs the built br in a real git repository.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brOk, git, initializedRepo, snapshot, tempRepo } from "./helpers.ts";

// Secret-shaped values, assembled at run time so this file itself holds none.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
/** A JSON Web Token: a medium finding, below the default threshold (high). */
const JWT = [
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
  "eyJzdWIiOiI0MjQyNDIiLCJuYW1lIjoiUmFuZG9tIFVzZXIifQ",
  "X9kQ2pL7vR4tW1zB8nM3cF6hJ0sD5gA",
].join(".");

const DEADLINE = { timeout: 120_000 };

interface Report {
  findings: { rule: string; severity: string; file: string; line: number; column: number }[];
  summary: { files: number; bytes: number; skipped: number; skippedFiles: { file: string; reason: string; named?: boolean }[] };
}

function check(cwd: string, ...args: string[]) {
  const result = br(["security", "check", ...args, "--json"], { cwd });
  return { code: result.code, stderr: result.stderr, report: JSON.parse(result.stdout) as Report };
}

/** A log file of about `megabytes` MB whose only secret sits on a line 5 lines before the end; returns that line's number. */
function writeLargeLog(path: string, megabytes: number): number {
  const line = "2024-05-01T12:00:00Z INFO request served path=/api/items status=200 bytes=1234\n";
  const block = line.repeat(10_000);
  const blocks = Math.ceil((megabytes * 1024 * 1024) / block.length);
  const fd = openSync(path, "w");
  try {
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
    writeSync(fd, `aws_access_key_id = "${AWS_KEY}"\n${line.repeat(5)}`);
  } finally {
    closeSync(fd);
  }
  return blocks * 10_000 + 1;
}

describe("no silent skips", () => {
  it("a 50 MB file with a key near its end is scanned, as part of the tree and by name", DEADLINE, () => {
    const cwd = tempRepo();
    const keyLine = writeLargeLog(join(cwd, "server.log"), 50);
    writeFileSync(join(cwd, "README.md"), "# demo\n");
    const { code, report } = check(cwd);
    assert.equal(code, 1, "a critical finding fails the check");
    assert.deepEqual(
      report.findings.map((f) => [f.rule, f.file, f.line, f.column]),
      [["aws-access-token", "server.log", keyLine, 22]],
    );
    assert.ok(report.summary.bytes > 50 * 1024 * 1024, "the whole file was read");
    assert.equal(report.summary.files, 2);
    assert.deepEqual(report.summary.skippedFiles, []);
    const named = br(["security", "check", "server.log"], { cwd });
    assert.equal(named.code, 1);
    assert.match(named.stdout, new RegExp(`critical\\s+server\\.log:${keyLine}:22\\s+AWS access key id`));
    assert.match(named.stdout, /1 finding\(s\) in 1 files \(50\.\d MB/);
    assert.ok(!named.stdout.includes(AWS_KEY) && !named.stderr.includes(AWS_KEY), "the key is masked");
  });

  it("a commit that added more than 10 MB is scanned too (--history)", DEADLINE, () => {
    const cwd = tempRepo();
    const keyLine = writeLargeLog(join(cwd, "dump.log"), 12);
    git(cwd, "add", "-A");
    git(cwd, "commit", "-q", "-m", "dump");
    const { code, report } = check(cwd, "--history");
    assert.equal(code, 1);
    assert.deepEqual(
      report.findings.map((f) => [f.file, f.line, f.column]),
      [["dump.log", keyLine, 22]],
    );
    assert.deepEqual(report.summary.skippedFiles, []);
  });

  it("binary files are listed as skipped with the reason; the summary never reads as a clean scan of 0 files", DEADLINE, () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "logo.png"), Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13]));
    writeFileSync(join(cwd, "notes.md"), "nothing secret\n");
    // Found by walking the tree: listed, and the check still passes (nobody asked for it by name).
    const tree = check(cwd);
    assert.equal(tree.code, 0, tree.stderr);
    assert.deepEqual(tree.report.summary.skippedFiles, [{ file: "logo.png", reason: "binary (a NUL byte in its first 8000 bytes)" }]);
    assert.equal(tree.report.summary.skipped, 1);
    assert.equal(tree.report.summary.files, 1);
    const treeText = br(["security", "check"], { cwd });
    assert.match(treeText.stdout, /skipped\s+logo\.png\s+binary \(a NUL byte/);
    assert.match(treeText.stdout, /no findings in 1 files; 1 file\(s\) skipped, not scanned/);
    assert.doesNotMatch(treeText.stdout, /✓/, "no check mark over a file that was not scanned");

    // Named on the command line: the report is printed, and the exit is 2 (the input could not be judged).
    const named = br(["security", "check", "logo.png"], { cwd });
    assert.equal(named.code, 2);
    assert.match(named.stdout, /skipped\s+logo\.png/);
    assert.match(named.stdout, /nothing scanned: 1 file\(s\) skipped/);
    assert.doesNotMatch(named.stdout, /no findings in 0 files/);
    assert.match(named.stderr, /logo\.png was named on the command line but not scanned: binary/);
    assert.match(named.stderr, /fix: /);
    const namedJson = check(cwd, "logo.png", "notes.md");
    assert.equal(namedJson.code, 2);
    assert.deepEqual(namedJson.report.summary.skippedFiles, [
      { file: "logo.png", reason: "binary (a NUL byte in its first 8000 bytes)", named: true },
    ]);
    assert.equal(namedJson.report.summary.files, 1, "the other named file was scanned");

    // A named binary next to a finding: still 2, and the finding is reported.
    writeFileSync(join(cwd, "settings.py"), `KEY = "${AWS_KEY}"\n`);
    const both = check(cwd, "logo.png", "settings.py");
    assert.equal(both.code, 2);
    assert.deepEqual(
      both.report.findings.map((f) => f.file),
      ["settings.py"],
    );

    const sarif = br(["security", "check", "--format", "sarif"], { cwd });
    const notes = (
      JSON.parse(sarif.stdout) as { runs: { invocations?: { toolExecutionNotifications: { message: { text: string } }[] }[] }[] }
    ).runs[0]?.invocations?.[0]?.toolExecutionNotifications;
    assert.deepEqual(
      notes?.map((n) => n.message.text),
      ["logo.png was not scanned: binary (a NUL byte in its first 8000 bytes)"],
    );
  });
});

describe("a malformed config.yaml never weakens the gate", () => {
  const configPath = (cwd: string) => join(cwd, ".buildrunner", "config.yaml");
  const malformed = [
    {
      what: "a schema violation",
      text: "version: 1\nsecurity:\n  failOn: mediumm\n",
      error: /config\.yaml: security\.failOn must be one of "critical", "high", "medium", "low"; found the string "mediumm"/,
      place: /at: +line 3, column 11 \(security\.failOn\)/,
    },
    {
      what: "a YAML syntax error",
      text: "version: 1\nsecurity: [failOn: medium\n",
      error: /config\.yaml is not valid YAML/,
      place: /at: +line \d+, column \d+/,
    },
  ];

  it(
    "with failOn: medium a JWT blocks; a malformed config.yaml exits 2 naming the file, place and fix, for every source, and nothing on disk changes",
    DEADLINE,
    () => {
      const cwd = initializedRepo();
      writeFileSync(join(cwd, "client.js"), `export const token = "${JWT}";\n`);
      git(cwd, "add", "client.js");
      writeFileSync(configPath(cwd), "version: 1\nsecurity:\n  failOn: medium\n");
      assert.equal(check(cwd).code, 1, "the team's threshold blocks the medium finding");
      for (const bad of malformed) {
        writeFileSync(configPath(cwd), bad.text);
        const before = snapshot(cwd, [".git"]);
        for (const args of [[], ["client.js"], ["--staged"], ["--history"], ["--json"]]) {
          const result = br(["security", "check", ...args], { cwd });
          const label = `${bad.what}: check ${args.join(" ")}`;
          assert.equal(result.code, 2, `${label}\n${result.stdout}${result.stderr}`);
          assert.match(result.stderr, bad.error, label);
          assert.match(result.stderr, /file: \.buildrunner\/config\.yaml/, label);
          assert.match(result.stderr, bad.place, label);
          assert.match(result.stderr, /fix: +Correct /, label);
          assert.doesNotMatch(result.stdout, /finding/, `${label}: nothing was scanned`);
        }
        const baseline = br(["security", "baseline"], { cwd });
        assert.equal(baseline.code, 2, `${bad.what}: baseline`);
        assert.deepEqual(snapshot(cwd, [".git"]), before, `${bad.what}: nothing on disk changed, state included`);
      }
    },
  );

  it("outside a project, and in a project without config.yaml, the defaults apply (a missing file is no error)", DEADLINE, () => {
    const plain = tempRepo();
    writeFileSync(join(plain, "client.js"), `export const token = "${JWT}";\n`);
    assert.equal(check(plain).code, 0, "a medium finding is under the default threshold (high)");
    writeFileSync(join(plain, "keys.py"), `KEY = "${AWS_KEY}"\n`);
    assert.equal(check(plain).code, 1);
    const project = initializedRepo();
    rmSync(configPath(project));
    writeFileSync(join(project, "keys.py"), `KEY = "${AWS_KEY}"\n`);
    assert.equal(check(project).code, 1);
    brOk(["status"], { cwd: project });
    brOk(["tasks", "generate"], { cwd: project });
  });

  it("the pre-commit hook blocks the commit with br's message and exit 2; the commit is not made", DEADLINE, () => {
    // Installed before `br init`: the hook's one br finds the project (and its config) when it runs.
    const cwd = tempRepo();
    brOk(["hooks", "install"], { cwd });
    brOk(["init", "demo"], { cwd });
    assert.match(readFileSync(join(cwd, ".git", "hooks", "pre-commit"), "utf8"), /buildrunner_br hooks run pre-commit/);
    git(cwd, "add", "-A");
    git(cwd, "commit", "-q", "--no-verify", "-m", "project");
    const head = git(cwd, "rev-parse", "HEAD").trim();
    writeFileSync(configPath(cwd), "version: 1\nsecurity:\n  failOn: mediumm\n");
    writeFileSync(join(cwd, "client.js"), `export const token = "${JWT}";\n`);
    git(cwd, "add", "client.js");
    const env = { ...process.env, NO_COLOR: "1", BR_TELEMETRY_DISABLED: "1", NODE_TEST_CONTEXT: "" };
    const hook = spawnSync("sh", [join(cwd, ".git", "hooks", "pre-commit")], { cwd, encoding: "utf8", env });
    assert.equal(hook.status, 2, hook.stdout + hook.stderr);
    assert.match(hook.stderr, /security\.failOn must be one of/);
    const commit = spawnSync("git", ["commit", "-m", "add client"], { cwd, encoding: "utf8", env });
    assert.notEqual(commit.status, 0, "the commit is refused");
    assert.match(commit.stderr, /config\.yaml: security\.failOn must be one of/);
    assert.match(commit.stderr, /at: +line 3, column 11/);
    assert.equal(git(cwd, "rev-parse", "HEAD").trim(), head, "nothing was committed");
  });

  it("br status, tasks generate and the project's other views exit 2 on a malformed config.yaml and write nothing", DEADLINE, () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Login"], { cwd });
    const statusPath = join(cwd, ".buildrunner", "STATUS.md");
    // Stale files each command would rewrite on a good config: STATUS.md, and a plan without the feature's tasks.
    writeFileSync(statusPath, "stale\n");
    for (const bad of malformed) {
      writeFileSync(configPath(cwd), bad.text);
      const before = snapshot(cwd, [".git"]);
      for (const args of [
        ["status"],
        ["status", "--json"],
        ["tasks", "generate"],
        ["tasks", "list"],
        ["tasks", "next"],
        ["tasks", "graph"],
        ["features", "list"],
        ["streams"],
      ]) {
        const result = br(args, { cwd });
        const label = `${bad.what}: ${args.join(" ")}`;
        assert.equal(result.code, 2, `${label}\n${result.stdout}${result.stderr}`);
        assert.match(result.stderr, bad.error, label);
        assert.match(result.stderr, bad.place, label);
        assert.match(result.stderr, /fix: /, label);
      }
      assert.deepEqual(snapshot(cwd, [".git"]), before, `${bad.what}: nothing on disk changed`);
    }
    assert.equal(readFileSync(statusPath, "utf8"), "stale\n");
    writeFileSync(configPath(cwd), "version: 1\n");
    brOk(["status"], { cwd });
    assert.notEqual(readFileSync(statusPath, "utf8"), "stale\n", "a good config lets status write again");
    assert.match(brOk(["tasks", "generate"], { cwd }).stdout, /tasks \(\d+ new/);
  });
});
