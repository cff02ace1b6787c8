/**
 * `br migrate` and `br migrate rollback` (SPEC §11) on synthetic projects in the older layouts:
 * BuildRunner 2.0 (.runner/) and the Python BuildRunner 3.0 (.buildrunner/features.json in its own
 * shape). Every br command reads the result; the dry run changes nothing; rollback restores byte
 * for byte and refuses over a file the user changed; bad inputs exit 2 and change nothing.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, git, readJson, snapshot, tempRepo } from "./helpers.ts";

/** A fake key in .env: it must never appear anywhere br writes. */
const ENV_KEY = ["sk-ant-", "api03-", "ZZZZYYYYXXXXWWWWVVVVUUUUTTTTSSSS0987654321abcdEFGH"].join("");
/** A key pasted into the summary: carried masked, never whole. */
const SUMMARY_KEY = ["sk-ant-", "api03-", "AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH1234567890wxyzQRST"].join("");

const HRPO = {
  project_name: "Shop",
  executive_summary: `An online shop. The old notes held ${SUMMARY_KEY} by mistake.`,
  value_proposition: "Sell things simply",
  intended_audience: ["makers", "buyers"],
  features: [
    "User accounts",
    { name: "Checkout", description: "Pay for things", status: "in_progress", priority: "high" },
    { name: "Search", status: "completed" },
  ],
  build_plan: {
    phases: [
      {
        name: "Foundation",
        steps: [
          { id: "1.1", name: "Set up repo", done: true },
          { id: "1.2", name: "Data model", done: true },
        ],
      },
      { name: "Payments", steps: [{ id: "2.1", name: "Stripe integration", done: false }] },
    ],
  },
  progress: { steps_completed: 2, total_steps: 3, percent_complete: 66 },
  next_version_features: ["Wishlists"],
};

const GOVERNANCE = {
  project: { name: "Shop", slug: "shop" },
  policies: {
    min_coverage: 85,
    require_review: true,
    fail_on: "critical",
    webhook_token: ["ghp_", "0123456789abcdefghijABCDEFGHIJ012345"].join(""),
  },
  versioning: { semver: { major: 1, minor: 2 } },
  stages: { order: ["draft", "done"], aliases: { wip: "draft" } },
  defaults: { default_stage: "draft" },
};

function v2Project(): string {
  const cwd = tempRepo();
  mkdirSync(join(cwd, ".runner"));
  writeFileSync(join(cwd, ".runner", "hrpo.json"), `${JSON.stringify(HRPO, null, 2)}\n`);
  writeFileSync(join(cwd, ".runner", "governance.json"), `${JSON.stringify(GOVERNANCE, null, 2)}\n`);
  writeFileSync(join(cwd, ".env"), `ANTHROPIC_API_KEY=${ENV_KEY}\n`);
  writeFileSync(join(cwd, "README.md"), "# Shop\n");
  writeFileSync(join(cwd, ".gitignore"), "node_modules/\n.env\n");
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "v2 project");
  return cwd;
}

const PYTHON_FEATURES = {
  project: { name: "Legacy App", description: "Built with the Python BuildRunner", version: "3.0.1" },
  version: "3.0",
  features: [
    { id: "auth", name: "Authentication", status: "completed", priority: "high", acceptance_criteria: ["Users can log in"] },
    { id: "profile", name: "Profiles", status: "in_progress", priority: "medium", dependencies: ["auth"] },
    { id: "billing", name: "Billing", status: "not_started", priority: "P1", dependencies: ["auth", "profile"] },
    { id: "export", name: "Export", status: "unknown" },
    { id: "docs", name: "Docs", status: "done", priority: "low" },
  ],
};

const PYTHON_GOVERNANCE = `# Python BuildRunner governance
quality:
  min_coverage: 70
  max_complexity: 12
workflow:
  require_tests: true
  enforcement: strict
security:
  fail_on: medium
`;

function pythonProject(): string {
  const cwd = tempRepo();
  mkdirSync(join(cwd, ".buildrunner", "governance"), { recursive: true });
  writeFileSync(join(cwd, ".buildrunner", "features.json"), `${JSON.stringify(PYTHON_FEATURES, null, 2)}\n`);
  writeFileSync(join(cwd, ".buildrunner", "governance", "governance.yaml"), PYTHON_GOVERNANCE);
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "python project");
  return cwd;
}

