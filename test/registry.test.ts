import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import * as z from "zod";
import { br, brJson, brOk, git, initializedRepo, readJson, snapshot, tempRepo } from "./helpers.ts";

// The shapes of SPEC §3, written out independently of the product's own schema.
const isoDate = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const specFeature = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  status: z.enum(["planned", "in_progress", "testing", "complete", "blocked"]),
  priority: z.enum(["critical", "high", "medium", "low"]),
  dependsOn: z.array(z.string()),
  acceptance: z.array(z.string()),
  files: z.array(z.string()).optional(),
  createdAt: isoDate,
  updatedAt: isoDate,
  completedAt: isoDate.optional(),
  // BuildRunner's one addition: why a blocked feature is blocked.
  blockedReason: z.string().optional(),
});
const specCounts = z.strictObject({
  planned: z.number(),
  in_progress: z.number(),
  testing: z.number(),
  complete: z.number(),
  blocked: z.number(),
});
const specSpend = z.strictObject({
  calls: z.number(),
  costUsd: z.number(),
  tokens: z.strictObject({ input: z.number(), output: z.number() }),
});
const specStatus = z.strictObject({ project: z.string(), counts: specCounts, completion: z.number().min(0).max(100), cost: specSpend });

function seeded(): string {
  const cwd = initializedRepo("shop");
  brOk(["features", "add", "Data model", "-p", "critical", "-a", "Records validate"], { cwd });
  brOk(["features", "add", "User accounts", "-p", "high", "--depends-on", "data-model", "-d", "Sign-up and sign-in."], { cwd });
  brOk(["features", "add", "Checkout", "--depends-on", "data-model,user-accounts", "--files", "src/checkout/**"], { cwd });
  brOk(["features", "add", "Reports", "-p", "low"], { cwd });
  return cwd;
}

describe("br init", () => {
  it("creates the project files, the state folder and the .gitignore entry", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, ".gitignore"), "node_modules\n");
    brOk(["init", "my-app"], { cwd });
    for (const file of [
      "features.json",
      "config.yaml",
      "STATUS.md",
      "context/architecture.md",
      "context/decisions.md",
      "context/project.md",
    ]) {
      assert.ok(existsSync(join(cwd, ".buildrunner", file)), file);
    }
    assert.ok(existsSync(join(cwd, ".buildrunner", "state")));
    assert.equal(readFileSync(join(cwd, ".gitignore"), "utf8"), "node_modules\n# BuildRunner machine-local state\n.buildrunner/state/\n");
    assert.deepEqual(readJson(join(cwd, ".buildrunner", "features.json")), { schemaVersion: 1, project: "my-app", features: [] });
    assert.match(readFileSync(join(cwd, ".buildrunner", "config.yaml"), "utf8"), /^version: 1$/m);
    assert.match(readFileSync(join(cwd, "AGENTS.md"), "utf8"), /BEGIN BUILDRUNNER/);
    assert.match(readFileSync(join(cwd, "CLAUDE.md"), "utf8"), /BEGIN BUILDRUNNER/);
    assert.deepEqual(readJson(join(cwd, ".buildrunner", "tasks.json")), { schemaVersion: 1, tasks: [] });
    // git sees the project files but not the machine-local state.
    writeFileSync(join(cwd, ".buildrunner", "state", "probe"), "x");
    const untracked = git(cwd, "status", "--porcelain", "--untracked-files=all");
    assert.match(untracked, /\.buildrunner\/features\.json/);
    assert.doesNotMatch(untracked, /\.buildrunner\/state/);
  });

  it("refuses to run twice, and --force keeps features, settings and the user's text", () => {
    const cwd = seeded();
    brOk(["config", "set", "run.maxAttempts", "4"], { cwd });
    const agents = join(cwd, "AGENTS.md");
    writeFileSync(
      agents,
      `# My rules\n\nAlways run the linter.\n\n${readFileSync(agents, "utf8").split("\n").slice(2).join("\n")}\nFooter text.\n`,
    );
    const before = snapshot(cwd);
    const again = br(["init"], { cwd });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already a BuildRunner project/);
    assert.match(again.stderr, /--force/);
    assert.deepEqual(snapshot(cwd), before, "a refused init changes nothing");

    brOk(["init", "--force"], { cwd });
    const features = brJson<{ features: { id: string }[] }>(["features", "list"], { cwd }).features;
    assert.equal(features.length, 4);
    assert.equal(brJson<{ value: number }>(["config", "get", "run.maxAttempts"], { cwd }).value, 4);
    const text = readFileSync(agents, "utf8");
    assert.ok(text.startsWith("# My rules\n\nAlways run the linter.\n"));
    assert.ok(text.endsWith("Footer text.\n"));
    assert.equal(text.split("BEGIN BUILDRUNNER").length, 2, "exactly one managed section");
  });
});

