import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as z from "zod";
import { br, brAsync, brJson, brOk, brSpawn, initializedRepo, readJson, snapshot } from "./helpers.ts";

const SPEC = `# Shop

## Overview
An online shop for printed posters.

## Features

### Data model
Priority: critical
Products, carts and orders stored in Postgres tables.
Acceptance criteria:
- A product has a name, price and stock
- An order records its lines and total

### Accounts
Priority: high
Depends on: Data model
Sign-up and sign-in with hashed passwords and sessions.
Acceptance criteria:
- Passwords are hashed with scrypt
- A wrong password is refused
Files: src/accounts/**, test/accounts.test.ts

### Catalogue page
Priority: medium
Depends on: Data model
A page that lists products with their price and a buy button.
Acceptance criteria:
- Products are listed with name and price

### Checkout API
Priority: high
Depends on: Accounts, Data model
REST endpoints for the cart and checkout; charges the card through Stripe.
Acceptance criteria:
- POST /cart adds a product
- POST /checkout charges the card and creates an order
- Stock never goes negative under concurrent checkouts

### Order emails
Priority: low
Depends on: Checkout API
Send a confirmation email after each order.
Acceptance criteria:
- The email lists the order lines

### Sales report
Priority: low
Depends on: Checkout API, Catalogue page
A CSV export of the month's sales.
Acceptance criteria:
- One line per order

## Architecture
Node.js and Postgres; no framework.
`;

// SPEC §4's Task shape, written out independently of the product's schema.
const specTask = z.strictObject({
  id: z.string(),
  featureId: z.string(),
  title: z.string(),
  description: z.string(),
  status: z.enum(["pending", "ready", "running", "done", "failed", "blocked", "skipped"]),
  dependsOn: z.array(z.string()),
  priority: z.enum(["critical", "high", "medium", "low"]),
  complexity: z.enum(["simple", "moderate", "complex"]),
  estimateMinutes: z.number().int().positive(),
  files: z.array(z.string()),
  acceptance: z.array(z.string()),
  // BuildRunner's additions.
  kind: z.string().optional(),
  failureReason: z.string().optional(),
});
type SpecTask = z.infer<typeof specTask>;

function shop(spec = SPEC): string {
  const cwd = initializedRepo("shop");
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec);
  brOk(["spec", "sync"], { cwd });
  return cwd;
}

const tasksOf = (cwd: string) => readJson<{ schemaVersion: number; tasks: SpecTask[] }>(join(cwd, ".buildrunner", "tasks.json")).tasks;