/** Every file's hash, .git and br's machine-local state aside (the backups live there). */
const tree = (cwd: string) => snapshot(cwd, [".git", ".buildrunner/state"]);

function allText(cwd: string, skip: string[]): string {
  let out = "";
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const rel = relative(cwd, full);
      if (skip.includes(rel)) continue;
      if (statSync(full).isDirectory()) walk(full);
      else out += `\n${rel}\n${readFileSync(full, "utf8")}`;
    }
  };
  walk(cwd);
  return out;
}

interface Report {
  features: { id: string; status: string; priority: string; dependsOn: string[] }[];
  statusMapping: { from: string; to: string; count: number }[];
  config: { applied: { key: string; value: unknown }[] };
  notCarried: { setting: string; why: string }[];
  files: { path: string; action: string }[];
  backup?: string;
}

function readsEverywhere(cwd: string): void {
  const status = brJson<{ counts: Record<string, number> }>(["status"], { cwd });
  assert.ok(status.counts);
  brJson(["features", "list"], { cwd });
  brJson(["tasks", "list"], { cwd });
  brJson(["tasks", "next"], { cwd });
  brOk(["run", "--dry-run"], { cwd });
}

describe("br migrate from BuildRunner 2.0", { timeout: 600_000 }, () => {
  it("dry run prints the plan and writes nothing at all", () => {
    const cwd = v2Project();
    const before = snapshot(cwd, [".git"]);
    const report = brJson<Report & { dryRun: boolean }>(["migrate", "--dry-run"], { cwd });
    assert.equal(report.dryRun, true);
    assert.ok(report.files.some((f) => f.path === ".buildrunner/features.json" && f.action === "create"));
    assert.deepEqual(snapshot(cwd, [".git"]), before);
    const human = brOk(["migrate", "--dry-run"], { cwd });
    assert.match(human.stdout, /Dry run: nothing was written/);
    assert.match(human.stdout, /step done → done \(2\)/);
    assert.deepEqual(snapshot(cwd, [".git"]), before);
  });

  it("writes a project every br command reads, statuses, phases and settings carried, no secret", () => {
    const cwd = v2Project();
    const report = brJson<Report>(["migrate"], { cwd });
    const byId = Object.fromEntries(report.features.map((f) => [f.id, f]));
    assert.deepEqual(Object.fromEntries(Object.entries(byId).map(([id, f]) => [id, f.status])), {
      "user-accounts": "planned",
      checkout: "in_progress",
      search: "complete",
      foundation: "complete",
      payments: "planned",
      wishlists: "planned",
    });
    assert.equal(byId.checkout?.priority, "high");
    assert.equal(byId.wishlists?.priority, "low");
    assert.deepEqual(byId.payments?.dependsOn, ["foundation"]);
    assert.ok(report.statusMapping.some((m) => m.from === "feature completed" && m.to === "complete"));
    const applied = Object.fromEntries(report.config.applied.map((c) => [c.key, c.value]));
    assert.deepEqual(applied, { "gates.coverage": 85, "security.failOn": "critical" });
    for (const setting of [
      "policies.require_review",
      "stages.order",
      "defaults.default_stage",
      "versioning.semver.major",
      "policies.webhook_token",
    ])
      assert.ok(
        report.notCarried.some((n) => n.setting.endsWith(setting)),
        setting,
      );
    assert.equal(brOk(["config", "get", "gates.coverage"], { cwd }).stdout.trim(), "85");

    const tasks = brJson<{ tasks: { id: string; status: string; dependsOn: string[] }[] }>(["tasks", "list"], { cwd }).tasks;
    assert.deepEqual(
      tasks.map((t) => [t.id, t.status]),
      [
        ["foundation.1-1", "done"],
        ["foundation.1-2", "done"],
        ["payments.2-1", "ready"],
      ],
    );
    assert.equal(brJson<{ task: { id: string } }>(["tasks", "next"], { cwd }).task.id, "payments.2-1");
    readsEverywhere(cwd);

    const everything = allText(cwd, [".git", ".env"]);
    assert.ok(!everything.includes(ENV_KEY), "the .env key appears in the result");
    assert.ok(!everything.includes("ZZZZYYYY"), "part of the .env key appears in the result");
    const features = readFileSync(join(cwd, ".buildrunner", "features.json"), "utf8");
    assert.ok(!features.includes(SUMMARY_KEY) && features.includes("sk-a***"), "the summary key is masked");
    assert.ok(!readFileSync(join(cwd, ".buildrunner", "config.yaml"), "utf8").includes("ghp_"));
  });

  it("running it again changes nothing", () => {
    const cwd = v2Project();
    brOk(["migrate"], { cwd });
    const after = tree(cwd);
    const again = brJson<{ changed: boolean }>(["migrate"], { cwd });
    assert.equal(again.changed, false);
    assert.deepEqual(tree(cwd), after);
  });

  it("rollback restores every file byte for byte and leaves the .env and git alone", () => {
    const cwd = v2Project();
    const before = tree(cwd);
    const head = git(cwd, "rev-parse", "HEAD");
    brOk(["migrate"], { cwd });
    assert.notDeepEqual(tree(cwd), before);
    const result = brJson<{ removed: string[]; restored: string[] }>(["migrate", "rollback"], { cwd });
    assert.ok(result.removed.includes(".buildrunner/features.json"));
    assert.ok(result.restored.includes(".gitignore"), "the .gitignore br appended to is restored");
    assert.deepEqual(tree(cwd), before);
    assert.equal(git(cwd, "rev-parse", "HEAD"), head);
  });

  it("rollback refuses, naming the migrated file the user changed; an unrelated edit survives; --force restores", () => {
    const cwd = v2Project();
    const before = tree(cwd);
    brOk(["migrate"], { cwd });
    writeFileSync(join(cwd, "README.md"), "# Shop\n\nMy own edit.\n");
    writeFileSync(join(cwd, "notes.txt"), "new file of mine\n");
    writeFileSync(join(cwd, "AGENTS.md"), `${readFileSync(join(cwd, "AGENTS.md"), "utf8")}\nMy agent notes.\n`);
    const edited = tree(cwd);
    const refused = br(["migrate", "rollback"], { cwd });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /AGENTS\.md/);
    assert.doesNotMatch(refused.stderr, /README|notes\.txt/);
    assert.deepEqual(tree(cwd), edited, "a refused rollback changes nothing");

    brOk(["migrate", "rollback", "--force"], { cwd });
    const restored = tree(cwd);
    assert.equal(readFileSync(join(cwd, "README.md"), "utf8"), "# Shop\n\nMy own edit.\n");
    assert.equal(readFileSync(join(cwd, "notes.txt"), "utf8"), "new file of mine\n");
    restored.delete("notes.txt");
    restored.set("README.md", before.get("README.md") as string);
    assert.deepEqual(restored, before);
  });
});