describe("br features", () => {
  it("adds, lists, shows, updates and removes features in the spec's shapes", () => {
    const cwd = seeded();
    const list = brJson<{ features: unknown[] }>(["features", "list"], { cwd });
    z.strictObject({ features: z.array(specFeature) }).parse(list);
    const ids = (list.features as { id: string }[]).map((f) => f.id);
    assert.deepEqual(ids, ["data-model", "user-accounts", "checkout", "reports"], "critical, high, medium, low");

    const shown = brJson<{ feature: z.infer<typeof specFeature> }>(["features", "show", "checkout"], { cwd }).feature;
    specFeature.parse(shown);
    assert.deepEqual(shown.dependsOn, ["data-model", "user-accounts"]);
    assert.deepEqual(shown.files, ["src/checkout/**"]);
    assert.equal(shown.priority, "medium");

    brOk(["features", "update", "checkout", "--name", "Checkout flow", "-p", "high", "-a", "Pays", "-a", "Emails a receipt"], { cwd });
    const updated = brJson<{ feature: z.infer<typeof specFeature> }>(["features", "show", "checkout"], { cwd }).feature;
    assert.equal(updated.id, "checkout", "the id is stable when the name changes");
    assert.equal(updated.name, "Checkout flow");
    assert.deepEqual(updated.acceptance, ["Pays", "Emails a receipt"]);
    assert.ok(updated.updatedAt > shown.updatedAt, "updatedAt moves on");
    assert.equal(updated.createdAt, shown.createdAt);

    assert.deepEqual(
      brJson<{ features: { id: string }[] }>(["features", "list", "--priority", "high"], { cwd }).features.map((f) => f.id),
      ["user-accounts", "checkout"],
    );

    const refused = br(["features", "remove", "data-model"], { cwd });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /dependency of user-accounts, checkout/);
    brOk(["features", "remove", "reports"], { cwd });
    brOk(["features", "remove", "data-model", "--force"], { cwd });
    const left = brJson<{ features: { id: string; dependsOn: string[] }[] }>(["features", "list"], { cwd }).features;
    assert.deepEqual(
      left.map((f) => [f.id, f.dependsOn]),
      [
        ["user-accounts", []],
        ["checkout", ["user-accounts"]],
      ],
    );
  });

  it("rejects duplicates, unknown dependencies, self-dependencies and cycles with exit 2", () => {
    const cwd = seeded();
    const before = snapshot(cwd);
    const cases: [string[], RegExp][] = [
      [["features", "add", "Data Model"], /already exists/],
      [["features", "add", "Wishlist", "--depends-on", "nope"], /Unknown dependency "nope"/],
      [["features", "update", "reports", "--depends-on", "reports"], /cannot depend on itself/],
      [["features", "update", "data-model", "--depends-on", "checkout"], /cycle: data-model → checkout → data-model/],
      [["features", "add", "!!!"], /Cannot make an id from the name "!!!"[\s\S]*--id/],
      [["features", "add", "Ok", "--id", "Not Valid"], /not a valid feature id/],
      [["features", "add", "Thing", "--priority", "urgent"], /Unknown priority "urgent"/],
      [["features", "add", "Two\nlines"], /one line without control characters/],
      [["features", "add", "Empty id", "--id", ""], /not a valid feature id/],
    ];
    for (const [args, message] of cases) {
      const result = br(args, { cwd });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
    }
    assert.deepEqual(snapshot(cwd), before, "nothing changed on disk");
  });
});