describe("br spec sync", () => {
  it("creates features with priorities, dependencies, acceptance and files, and keeps other sections as context", () => {
    const cwd = initializedRepo("placeholder");
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), SPEC);
    const result = brJson<{ added: string[]; updated: string[]; unchanged: string[] }>(["spec", "sync"], { cwd });
    assert.deepEqual(result.added, ["data-model", "accounts", "catalogue-page", "checkout-api", "order-emails", "sales-report"]);
    const features = brJson<{ features: { id: string; priority: string; dependsOn: string[]; acceptance: string[]; files?: string[] }[] }>(
      ["features", "list"],
      { cwd },
    ).features;
    const checkout = features.find((f) => f.id === "checkout-api");
    assert.deepEqual(checkout?.dependsOn, ["accounts", "data-model"]);
    assert.equal(checkout?.priority, "high");
    assert.equal(checkout?.acceptance.length, 3);
    assert.deepEqual(features.find((f) => f.id === "accounts")?.files, ["src/accounts/**", "test/accounts.test.ts"]);
    const status = brJson<{ project: string }>(["status"], { cwd });
    assert.equal(status.project, "Shop");
    assert.match(readFileSync(join(cwd, ".buildrunner", "context", "spec.md"), "utf8"), /## Architecture\n\nNode\.js and Postgres/);
  });

  it("is idempotent, updates what changed, and never deletes a feature with recorded work", () => {
    const cwd = shop();
    const before = snapshot(cwd);
    const again = brJson<{ added: string[]; updated: string[]; unchanged: string[] }>(["spec", "sync"], { cwd });
    assert.deepEqual([again.added, again.updated, again.unchanged.length], [[], [], 6]);
    assert.deepEqual(snapshot(cwd), before, "a second sync writes nothing");

    brOk(["features", "start", "sales-report"], { cwd });
    brOk(["features", "add", "Wishlist"], { cwd });
    const trimmed = SPEC.replace(/### Sales report[\s\S]*?(?=## Architecture)/, "").replace(
      "A page that lists products",
      "A page that lists every product",
    );
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), trimmed);
    const result = brJson<{ updated: string[]; notInSpec: string[]; removed: string[] }>(["spec", "sync", "--prune"], { cwd });
    assert.deepEqual(result.updated, ["catalogue-page"]);
    assert.deepEqual(result.removed, ["wishlist"], "planned and untouched: pruned");
    assert.deepEqual(result.notInSpec, ["sales-report"], "work recorded: kept");
    const ids = brJson<{ features: { id: string; status: string }[] }>(["features", "list"], { cwd }).features.map(
      (f) => `${f.id}:${f.status}`,
    );
    assert.ok(ids.includes("sales-report:in_progress"));
  });

  const malformed: [string, (spec: string) => string, RegExp][] = [
    [
      "an unknown dependency",
      (s) => s.replace("Depends on: Checkout API\n", "Depends on: Checkout APi, Payments\n"),
      /PROJECT_SPEC\.md:\d+: "Depends on" names no feature: "Payments"/,
    ],
    ["a duplicate name", (s) => s.replace("### Sales report", "### Accounts"), /duplicate feature name "Accounts" \(first at line \d+\)/],
    ["a feature with no name", (s) => s.replace("### Sales report", "###"), /a feature heading has no name/],
    ["an unknown priority", (s) => s.replace("Priority: low", "Priority: urgent"), /unknown priority "urgent"/],
  ];
  for (const [what, corrupt, message] of malformed) {
    it(`exits 2 naming the line for ${what}, and changes nothing`, () => {
      const cwd = initializedRepo();
      const text = corrupt(SPEC);
      writeFileSync(join(cwd, "PROJECT_SPEC.md"), text);
      const before = snapshot(cwd);
      const result = br(["spec", "sync"], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      const line = Number(/PROJECT_SPEC\.md:(\d+)/.exec(result.stderr)?.[1]);
      assert.ok(line > 0, "names a line");
      assert.match(result.stderr, new RegExp(`at: +line ${line}`));
      const culprit = text.split("\n")[line - 1] ?? "";
      assert.match(culprit, /Depends on|###|Priority/, `line ${line} is the culprit: ${culprit}`);
      assert.deepEqual(snapshot(cwd), before);
    });
  }

  it("reads the format as people write it: bold fields, `*` lists, heading-style criteria, fences, CRLF, ids", () => {
    const cwd = initializedRepo();
    const spec = [
      "# Variants",
      "",
      "## Features",
      "",
      "### Support for C#",
      "**Priority:** high",
      "The #1 priority for Q3; Dependencies: we use Redis (prose, not a field).",
      "```",
      "### not a feature, inside a fence",
      "```",
      "#### Acceptance criteria",
      "* Parses C# files",
      "* Reports errors",
      "  with their line",
      "",
      "### Reports",
      "Id: monthly-reports",
      "Depends on: support-for-c-sharp",
      "**Acceptance criteria**",
      "1. One row per month",
      "",
    ].join("\r\n");
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), spec.replace("support-for-c-sharp", "support-for-c"));
    brOk(["spec", "sync"], { cwd });
    const features = brJson<{
      features: { id: string; name: string; priority: string; acceptance: string[]; dependsOn: string[]; description?: string }[];
    }>(["features", "list"], { cwd }).features;
    assert.deepEqual(
      features.map((f) => [f.id, f.name, f.priority]),
      [
        ["support-for-c", "Support for C#", "high"],
        ["monthly-reports", "Reports", "medium"],
      ],
    );
    assert.deepEqual(features[0]?.acceptance, ["Parses C# files", "Reports errors with their line"]);
    assert.match(features[0]?.description ?? "", /The #1 priority for Q3/);
    assert.match(features[0]?.description ?? "", /### not a feature, inside a fence/);
    assert.deepEqual(features[1]?.acceptance, ["One row per month"]);
    assert.deepEqual(features[1]?.dependsOn, ["support-for-c"]);
  });

  it("refuses a spec with no features, and a folder given as the spec, with exit 2", () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Keep me"], { cwd });
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), "# Empty\n\n## Feature list\n\n- nothing here\n");
    const empty = br(["spec", "sync", "--prune"], { cwd });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /PROJECT_SPEC\.md describes no features/);
    assert.equal(brJson<{ features: unknown[] }>(["features", "list"], { cwd }).features.length, 1, "nothing was pruned");
    const folder = br(["spec", "sync", ".buildrunner"], { cwd });
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /is not a file/);
  });

  it("--prune keeps what remaining features depend on, and takes unstarted tasks of pruned features with it", () => {
    const cwd = shop();
    brOk(["features", "add", "Base lib"], { cwd });
    brOk(["features", "add", "Extra"], { cwd });
    brOk(["features", "update", "sales-report", "--depends-on", "base-lib,checkout-api,catalogue-page"], { cwd });
    // The spec must say so too, or the next sync puts the spec's dependencies back.
    writeFileSync(
      join(cwd, "PROJECT_SPEC.md"),
      SPEC.replace("Depends on: Checkout API, Catalogue page", "Depends on: Checkout API, Catalogue page, base-lib"),
    );
    brOk(["tasks", "generate"], { cwd });
    assert.ok(tasksOf(cwd).some((t) => t.featureId === "extra"));
    const result = brJson<{ removed: string[]; notInSpec: string[] }>(["spec", "sync", "--prune"], { cwd });
    assert.deepEqual(result.removed, ["extra"]);
    assert.deepEqual(result.notInSpec, ["base-lib"], "sales-report depends on it");
    assert.ok(!tasksOf(cwd).some((t) => t.featureId === "extra"), "its tasks left the plan");
    assert.equal(br(["tasks", "next"], { cwd }).code, 0);
  });

  it("exits 2 and prints the cycle for a spec whose dependencies loop", () => {
    const cwd = initializedRepo();
    writeFileSync(
      join(cwd, "PROJECT_SPEC.md"),
      SPEC.replace("### Data model\nPriority: critical\n", "### Data model\nPriority: critical\nDepends on: Order emails\n"),
    );
    const result = br(["spec", "sync"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cycle: Data model → Order emails → Checkout API → (Accounts → )?Data model/);
    assert.deepEqual(brJson<{ features: unknown[] }>(["features", "list"], { cwd }).features, []);
  });
});