describe("br migrate from the Python BuildRunner 3.0", { timeout: 600_000 }, () => {
  it("maps its statuses, keeps dependencies and priorities, carries governance.yaml", () => {
    const cwd = pythonProject();
    const unmigrated = br(["status"], { cwd });
    assert.equal(unmigrated.code, 2);
    assert.match(unmigrated.stderr, /Python BuildRunner 3\.0's format[\s\S]*br migrate/);
    const before = tree(cwd);
    const dry = brJson<Report>(["migrate", "--dry-run"], { cwd });
    assert.ok(dry.files.some((f) => f.path === ".buildrunner/features.json" && f.action === "replace"));
    assert.deepEqual(tree(cwd), before);

    const report = brJson<Report>(["migrate"], { cwd });
    const byId = Object.fromEntries(report.features.map((f) => [f.id, f]));
    assert.deepEqual(Object.fromEntries(Object.entries(byId).map(([id, f]) => [id, [f.status, f.priority]])), {
      auth: ["complete", "high"],
      profile: ["in_progress", "medium"],
      billing: ["planned", "high"],
      export: ["planned", "medium"],
      docs: ["complete", "low"],
    });
    assert.deepEqual(byId.billing?.dependsOn, ["auth", "profile"]);
    for (const [from, to] of [
      ["completed", "complete"],
      ["not_started", "planned"],
      ["in_progress", "in_progress"],
      ["unknown", "planned"],
      ["done", "complete"],
    ])
      assert.ok(
        report.statusMapping.some((m) => m.from === from && m.to === to),
        `${from} → ${to}`,
      );
    const applied = Object.fromEntries(report.config.applied.map((c) => [c.key, c.value]));
    assert.deepEqual(applied, { "gates.coverage": 70, "gates.complexity": 12, "security.failOn": "medium" });
    assert.ok(report.notCarried.some((n) => n.setting.endsWith("workflow.enforcement")));

    const registry = readJson<{ project: string; schemaVersion: number }>(join(cwd, ".buildrunner", "features.json"));
    assert.equal(registry.project, "Legacy App");
    assert.equal(registry.schemaVersion, 1);
    brOk(["tasks", "generate"], { cwd });
    readsEverywhere(cwd);
    assert.equal(brJson<{ completion: number }>(["status"], { cwd }).completion, 40);
  });

  it("rollback puts the Python features.json back byte for byte", () => {
    const cwd = pythonProject();
    const before = tree(cwd);
    brOk(["migrate"], { cwd });
    brOk(["migrate", "rollback"], { cwd });
    assert.deepEqual(tree(cwd), before);
    assert.equal(br(["migrate", "rollback"], { cwd }).code, 2, "nothing left to roll back");
  });
});

describe("br migrate on bad input", { timeout: 600_000 }, () => {
  const cases: [string, (cwd: string) => void, RegExp][] = [
    [
      "a truncated hrpo.json",
      (cwd) => writeFileSync(join(cwd, ".runner", "hrpo.json"), JSON.stringify(HRPO).slice(0, 120)),
      /cut off|not valid JSON/,
    ],
    [
      "an unknown status",
      (cwd) => writeFileSync(join(cwd, ".runner", "hrpo.json"), JSON.stringify({ ...HRPO, features: [{ name: "X", status: "someday" }] })),
      /unknown status "someday"/,
    ],
    [
      "a file over the size limit",
      (cwd) => writeFileSync(join(cwd, ".runner", "hrpo.json"), `{"features": [${'"x",'.repeat(2_300_000)}"y"]}`),
      /limit/,
    ],
  ];
  for (const [what, damage, message] of cases) {
    it(`${what}: exit 2 naming the file and the place, nothing written`, () => {
      const cwd = v2Project();
      damage(cwd);
      const before = snapshot(cwd, [".git"]);
      const result = br(["migrate", "--json"], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /file: \.runner\/hrpo\.json/);
      assert.match(result.stderr, /fix:/);
      assert.equal((JSON.parse(result.stdout) as { error: { exitCode: number } }).error.exitCode, 2);
      assert.deepEqual(snapshot(cwd, [".git"]), before);
    });
  }

  for (const [what, features, message] of [
    ["a dangling dependency", [{ id: "a", name: "A", status: "done", dependencies: ["ghost"] }], /"ghost", which is not in the plan/],
    [
      "a dependency cycle",
      [
        { id: "a", name: "A", status: "done", dependencies: ["b"] },
        { id: "b", name: "B", status: "done", dependencies: ["a"] },
      ],
      /cycle: (a → b → a|b → a → b)/,
    ],
    ["an unknown Python status", [{ id: "a", name: "A", status: "shelved" }], /unknown status "shelved"/],
  ] as const) {
    it(`${what} in a Python features.json: exit 2, nothing written`, () => {
      const cwd = pythonProject();
      writeFileSync(join(cwd, ".buildrunner", "features.json"), JSON.stringify({ project: "P", features }));
      const before = snapshot(cwd, [".git"]);
      const result = br(["migrate"], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /at: {3}features\[\d\]/);
      assert.deepEqual(snapshot(cwd, [".git"]), before);
    });
  }

  it("a folder with nothing to migrate, and an unknown --from: exit 2", () => {
    const cwd = tempRepo();
    assert.equal(br(["migrate"], { cwd }).code, 2);
    assert.equal(br(["migrate", "--from", "v9"], { cwd }).code, 2);
    assert.deepEqual(readdirSync(cwd), [".git"]);
  });
});