describe("status transitions", () => {
  const allowed: Record<string, string[]> = {
    planned: ["in_progress", "blocked"],
    in_progress: ["testing", "blocked", "planned"],
    testing: ["complete", "in_progress", "blocked"],
    blocked: ["planned", "in_progress"],
    complete: ["in_progress"],
  };
  const statuses = Object.keys(allowed);

  it("allows exactly the moves of the spec; others exit 2 naming the allowed moves", () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Probe"], { cwd });
    for (const from of statuses) {
      for (const to of statuses) {
        if (from === to) continue;
        brOk(["features", "update", "probe", "--status", from, "--force"], { cwd });
        const result = br(["features", "update", "probe", "--status", to, "--reopen"], { cwd });
        const legal = allowed[from]?.includes(to) === true;
        assert.equal(result.code, legal ? 0 : 2, `${from} → ${to}: ${result.stderr}`);
        if (!legal) {
          assert.match(result.stderr, new RegExp(`cannot move from ${from} to ${to}`));
          for (const move of allowed[from] ?? []) assert.match(result.stderr, new RegExp(move));
        }
      }
    }
  });

  it("needs --reopen to leave complete, sets and clears completedAt, and records --force", () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Probe"], { cwd });
    brOk(["features", "start", "probe"], { cwd });
    assert.equal(br(["features", "complete", "probe"], { cwd }).code, 2, "in_progress → complete is not allowed");
    brOk(["features", "update", "probe", "--status", "testing"], { cwd });
    const done = brJson<{ feature: { completedAt?: string; status: string } }>(["features", "complete", "probe"], { cwd }).feature;
    assert.equal(done.status, "complete");
    assert.ok(done.completedAt);
    const refused = br(["features", "start", "probe"], { cwd });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--reopen/);
    const reopened = brJson<{ feature: { completedAt?: string } }>(["features", "start", "probe", "--reopen"], { cwd }).feature;
    assert.equal(reopened.completedAt, undefined);

    const forced = brJson<{ forcedMove: { from: string; to: string } }>(["features", "complete", "probe", "--force"], { cwd });
    assert.deepEqual(forced.forcedMove, { from: "in_progress", to: "complete" });
    const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
    db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
    const events = db.prepare("SELECT kind, subject, data FROM events WHERE kind = 'feature.forced-move'").all() as {
      subject: string;
      data: string;
    }[];
    db.close();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.subject, "probe");
    assert.deepEqual(JSON.parse(events[0]?.data ?? "{}").to, "complete");
  });

  it("records why a feature is blocked and clears it when unblocked", () => {
    const cwd = seeded();
    brOk(["features", "block", "checkout", "--reason", "waiting for the payment provider"], { cwd });
    assert.match(readFileSync(join(cwd, ".buildrunner", "context", "blockers.md"), "utf8"), /checkout.*waiting for the payment provider/);
    assert.match(readFileSync(join(cwd, "AGENTS.md"), "utf8"), /Blocked:\n {2}- Checkout \(`checkout`\): waiting for the payment provider/);
    const unblocked = brJson<{ feature: { blockedReason?: string } }>(["features", "update", "checkout", "--status", "planned"], { cwd });
    assert.equal(unblocked.feature.blockedReason, undefined);
  });
});

