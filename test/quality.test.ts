import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { project as agentProject, tasks as planTasks } from "./agent-project.ts";
import { br, brOk, git, initializedRepo, tempDir, tempRepo } from "./helpers.ts";

const FIXTURES = resolve(import.meta.dirname, "fixtures", "quality");
const BIOME = resolve(import.meta.dirname, "..", "node_modules", "@biomejs", "biome", "bin", "biome");

interface Gate {
  name: string;
  passed: boolean;
  value: number;
  threshold: number;
  details: string[];
}
interface QualityResult {
  passed: boolean;
  score: number;
  gates: Gate[];
  skipped: { name: string }[];
}
interface Gap {
  id: string;
  kind: string;
  severity: string;
  file?: string;
  line?: number;
  featureId?: string;
  message: string;
  suggestion: string;
}

function write(cwd: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
}

/** A small project with one planted problem of each kind the issue names, and nothing else wrong. */
function plantedProject(): string {
  const cwd = initializedRepo();
  write(cwd, {
    "package.json": '{ "name": "shop", "type": "module" }\n',
    "src/cart.js": [
      "export function total(items) {",
      "  let sum = 0;",
      "  for (const item of items) {",
      "    if (item.qty > 0) sum += item.price * item.qty;",
      "  }",
      "  return sum;",
      "}",
      "",
      "export function count(items) {",
      "  return items.length;",
      "}",
      "",
    ].join("\n"),
    "src/refund.ts": ["export function refund(amount: number): number {", '  throw new Error("Not implemented yet");', "}", ""].join("\n"),
    "src/report.js": [
      "// TODO: add the monthly totals",
      "export function weekly(days) {",
      "  let sum = 0;",
      "  for (const d of days) sum += d;",
      "  return sum;",
      "}",
      "export function daily(days) {",
      "  return days.at(-1);",
      "}",
      "export function best(days) {",
      "  return Math.max(...days);",
      "}",
      "export function worst(days) {",
      "  return Math.min(...days);",
      "}",
      "",
    ].join("\n"),
    "app/tax.py": [
      "def rate(country):",
      '    """The VAT rate."""',
      "    raise NotImplementedError",
      "",
      "",
      "def stamp(doc):",
      "    pass",
      "",
    ].join("\n"),
    "test/cart.test.js": [
      'import test from "node:test";',
      'import assert from "node:assert/strict";',
      'import { total } from "../src/cart.js";',
      'test("total", () => assert.equal(total([{ price: 2, qty: 3 }]), 6));',
      "",
    ].join("\n"),
    "test/report.test.js": [
      'import test from "node:test";',
      'import assert from "node:assert/strict";',
      'import { weekly } from "../src/report.js";',
      'test("weekly", () => assert.equal(weekly([1, 2]), 3));',
      "",
    ].join("\n"),
    // A fixture is never a source to test, and its TODO is not the project's.
    "test/fixtures/sample.js": "// TODO: not a project marker\nexport const sample = () => 1;\n",
    "lintme/bad.js": "export function f(a) {\n  if (a == 1) debugger;\n  return a;\n}\n",
    "biome.json": '{ "files": { "includes": ["lintme/**"] }, "linter": { "rules": { "recommended": true } } }\n',
  });
  brOk(["features", "add", "Receipts", "--description", "email a receipt"], { cwd });
  brOk(["features", "update", "receipts", "--status", "complete", "--force"], { cwd });
  brOk(["config", "set", "commands.lint", `node ${BIOME} lint --reporter=json lintme`], { cwd });
  brOk(
    [
      "config",
      "set",
      "commands.test",
      "node --test --experimental-test-coverage --test-reporter=spec --test-reporter-destination=stdout --test-reporter=lcov --test-reporter-destination=lcov.info test/*.test.js",
    ],
    { cwd },
  );
  brOk(["config", "set", "commands.coverage", "lcov.info"], { cwd });
  brOk(["config", "set", "gates.coverage", "95"], { cwd });
  writeFileSync(join(cwd, ".gitignore"), ".buildrunner/state/\nlcov.info\n");
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "shop");
  return cwd;
}