describe("br tasks", () => {
  it("plans the 6-feature spec so no task is ready before its dependencies, and `next` walks it to the end", () => {
    const cwd = shop();
    const generated = brJson<{ tasks: SpecTask[] }>(["tasks", "generate"], { cwd });
    const tasks = z.array(specTask).parse(generated.tasks);
    z.strictObject({ schemaVersion: z.literal(1), tasks: z.array(specTask) }).parse(readJson(join(cwd, ".buildrunner", "tasks.json")));
    const byId = new Map(tasks.map((t) => [t.id, t]));
    assert.ok(tasks.length >= 14, `${tasks.length} tasks`);
    for (const task of tasks) {
      for (const dep of task.dependsOn) assert.ok(byId.has(dep), `${task.id} depends on existing ${dep}`);
      assert.ok(task.estimateMinutes >= 15 && task.estimateMinutes <= 120, `${task.id}: ${task.estimateMinutes} min`);
    }
    // Every feature's acceptance criteria are carried into its tests task.
    assert.equal(byId.get("checkout-api.tests")?.acceptance.length, 3);
    // Kinds follow the feature: an API and an integration for checkout, a UI for the page.
    assert.ok(byId.has("checkout-api.api") && byId.has("checkout-api.integration") && byId.has("catalogue-page.ui"));
    assert.equal(byId.get("checkout-api.integration")?.complexity, "complex", "payments and concurrency are risky");
    assert.ok(byId.get("accounts.tests")?.files.includes("test/accounts.test.ts"));
    // Cross-feature: the first tasks of a feature wait for the last tasks of the features it needs.
    const checkoutRoots = tasks.filter((t) => t.featureId === "checkout-api" && !t.dependsOn.some((d) => d.startsWith("checkout-api.")));
    for (const root of checkoutRoots)
      assert.ok(root.dependsOn.some((d) => d.startsWith("accounts.")) && root.dependsOn.some((d) => d.startsWith("data-model.")));
    assert.deepEqual(
      tasks.filter((t) => t.status === "ready").map((t) => t.id),
      ["data-model.data-model"],
    );

    const doneSoFar = new Set<string>();
    for (let step = 0; step < tasks.length + 1; step++) {
      const next = brJson<{ task: SpecTask | null }>(["tasks", "next"], { cwd }).task;
      if (!next) break;
      for (const dep of next.dependsOn) assert.ok(doneSoFar.has(dep), `${next.id} offered before ${dep} was done`);
      // Nothing is ready while one of its dependencies is not done.
      for (const t of tasksOf(cwd))
        if (t.status === "ready") for (const dep of t.dependsOn) assert.ok(doneSoFar.has(dep), `${t.id} ready early`);
      brOk(["tasks", "start", next.id], { cwd });
      brOk(["tasks", "done", next.id], { cwd });
      doneSoFar.add(next.id);
    }
    assert.equal(doneSoFar.size, tasks.length, "every task was offered exactly once");
    assert.match(brOk(["tasks", "next"], { cwd }).stdout, /Every task is done/);
    const features = brJson<{ features: { status: string }[] }>(["features", "list"], { cwd }).features;
    assert.ok(
      features.every((f) => f.status === "testing"),
      "features follow their tasks to testing",
    );
  });

  it("prefers priority, then the longest critical path", () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    brOk(["tasks", "start", "data-model.data-model"], { cwd });
    brOk(["tasks", "done", "data-model.data-model"], { cwd });
    brOk(["tasks", "start", "data-model.tests"], { cwd });
    brOk(["tasks", "done", "data-model.tests"], { cwd });
    // Ready now: accounts (high) and the catalogue page (medium).
    assert.equal(brJson<{ task: SpecTask }>(["tasks", "next"], { cwd }).task.featureId, "accounts");
    const show = brJson<{ criticalPathMinutes: number; waitingOn: string[] }>(["tasks", "show", "checkout-api.api"], { cwd });
    assert.ok(show.criticalPathMinutes > 90);
    assert.ok(show.waitingOn.length > 0);
  });

  it("among equal priorities, takes the task with the longest critical path, then the lower id", () => {
    const cwd = shop(
      `# Tie\n\n## Features\n\n### Alpha\nA thing.\n\n### Beta\nAnother thing.\n\n### Gamma\nDepends on: Beta\nThe last thing.\n`,
    );
    brOk(["tasks", "generate"], { cwd });
    // Beta has Gamma after it, so its chain is longer than Alpha's.
    assert.equal(brJson<{ task: SpecTask }>(["tasks", "next"], { cwd }).task.id, "beta.core");
    brOk(["features", "remove", "gamma"], { cwd });
    brOk(["tasks", "generate"], { cwd });
    assert.equal(brJson<{ task: SpecTask }>(["tasks", "next"], { cwd }).task.id, "alpha.core", "equal chains: the lower id");
  });

  it("a task that grows into parts keeps its id and status; tasks in flight are never dropped", () => {
    const cwd = shop(`# Parts\n\n## Features\n\n### Importer\nRead files.\nAcceptance criteria:\n- One\n- Two\n`);
    brOk(["tasks", "generate"], { cwd });
    brOk(["tasks", "start", "importer.core"], { cwd });
    brOk(["tasks", "done", "importer.core"], { cwd });
    writeFileSync(
      join(cwd, "PROJECT_SPEC.md"),
      `# Parts\n\n## Features\n\n### Importer\nRead files.\nAcceptance criteria:\n- One\n- Two\n- Three\n- Four\n- Five\n`,
    );
    brOk(["spec", "sync"], { cwd });
    brOk(["tasks", "generate"], { cwd });
    const status = (id: string) => tasksOf(cwd).find((t) => t.id === id)?.status;
    assert.equal(status("importer.core"), "done", "part 1 keeps the id and its status");
    assert.equal(status("importer.core-2"), "ready");
    brOk(["tasks", "start", "importer.core-2"], { cwd });
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), `# Parts\n\n## Features\n\n### Importer\nRead files.\nAcceptance criteria:\n- One\n`);
    brOk(["spec", "sync"], { cwd });
    const result = brJson<{ summary: { removed: string[] } }>(["tasks", "generate"], { cwd });
    assert.equal(status("importer.core-2"), "running", "a running task stays in the plan");
    assert.ok(!result.summary.removed.includes("importer.core-2"));
  });

  it("refuses illegal moves with exit 2, and --force overrides", () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    const early = br(["tasks", "start", "accounts.core"], { cwd });
    assert.equal(early.code, 2);
    assert.match(early.stderr, /it is pending, waiting on data-model\./);
    brOk(["tasks", "start", "data-model.data-model"], { cwd });
    const failed = brJson<{ task: SpecTask }>(["tasks", "fail", "data-model.data-model", "--reason", "tests broke"], { cwd }).task;
    assert.equal(failed.failureReason, "tests broke");
    assert.equal(tasksOf(cwd).find((t) => t.id === "data-model.tests")?.status, "blocked", "a failed dependency blocks");
    brOk(["tasks", "reset", "data-model.data-model"], { cwd });
    assert.equal(tasksOf(cwd).find((t) => t.id === "data-model.data-model")?.status, "ready");
    brOk(["tasks", "done", "data-model.data-model"], { cwd });
    const reset = br(["tasks", "reset", "data-model.data-model"], { cwd });
    assert.equal(reset.code, 2);
    assert.match(reset.stderr, /resetting finished work needs --force/);
    brOk(["tasks", "reset", "data-model.data-model", "--force"], { cwd });
    assert.equal(br(["tasks", "done", "nope"], { cwd }).code, 2);
  });

  it("a blocked feature blocks its tasks until it is unblocked", () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    brOk(["features", "block", "data-model", "--reason", "schema under review"], { cwd });
    assert.equal(tasksOf(cwd).find((t) => t.id === "data-model.data-model")?.status, "blocked");
    assert.equal(brJson<{ task: null }>(["tasks", "next"], { cwd }).task, null);
    brOk(["features", "update", "data-model", "--status", "planned"], { cwd });
    assert.equal(tasksOf(cwd).find((t) => t.id === "data-model.data-model")?.status, "ready");
  });

  it("regenerating keeps every status, never resurrects done work, and plans new features", () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    for (const id of ["data-model.data-model", "data-model.tests"]) {
      brOk(["tasks", "start", id], { cwd });
      brOk(["tasks", "done", id], { cwd });
    }
    brOk(["tasks", "start", "accounts.core"], { cwd });
    brOk(["tasks", "fail", "accounts.core", "--reason", "flaky"], { cwd });
    brOk(["features", "update", "data-model", "--status", "complete", "--force"], { cwd });
    writeFileSync(
      join(cwd, "PROJECT_SPEC.md"),
      `${SPEC.replace("## Architecture", "### Gift cards\nDepends on: Checkout API\nSell gift cards.\n\n## Architecture")}`,
    );
    brOk(["spec", "sync"], { cwd });
    const result = brJson<{ summary: { added: string[]; removed: string[] } }>(["tasks", "generate"], { cwd });
    const tasks = tasksOf(cwd);
    const status = (id: string) => tasks.find((t) => t.id === id)?.status;
    assert.equal(status("data-model.data-model"), "done", "done work of a complete feature stays done");
    assert.equal(status("data-model.tests"), "done");
    assert.equal(status("accounts.core"), "failed");
    assert.equal(tasks.find((t) => t.id === "accounts.core")?.failureReason, "flaky");
    assert.ok(result.summary.added.some((id) => id.startsWith("gift-cards.")));
    assert.deepEqual(result.summary.removed, []);
    const again = readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8");
    brOk(["tasks", "generate"], { cwd });
    assert.equal(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8"), again, "generation is deterministic");
  });

  it("concurrent `tasks done` and regeneration, with processes killed mid-write, never lose or revert a status", async () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    // Make several tasks ready at once: finish the data model.
    for (const id of ["data-model.data-model", "data-model.tests"]) brOk(["tasks", "done", id], { cwd });
    const ready = tasksOf(cwd)
      .filter((t) => t.status === "ready")
      .map((t) => t.id);
    assert.ok(ready.length >= 2);
    const acknowledged = ["data-model.data-model", "data-model.tests"];
    const runs = ready.map((id) => brAsync(["tasks", "done", id], { cwd }).then((r) => (r.code === 0 ? acknowledged.push(id) : undefined)));
    const noise = Array.from({ length: 4 }, () => brAsync(["tasks", "generate"], { cwd }));
    const victims = Array.from({ length: 6 }, (_, i) => {
      const child = brSpawn(i % 2 ? ["tasks", "generate"] : ["spec", "sync"], { cwd });
      setTimeout(() => child.kill("SIGKILL"), 40 + Math.random() * 200);
      return new Promise((resolve) => child.on("close", resolve));
    });
    await Promise.all([...runs, ...noise, ...victims]);
    const tasks = tasksOf(cwd);
    for (const id of acknowledged) assert.equal(tasks.find((t) => t.id === id)?.status, "done", `${id} stays done`);
    brOk(["tasks", "generate"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "5000" } });
    for (const id of acknowledged) assert.equal(tasksOf(cwd).find((t) => t.id === id)?.status, "done");
  });

  it("prints the graph as Mermaid, dot and JSON with order and critical path", () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    const mermaid = brOk(["tasks", "graph"], { cwd }).stdout;
    assert.match(mermaid, /^graph TD\n/);
    assert.match(mermaid, /data_model_data_model --> data_model_tests/);
    const dot = brOk(["tasks", "graph", "--format", "dot"], { cwd }).stdout;
    assert.match(dot, /^digraph tasks \{/);
    assert.match(dot, /"data-model\.data-model" -> "data-model\.tests";/);
    const json = JSON.parse(brOk(["tasks", "graph", "--format", "json"], { cwd }).stdout) as {
      nodes: { id: string; criticalPathMinutes: number }[];
      edges: { from: string; to: string }[];
      order: string[];
      criticalPath: string[];
    };
    const position = new Map(json.order.map((id, i) => [id, i]));
    for (const edge of json.edges)
      assert.ok((position.get(edge.from) ?? 0) < (position.get(edge.to) ?? 0), `${edge.from} before ${edge.to}`);
    assert.equal(json.criticalPath[0], "data-model.data-model");
    const longest = Math.max(...json.nodes.map((n) => n.criticalPathMinutes));
    assert.equal(json.nodes.find((n) => n.id === "data-model.data-model")?.criticalPathMinutes, longest);
    assert.equal(br(["tasks", "graph", "--format", "png"], { cwd }).code, 2);
  });

  it("a tasks.json with a cycle or a wrong type exits 2 naming the file and place", () => {
    const cwd = shop();
    brOk(["tasks", "generate"], { cwd });
    const file = join(cwd, ".buildrunner", "tasks.json");
    const plan = readJson<{ tasks: SpecTask[] }>(file);
    (plan.tasks[0] as SpecTask).dependsOn = [(plan.tasks[1] as SpecTask).id];
    writeFileSync(file, JSON.stringify(plan, null, 2));
    for (const args of [["tasks", "next"], ["tasks", "list"], ["status"]]) {
      const result = br(args, { cwd });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(
        result.stderr,
        /tasks\.json: the task dependencies form a cycle: data-model\.data-model → data-model\.tests → data-model\.data-model/,
      );
    }
    // Regenerating repairs the links, as the message suggests.
    brOk(["tasks", "generate"], { cwd });
    assert.equal(br(["tasks", "next"], { cwd }).code, 0);
    (plan.tasks[0] as SpecTask).dependsOn = [];
    (plan.tasks[1] as unknown as { estimateMinutes: string }).estimateMinutes = "an hour";
    writeFileSync(file, JSON.stringify(plan, null, 2));
    const wrong = br(["tasks", "next"], { cwd });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /tasks\[1\]\.estimateMinutes expected number, found the string "an hour"/);
    assert.match(wrong.stderr, /at: +line \d+, column \d+/);
  });
});