describe("br status and generated files", () => {
  it("matches the spec's JSON shape and regenerates STATUS.md with every feature", () => {
    const cwd = seeded();
    brOk(["features", "start", "data-model"], { cwd });
    brOk(["features", "update", "data-model", "--status", "testing"], { cwd });
    brOk(["features", "complete", "data-model"], { cwd });
    brOk(["features", "start", "user-accounts"], { cwd });
    brOk(["features", "update", "user-accounts", "--status", "testing"], { cwd });
    brOk(["features", "block", "reports", "--reason", "no data yet"], { cwd });
    const status = specStatus.parse(brJson(["status"], { cwd }));
    assert.deepEqual(status.counts, { planned: 1, in_progress: 0, testing: 1, complete: 1, blocked: 1 });
    assert.equal(status.completion, 25);
    assert.equal(status.project, "shop");

    const md = readFileSync(join(cwd, ".buildrunner", "STATUS.md"), "utf8");
    assert.match(md, /^# shop: status/);
    assert.match(md, /Completion: \*\*25%\*\*/);
    for (const heading of ["## Blocked (1)", "## Testing (1)", "## Planned (1)", "## Complete (1)"])
      assert.ok(md.includes(heading), heading);
    assert.ok(md.indexOf("## Blocked") < md.indexOf("## Testing"));
    assert.match(md, /### Checkout\n\n- id: `checkout`, priority: medium\n- depends on: `data-model`, `user-accounts`/);
    assert.match(md, /- blocked: no data yet/);
    assert.match(md, /- \[x\] Records validate/);
    assert.match(md, /_Generated by BuildRunner at \d{4}-\d\d-\d\dT/);
  });

  it("refreshes the managed section whenever the registry changes, never touching the user's text", () => {
    const cwd = tempRepo();
    const userClaude = "# House rules\n\nUse tabs.\n";
    writeFileSync(join(cwd, "CLAUDE.md"), userClaude);
    brOk(["init"], { cwd });
    const claude = readFileSync(join(cwd, "CLAUDE.md"), "utf8");
    assert.ok(claude.startsWith(userClaude), "the user's text comes first, untouched");
    brOk(["features", "add", "Search"], { cwd });
    brOk(["features", "start", "search"], { cwd });
    for (const file of ["AGENTS.md", "CLAUDE.md"]) {
      const text = readFileSync(join(cwd, file), "utf8");
      assert.match(text, /In progress:\n {2}- Search \(`search`\)/, file);
      assert.match(text, /Progress: 0 of 1 features complete/, file);
    }
    assert.ok(readFileSync(join(cwd, "CLAUDE.md"), "utf8").startsWith(userClaude));
  });

  it("updates a symlinked CLAUDE.md once, through the link, and keeps CRLF line endings", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "AGENTS.md"), "# Rules\r\n\r\nBe kind.\r\n");
    symlinkSync("AGENTS.md", join(cwd, "CLAUDE.md"));
    brOk(["init"], { cwd });
    brOk(["features", "add", "Search"], { cwd });
    assert.ok(lstatSync(join(cwd, "CLAUDE.md")).isSymbolicLink(), "still a link");
    const text = readFileSync(join(cwd, "AGENTS.md"), "utf8");
    assert.equal(text.split("BEGIN BUILDRUNNER").length, 2);
    assert.ok(text.startsWith("# Rules\r\n\r\nBe kind.\r\n"));
    assert.doesNotMatch(text.replace(/\r\n/g, ""), /\n/, "every line ends in CRLF");
  });

  it("a generated file that cannot be written is a warning; the registry change still lands", () => {
    const cwd = initializedRepo();
    rmSync(join(cwd, "AGENTS.md"));
    mkdirSync(join(cwd, "AGENTS.md"));
    const result = br(["features", "add", "Search"], { cwd });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /warning: could not update AGENTS\.md \(EISDIR\)/);
    assert.equal(readJson<{ features: unknown[] }>(join(cwd, ".buildrunner", "features.json")).features.length, 1);
  });

  it("leaves an instruction file with broken markers alone and says so", () => {
    const cwd = initializedRepo();
    const broken = "# Mine\n<!-- BEGIN BUILDRUNNER: managed by `br`, edits between these markers are replaced -->\nno end marker\n";
    writeFileSync(join(cwd, "AGENTS.md"), broken);
    const result = brOk(["features", "add", "Search"], { cwd });
    assert.match(result.stderr, /AGENTS.md has unmatched BuildRunner markers; left unchanged/);
    assert.equal(readFileSync(join(cwd, "AGENTS.md"), "utf8"), broken);
    assert.match(readFileSync(join(cwd, "CLAUDE.md"), "utf8"), /Progress: 0 of 1/);
  });
});