describe("br quality check", () => {
  it("runs the tests and lint, reads their real outputs, measures the code, and fails on the failing gates", () => {
    const cwd = plantedProject();
    const run = br(["quality", "check", "--json"], { cwd });
    assert.equal(run.code, 1, run.stderr);
    const result = JSON.parse(run.stdout) as QualityResult;
    const gate = (name: string) => result.gates.find((g) => g.name === name) as Gate;
    assert.deepEqual(
      result.gates.map((g) => [g.name, g.passed]),
      [
        ["lint", false],
        ["tests", true],
        ["coverage", false],
        ["complexity", true],
        ["function-length", true],
        ["file-length", true],
        ["duplication", true],
      ],
    );
    assert.equal(gate("lint").value, 2, "biome's two errors (== and debugger), read from its JSON");
    assert.match(gate("lint").details.join("\n"), /lintme\/bad\.js:2:\d+ lint\/suspicious\/noDebugger/);
    assert.ok(gate("coverage").value > 50 && gate("coverage").value < 95, `coverage ${gate("coverage").value}`);
    assert.match(gate("coverage").details.join("\n"), /below the floor of 95%/);
    assert.equal(gate("complexity").value, 3, "total(): a for-of and an if");
    assert.deepEqual(
      result.skipped.map((s) => s.name),
      ["build", "typecheck"],
    );
    assert.ok(result.score > 0 && result.score < 100);
    const text = br(["quality", "check"], { cwd });
    assert.match(text.stdout, /✗ coverage/);
    assert.match(text.stdout, /· build\s+skipped: no commands\.build/);

    // The floor met: coverage passes; then a drop against the recorded value fails.
    brOk(["config", "set", "gates.coverage", "50"], { cwd });
    const met = JSON.parse(br(["quality", "check", "--json", "--only", "tests,coverage"], { cwd }).stdout) as QualityResult;
    assert.equal(met.passed, true);
    brOk(["config", "set", "gates.coverage", "10"], { cwd }); // Below what follows on any Node: only the drop can fail it.
    writeFileSync(join(cwd, "src", "extra.js"), `export function unused(x) {\n${"  x += 1;\n".repeat(30)}  return x;\n}\n`);
    writeFileSync(
      join(cwd, "test", "extra.test.js"),
      'import "../src/extra.js";\nimport test from "node:test";\ntest("loads", () => {});\n',
    );
    const dropped = br(["quality", "check", "--json", "--only", "tests,coverage"], { cwd });
    assert.equal(dropped.code, 1);
    const coverage = (JSON.parse(dropped.stdout) as QualityResult).gates.find((g) => g.name === "coverage") as Gate;
    assert.match(coverage.details.join("\n"), /dropped from [\d.]+% at the last full check/);
    // A partial run is not a full check: the dropped figure never becomes what the next run is compared with.
    const again = br(["quality", "check", "--json", "--only", "tests,coverage"], { cwd });
    assert.equal(again.code, 1, "still compared with the last full check, not with the partial run before");
    const againCoverage = (JSON.parse(again.stdout) as QualityResult).gates.find((g) => g.name === "coverage") as Gate;
    assert.deepEqual(againCoverage.details.slice(1), [coverage.details[1]], "compared with the same full check");
    assert.match(againCoverage.details[1] ?? "", /dropped from [\d.]+% at the last full check/);
  });

  it("reads each coverage and lint format from real tool output, with the tools' own totals", () => {
    const cwd = initializedRepo();
    const cases: [string, number][] = [
      ["lcov.info", 67.5],
      ["coverage-summary.json", 67.5],
      ["coverage-final.json", 67.5],
      ["cobertura-c8.xml", 67.5],
      ["coverage-py.json", 77.27],
      ["coverage-py.xml", 77.27],
    ];
    brOk(["config", "set", "gates.coverageMaxDrop", "100"], { cwd });
    for (const [file, pct] of cases) {
      copyFileSync(join(FIXTURES, file), join(cwd, file));
      // The tests (re)write the report, as a real test command does.
      brOk(["config", "set", "commands.test", `touch ${file}`], { cwd });
      brOk(["config", "set", "commands.coverage", file], { cwd });
      const result = JSON.parse(br(["quality", "check", "--json", "--only", "coverage"], { cwd }).stdout) as QualityResult;
      assert.equal(result.gates[0]?.value, pct, file);
    }
    for (const [file, errors, tool] of [
      ["eslint.json", 4, "eslint"],
      ["biome-lint.json", 5, "biome"],
    ] as const) {
      copyFileSync(join(FIXTURES, file), join(cwd, file));
      brOk(["config", "set", "commands.lint", `cat ${file}`], { cwd });
      const result = JSON.parse(br(["quality", "check", "--json", "--only", "lint"], { cwd }).stdout) as QualityResult;
      assert.equal(result.gates[0]?.value, errors, file);
      assert.match(result.gates[0]?.details[0] ?? "", new RegExp(`^${tool}: ${errors} errors`));
    }
    assert.equal(br(["quality", "check", "--only", "nonsense"], { cwd }).code, 2);
    assert.equal(br(["quality", "check", "--changed", "no-such-ref"], { cwd }).code, 2);
  });

  it("a malformed coverage report is a failed gate that says why, not an abort", () => {
    const cwd = initializedRepo();
    writeFileSync(join(cwd, "broken.json"), "{ not json");
    brOk(["config", "set", "commands.test", "touch broken.json"], { cwd });
    brOk(["config", "set", "commands.coverage", "broken.json"], { cwd });
    const broken = br(["quality", "check", "--json", "--only", "coverage"], { cwd });
    assert.equal(broken.code, 1, broken.stderr);
    const gate = (JSON.parse(broken.stdout) as QualityResult).gates[0] as Gate;
    assert.deepEqual([gate.name, gate.passed, gate.value], ["coverage", false, 0]);
    assert.match(gate.details.join("\n"), /broken\.json is not valid JSON/);
  });

  it("in br run, a malformed coverage report fails the task's coverage gate instead of stopping the run", () => {
    const p = agentProject("good");
    writeFileSync(join(p.cwd, "broken.json"), "{ not json");
    brOk(["config", "set", "commands.coverage", "broken.json"], { cwd: p.cwd });
    git(p.cwd, "add", "-A");
    git(p.cwd, "commit", "-qm", "coverage");
    const run = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.doesNotMatch(run.stderr, /^error:/m);
    const first = planTasks(p.cwd).find((t) => t.id === "greeting.core");
    assert.equal(first?.status, "failed");
    assert.match(first?.failureReason ?? "", /the coverage gate failed/);
  });

  it("a coverage report left from an earlier run does not pass: only one this test run wrote counts", () => {
    const cwd = initializedRepo();
    copyFileSync(join(FIXTURES, "lcov.info"), join(cwd, "lcov.info"));
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(cwd, "lcov.info"), anHourAgo, anHourAgo);
    brOk(["config", "set", "commands.test", "true"], { cwd });
    brOk(["config", "set", "commands.coverage", "lcov.info"], { cwd });
    brOk(["config", "set", "gates.coverage", "50"], { cwd });
    const stale = br(["quality", "check", "--json", "--only", "coverage"], { cwd });
    assert.equal(stale.code, 1, stale.stdout);
    const gate = (JSON.parse(stale.stdout) as QualityResult).gates[0] as Gate;
    assert.equal(gate.passed, false);
    assert.match(gate.details.join("\n"), /lcov\.info was not written by this test run/);
    // Once the tests write it, the same report passes.
    brOk(["config", "set", "commands.test", "touch lcov.info"], { cwd });
    const fresh = JSON.parse(brOk(["quality", "check", "--json", "--only", "coverage"], { cwd }).stdout) as QualityResult;
    assert.deepEqual(
      fresh.gates.map((g) => [g.name, g.passed, g.value]),
      [["coverage", true, 67.5]],
    );
  });

  it("refuses a --changed ref that would be a git option, an unknown ref, an empty --only, and --staged with --changed", () => {
    const cwd = initializedRepo();
    write(cwd, { "src/a.js": "export const a = 1;\n" });
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "init");
    const injected = br(["quality", "check", "--changed=--output=pwned"], { cwd });
    assert.equal(injected.code, 2, injected.stdout);
    assert.match(injected.stderr, /--output=pwned/);
    assert.deepEqual(
      readdirSync(cwd).filter((f) => f.startsWith("pwned")),
      [],
      "no file written by a git option",
    );
    const unknown = br(["quality", "check", "--changed", "no-such-ref"], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no-such-ref[\s\S]*fix:/);
    assert.equal(br(["quality", "check", "--changed", "HEAD"], { cwd }).code, 0, "a real ref still works");
    for (const only of ["", ",", " , "]) {
      const empty = br(["quality", "check", "--only", only], { cwd });
      assert.equal(empty.code, 2, `--only "${only}": ${empty.stdout}`);
      assert.match(empty.stderr, /No gate named/);
    }
    const both = br(["quality", "check", "--staged", "--changed", "HEAD"], { cwd });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--staged and --changed/);
  });

  it("writes Markdown, JSON and HTML reports with the history of scores", () => {
    const cwd = initializedRepo();
    assert.equal(br(["quality", "report"], { cwd }).code, 2, "nothing recorded yet");
    write(cwd, { "src/a.js": "export const a = (x) => (x ? 1 : 2);\n" });
    // No commands configured: a full check is br's own measures.
    for (let i = 0; i < 3; i++) brOk(["quality", "check"], { cwd });
    // Partial runs (the hook's among them) are not recorded: the history is full checks.
    brOk(["quality", "check", "--only", "complexity"], { cwd });
    brOk(["quality", "check", "--changed", "HEAD"], { cwd });
    git(cwd, "add", "src/a.js");
    brOk(["quality", "check", "--staged", "--only", "complexity,function-length,file-length"], { cwd });
    const json = JSON.parse(brOk(["quality", "report", "--json"], { cwd }).stdout) as { history: unknown[]; latest: { score: number } };
    assert.equal(json.history.length, 3);
    assert.equal(json.latest.score, 100);
    assert.match(brOk(["quality", "report"], { cwd }).stdout, /^# Quality: /);
    brOk(["quality", "report", "--format", "html", "--output", "quality.html"], { cwd });
    const html = readFileSync(join(cwd, "quality.html"), "utf8");
    assert.match(html, /<svg[^>]+id="score-chart"/);
    assert.equal((html.match(/<circle /g) ?? []).length, 3, "one point per recorded check");
  });
});