describe("br tasks generate --llm", () => {
  async function fakeAnthropic(reply: (body: { model: string; messages: { content: string }[] }) => string) {
    const requests: { headers: IncomingMessage["headers"]; body: { model: string; messages: { content: string }[] } }[] = [];
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => {
        raw += chunk;
      });
      req.on("end", () => {
        const body = JSON.parse(raw);
        requests.push({ headers: req.headers, body });
        if (req.url !== "/v1/messages") {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json", "request-id": "req_test" });
        res.end(
          JSON.stringify({
            id: `msg_${requests.length}`,
            type: "message",
            role: "assistant",
            model: body.model,
            content: [{ type: "text", text: reply(body) }],
            stop_reason: "end_turn",
            stop_sequence: null,
            usage: { input_tokens: 900, output_tokens: 300 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  function oneFeature(): string {
    return shop(
      `# Tiny\n\n## Features\n\n### Login\nSign in with a password.\nAcceptance criteria:\n- A wrong password is refused\n- Sessions expire after a day\n`,
    );
  }

  it("applies a valid refinement from the Messages API", async () => {
    const cwd = oneFeature();
    const api = await fakeAnthropic(() =>
      JSON.stringify({
        tasks: [
          {
            id: "login.hashing",
            title: "Password hashing",
            description: "scrypt",
            dependsOn: [],
            complexity: "moderate",
            estimateMinutes: 60,
            files: ["src/auth.ts"],
            acceptance: ["A wrong password is refused"],
          },
          {
            id: "login.sessions",
            title: "Session expiry",
            description: "24h",
            dependsOn: ["login.hashing"],
            complexity: "simple",
            estimateMinutes: 45,
            files: [],
            acceptance: ["Sessions expire after a day"],
          },
        ],
      }),
    );
    const result = await brAsync(["tasks", "generate", "--llm", "--json"], {
      cwd,
      env: { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-test" },
    });
    await api.close();
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as { tasks: SpecTask[]; summary: { refinedFeatures: string[] } };
    assert.deepEqual(doc.summary.refinedFeatures, ["login"]);
    assert.deepEqual(
      doc.tasks.map((t) => [t.id, t.status]),
      [
        ["login.hashing", "ready"],
        ["login.sessions", "pending"],
      ],
    );
    assert.equal(api.requests.length, 1);
    const headers = api.requests[0]?.headers ?? {};
    assert.equal(headers["x-api-key"] ?? headers.authorization?.replace(/^Bearer /, ""), "sk-test", "the key is sent");
    assert.equal(api.requests[0]?.body.model, brJson<{ value: string }>(["config", "get", "routing.tiers.sonnet"], { cwd }).value);
    assert.match(api.requests[0]?.body.messages[0]?.content ?? "", /Sessions expire after a day/);
  });

  it("falls back to the deterministic plan when the reply breaks the rules, or no key is set", async () => {
    const cwd = oneFeature();
    const deterministic = brJson<{ tasks: SpecTask[] }>(["tasks", "generate"], { cwd }).tasks.map((t) => t.id);
    const api = await fakeAnthropic(
      () =>
        '```json\n{"tasks": [{"id": "login.everything", "title": "All", "description": "", "dependsOn": [], "complexity": "simple", "estimateMinutes": 30, "files": [], "acceptance": []}]}\n```',
    );
    const result = await brAsync(["tasks", "generate", "--llm", "--json"], {
      cwd,
      env: { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-test" },
    });
    await api.close();
    assert.equal(result.code, 0);
    assert.match(result.stderr, /kept the deterministic tasks.*drops acceptance criteria/);
    assert.deepEqual(
      (JSON.parse(result.stdout) as { tasks: SpecTask[] }).tasks.map((t) => t.id),
      deterministic,
    );
    const noKey = br(["tasks", "generate", "--llm"], { cwd, env: { ANTHROPIC_API_KEY: undefined } });
    assert.equal(noKey.code, 0);
    assert.match(noKey.stderr, /ANTHROPIC_API_KEY is not set\); using the deterministic plan/);
  });
});