describe("the pre-commit hook's fast gates", () => {
  it("in a br project, a commit adding a function above the complexity limit is blocked; a simpler one passes", () => {
    const cwd = initializedRepo();
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "init");
    brOk(["config", "set", "gates.complexity", "3"], { cwd });
    brOk(["hooks", "install"], { cwd });
    const branches = Array.from({ length: 5 }, (_, i) => `  if (x === ${i}) return ${i};`).join("\n");
    write(cwd, { "src/pick.js": `export function pick(x) {\n${branches}\n  return -1;\n}\n` });
    git(cwd, "add", "src/pick.js");
    const blocked = spawnSync("git", ["commit", "-qm", "pick"], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(blocked.status, 1);
    assert.match(blocked.stdout + blocked.stderr, /✗ complexity\s+6\s+\(threshold 3\)[\s\S]*src\/pick\.js:1 pick: complexity 6/);
    write(cwd, { "src/pick.js": "export function pick(x) {\n  return x === 1 ? 1 : -1;\n}\n" });
    git(cwd, "add", "src/pick.js");
    const passed = spawnSync("git", ["commit", "-qm", "pick"], { cwd, encoding: "utf8" });
    assert.equal(passed.status, 0, passed.stdout + passed.stderr);
  });

  it("judges exactly what is committed: untracked and unstaged work never blocks, staged text is what counts", () => {
    // Before the first commit: no HEAD, and the hook still judges the staged files.
    const cwd = tempRepo();
    brOk(["init", "demo"], { cwd });
    brOk(["hooks", "install"], { cwd });
    const branches = Array.from({ length: 30 }, (_, i) => `  if (x === ${i}) return ${i};`).join("\n");
    const complex = `export function pick(x) {\n${branches}\n  return -1;\n}\n`;
    const simple = "export function pick(x) {\n  return x;\n}\n";
    const commit = (message: string) =>
      spawnSync("git", ["commit", "-qm", message], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    write(cwd, { "src/pick.js": complex });
    git(cwd, "add", "src/pick.js");
    const first = commit("first");
    assert.equal(first.status, 1, "a staged function of complexity 31 blocks the first commit");
    assert.match(first.stdout + first.stderr, /✗ complexity\s+31 [\s\S]*src\/pick\.js:1 pick: complexity 31/);
    git(cwd, "rm", "-q", "--cached", "src/pick.js");
    write(cwd, { "README.md": "# demo\n" });
    git(cwd, "add", "README.md", ".gitignore", ".buildrunner");
    const unrelated = commit("first");
    assert.equal(
      unrelated.status,
      0,
      `an untracked complex file does not block an unrelated commit\n${unrelated.stdout}${unrelated.stderr}`,
    );

    // Staged simple, working tree complex: the index's text is what the commit holds.
    write(cwd, { "src/other.js": simple });
    git(cwd, "add", "src/other.js");
    write(cwd, { "src/other.js": complex });
    const stagedSimple = commit("other");
    assert.equal(stagedSimple.status, 0, stagedSimple.stdout + stagedSimple.stderr);
    // Staged complex, working tree simplified but not staged: blocked.
    git(cwd, "add", "src/other.js");
    write(cwd, { "src/other.js": simple });
    const stagedComplex = commit("other");
    assert.equal(stagedComplex.status, 1);
    assert.match(stagedComplex.stdout + stagedComplex.stderr, /src\/other\.js:1 pick: complexity 31/);
    assert.doesNotMatch(stagedComplex.stdout + stagedComplex.stderr, /src\/pick\.js/, "the untracked file is never measured");
  });
});

describe("br gaps", () => {
  it("reports every planted gap with its severity, and nothing else; gaps fix adds each task once", () => {
    const cwd = plantedProject();
    br(["quality", "check"], { cwd });
    const run = br(["gaps", "analyze", "--json"], { cwd });
    assert.equal(run.code, 0, run.stderr);
    const gaps = (JSON.parse(run.stdout) as { gaps: Gap[] }).gaps;
    assert.deepEqual(
      gaps.map((g) => [g.severity, g.kind, g.file ?? g.featureId ?? "", g.line ?? 0]),
      [
        ["critical", "feature-unbacked", "receipts", 0],
        ["high", "stub", "app/tax.py", 1],
        ["high", "stub", "app/tax.py", 6],
        ["high", "stub", "src/refund.ts", 1],
        ["high", "gate-failed", "", 0],
        ["high", "gate-failed", "", 0],
        ["low", "marker", "src/report.js", 1],
      ],
      JSON.stringify(gaps, null, 1),
    );
    assert.deepEqual(
      gaps.filter((g) => g.kind === "gate-failed").map((g) => /The (\w+) gate/.exec(g.message)?.[1]),
      ["lint", "coverage"],
    );
    for (const g of gaps) assert.ok(g.suggestion.length > 10 && /^gap-[0-9a-f]{10}$/.test(g.id), JSON.stringify(g));

    // An untested module appears once its test is gone; tests and fixtures never do.
    git(cwd, "rm", "-q", "test/report.test.js");
    const after = (JSON.parse(brOk(["gaps", "analyze", "--json"], { cwd }).stdout) as { gaps: Gap[] }).gaps;
    assert.deepEqual(
      after.filter((g) => g.kind === "untested").map((g) => [g.severity, g.file]),
      [["low", "src/report.js"]],
    );

    const fixed = JSON.parse(brOk(["gaps", "fix", "--json"], { cwd }).stdout) as { added: { task: string }[] };
    assert.equal(fixed.added.length, after.length);
    const again = JSON.parse(brOk(["gaps", "fix", "--json"], { cwd }).stdout) as { added: unknown[]; existing: unknown[] };
    assert.equal(again.added.length, 0, "deduplicated across runs");
    assert.equal(again.existing.length, after.length);
    const tasks = JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as {
      tasks: { id: string; featureId: string; files: string[] }[];
    };
    assert.ok(
      tasks.tasks.some((t) => t.id.startsWith("receipts.gap-")),
      "the feature's gap is the feature's task",
    );
    assert.ok(tasks.tasks.some((t) => t.featureId === "quality-gaps" && t.files[0] === "src/refund.ts"));
    assert.match(brOk(["features", "show", "quality-gaps"], { cwd }).stdout, /Close quality gaps/);
    const sarif = JSON.parse(brOk(["gaps", "analyze", "--format", "sarif"], { cwd }).stdout) as {
      version: string;
      runs: { results: unknown[] }[];
    };
    assert.equal(sarif.version, "2.1.0");
    assert.equal(sarif.runs[0]?.results.length, after.length);
  });

  it("a complete feature whose files are styles, not parsed code, is backed by them", () => {
    const cwd = initializedRepo();
    write(cwd, { "styles/theme.css": "body { color: #222; }\n", "styles/print.css": "@media print { nav { display: none; } }\n" });
    brOk(["features", "add", "Theme", "--description", "the site's look"], { cwd });
    brOk(["features", "update", "theme", "--files", "styles/*.css", "--status", "complete", "--force"], { cwd });
    brOk(["features", "add", "Receipts", "--description", "email a receipt"], { cwd });
    brOk(["features", "update", "receipts", "--files", "receipts/**", "--status", "complete", "--force"], { cwd });
    const gaps = (JSON.parse(brOk(["gaps", "analyze", "--json"], { cwd }).stdout) as { gaps: Gap[] }).gaps;
    assert.deepEqual(
      gaps.filter((g) => g.featureId !== undefined).map((g) => [g.kind, g.featureId]),
      [["feature-unbacked", "receipts"]],
      JSON.stringify(gaps, null, 1),
    );
  });

  it("gives identical markers and anonymous stubs in one file distinct ids, so gaps fix plans each", () => {
    const cwd = initializedRepo();
    const stub = '  function () {\n    throw new Error("not implemented");\n  },\n';
    write(cwd, {
      "src/jobs.js": `// TODO: retry on failure\nexport const jobs = [\n${stub}${stub}];\n// TODO: retry on failure\n`,
      "test/jobs.test.js": 'import "../src/jobs.js";\n',
    });
    const first = (JSON.parse(brOk(["gaps", "analyze", "--json"], { cwd }).stdout) as { gaps: Gap[] }).gaps;
    const markers = first.filter((g) => g.kind === "marker");
    const stubs = first.filter((g) => g.kind === "stub");
    assert.deepEqual(
      markers.map((g) => g.line),
      [1, 10],
    );
    assert.deepEqual(
      stubs.map((g) => g.line),
      [3, 6],
    );
    const ids = first.map((g) => g.id);
    assert.equal(new Set(ids).size, ids.length, JSON.stringify(ids));
    for (const id of ids) assert.match(id, /^gap-[0-9a-f]{10}$/);
    const fixed = JSON.parse(brOk(["gaps", "fix", "--json"], { cwd }).stdout) as { added: { gap: string }[]; existing: unknown[] };
    assert.equal(fixed.added.length, 4, JSON.stringify(fixed));
    assert.equal(fixed.existing.length, 0);
    // Stable: lines moving (a line added above) changes no id.
    write(cwd, { "src/jobs.js": `// a header\n${readFileSync(join(cwd, "src/jobs.js"), "utf8")}` });
    const moved = (JSON.parse(brOk(["gaps", "analyze", "--json"], { cwd }).stdout) as { gaps: Gap[] }).gaps;
    assert.deepEqual(
      moved.map((g) => g.id),
      ids,
    );
    assert.equal((JSON.parse(brOk(["gaps", "fix", "--json"], { cwd }).stdout) as { added: unknown[] }).added.length, 0);
  });

  it("finishes on a real, healthy TypeScript project from npm with no critical gap", () => {
    const cwd = tempDir();
    cpSync(resolve(import.meta.dirname, "..", "node_modules", "zod"), cwd, { recursive: true });
    git(cwd, "init", "-q");
    brOk(["init", "zod"], { cwd });
    const result = JSON.parse(brOk(["gaps", "analyze", "--json"], { cwd }).stdout) as { gaps: Gap[]; summary: { files: number } };
    assert.ok(result.summary.files > 300, `${result.summary.files} files`);
    assert.deepEqual(
      result.gaps.filter((g) => g.severity === "critical"),
      [],
    );
  });
});
