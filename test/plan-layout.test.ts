/**
 * Where the plan puts a feature's new code and tests (src/plan/layout.ts, data/layouts.json), which
 * acceptance criteria are test commands (src/plan/acceptance.ts), and the files each task of a
 * decomposed feature gets: checked in-process on file lists, no `br` run, so fast.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { acceptanceCommand, isTestCommand, runsTests } from "../src/plan/acceptance.ts";
import { decomposeFeature, implementationKinds } from "../src/plan/decompose.ts";
import { detectLayout, featurePaths, moduleName, projectLanguage } from "../src/plan/layout.ts";
import type { Feature } from "../src/registry/feature.ts";
import { tempDir } from "./helpers.ts";

const FAST = { timeout: 10_000 };

/** The paths a one-kind feature named `id` gets in a project with these files. */
function pathsFor(tree: string[], id = "boards", kinds = ["core"], root?: string) {
  const paths = featurePaths(detectLayout(tree, root), id, kinds);
  return { implementation: [...paths.implementation.values()], tests: paths.tests, docs: paths.docs };
}

function feature(name: string, extra: Partial<Feature> = {}): Feature {
  const id = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return {
    id,
    name,
    status: "planned",
    priority: "medium",
    dependsOn: [],
    acceptance: [],
    createdAt: "2025-01-01T00:00:00.000Z",
    updatedAt: "2025-01-01T00:00:00.000Z",
    ...extra,
  } as Feature;
}

describe("the project's layout", () => {
  it("gives a TypeScript project src/<name>.ts and test/<name>.test.ts", FAST, () => {
    assert.deepEqual(pathsFor(["package.json", "tsconfig.json"]), {
      implementation: ["src/boards.ts"],
      tests: "test/boards.test.ts",
      docs: "README.md",
    });
    assert.equal(projectLanguage(["package.json", "src/a.ts", "src/b.ts", "eslint.config.js"]), "typescript");
  });

  it("reads TypeScript from package.json's dependencies when there is no source yet", FAST, () => {
    const root = tempDir();
    writeFileSync(join(root, "package.json"), JSON.stringify({ devDependencies: { typescript: "^5" } }));
    assert.deepEqual(pathsFor(["package.json"], "boards", ["core"], root).implementation, ["src/boards.ts"]);
    writeFileSync(join(root, "package.json"), "{ not json");
    assert.deepEqual(
      pathsFor(["package.json"], "boards", ["core"], root).implementation,
      ["src/boards.js"],
      "a broken manifest only loses the hint",
    );
  });

  it("gives a JavaScript project .js files, in the folders it already has", FAST, () => {
    assert.deepEqual(pathsFor(["package.json"]), { implementation: ["src/boards.js"], tests: "test/boards.test.js", docs: "README.md" });
    assert.deepEqual(pathsFor(["package.json", "lib/index.js", "tests/index.test.js", "docs/intro.md"], "activity-log"), {
      implementation: ["lib/activity-log.js"],
      tests: "tests/activity-log.test.js",
      docs: "docs/activity-log.md",
    });
    assert.equal(pathsFor(["package.json", "app/main.js", "__tests__/main.test.js"]).tests, "__tests__/boards.test.js");
    assert.equal(
      pathsFor(["package.json", "src/a.ts", "spec/a.spec.ts", "spec/b.spec.ts"]).tests,
      "spec/boards.spec.ts",
      "spec naming is kept",
    );
  });

  it("keeps tests beside the code when the project does", FAST, () => {
    assert.equal(pathsFor(["package.json", "src/a.ts", "src/a.test.ts"]).tests, "src/boards.test.ts");
    assert.equal(pathsFor(["go.mod", "main.go"], "activity-log").tests, "activity_log_test.go");
  });

  it("gives Python a snake_case module in its package, and tests/test_<name>.py", FAST, () => {
    assert.deepEqual(pathsFor(["pyproject.toml"], "activity-log"), {
      implementation: ["activity_log.py"],
      tests: "tests/test_activity_log.py",
      docs: "README.md",
    });
    assert.deepEqual(pathsFor(["pyproject.toml", "src/shop/__init__.py", "tests/test_cart.py"]), {
      implementation: ["src/shop/boards.py"],
      tests: "tests/test_boards.py",
      docs: "README.md",
    });
    assert.deepEqual(pathsFor(["setup.py", "shop/__init__.py", "shop/cart.py", "tests/__init__.py"]).implementation, ["shop/boards.py"]);
    assert.equal(moduleName("2fa", "snake"), "feature_2fa", "a module name cannot start with a digit");
  });

  it("gives a feature with several kinds of work a folder with a module per kind", FAST, () => {
    const paths = featurePaths(detectLayout(["tsconfig.json"]), "boards", ["data-model", "api", "core"]);
    assert.deepEqual(Object.fromEntries(paths.implementation), {
      "data-model": "src/boards/model.ts",
      api: "src/boards/api.ts",
      core: "src/boards/index.ts",
    });
    const python = featurePaths(detectLayout(["pyproject.toml", "src/shop/__init__.py"]), "boards", ["api", "core"]);
    assert.deepEqual([...python.implementation.values()], ["src/shop/boards/api.py", "src/shop/boards/__init__.py"]);
  });

  it("falls back to globs that match any extension when no language is known", FAST, () => {
    assert.deepEqual(pathsFor(["README.md"]), { implementation: ["src/boards.*"], tests: "test/boards.*", docs: "README.md" });
  });
});

describe("acceptance commands", () => {
  it("tells commands that run tests from other commands and from prose", FAST, () => {
    for (const command of [
      "npm test",
      "npm test -- auth",
      "node --test test/boards.test.js",
      "pytest -k auth",
      "cd api && python -m pytest",
      "CI=1 npx vitest run",
      "go test ./...",
      "node scripts/check.js tests/test_cart.py",
    ])
      assert.ok(runsTests(command), command);
    for (const command of ["node bin/app.js --help", "curl -f localhost:3000/health", "npm run build", "cd test"])
      assert.ok(!runsTests(command), command);
    assert.equal(acceptanceCommand("`npm test`"), "npm test");
    assert.equal(acceptanceCommand("$ pytest"), "pytest");
    assert.ok(isTestCommand("`npm test`") && !isTestCommand("npm test passes") && !isTestCommand("`npm run build`"));
  });
});

describe("a decomposed feature's files", () => {
  const tree = ["package.json", "tsconfig.json", "src/app.ts"];

  it("gives every implementation and tests task files of its own, derived from the layout", FAST, () => {
    const { tasks } = decomposeFeature(feature("Boards", { description: "Boards stored in the database, behind an API." }), tree);
    assert.deepEqual(
      tasks.map((t) => [t.id, t.files]),
      [
        ["boards.data-model", ["src/boards/model.ts"]],
        ["boards.api", ["src/boards/api.ts"]],
        ["boards.core", ["src/boards/index.ts"]],
        ["boards.tests", ["test/boards.test.ts"]],
        ["boards.docs", ["README.md"]],
      ],
    );
  });

  it("never drops a named file: one no task fits joins the implementation task", FAST, () => {
    const { tasks } = decomposeFeature(feature("Settings", { files: ["NOTES.md"] }), tree);
    assert.deepEqual(
      tasks.map((t) => [t.id, t.files]),
      [
        ["settings.core", ["src/settings.ts", "NOTES.md"]],
        ["settings.tests", ["test/settings.test.ts"]],
      ],
    );
    const named = decomposeFeature(feature("Auth", { files: ["src/auth/**"] }), [...tree, "src/auth/session.ts"]).tasks;
    assert.deepEqual(
      named.map((t) => [t.id, t.files]),
      [
        ["auth.core", ["src/auth/session.ts"]],
        ["auth.tests", ["test/auth.test.ts"]],
      ],
    );
  });

  it("a glob that matches more files than a task lists stays a glob", FAST, () => {
    const many = Array.from({ length: 60 }, (_, i) => `src/ui/c${i}.ts`);
    const { tasks } = decomposeFeature(feature("Widgets", { files: ["src/ui/**"] }), [...tree, ...many]);
    assert.deepEqual(tasks.find((t) => t.kind === "core")?.files, ["src/ui/**"]);
  });

  it("gives acceptance commands that run tests to the tests task only", FAST, () => {
    const { tasks } = decomposeFeature(
      feature("Cards", { acceptance: ["A card moves to another column", "`npm test`", "`node bin/cards.js --help`"] }),
      tree,
    );
    const byKind = new Map(tasks.map((t) => [t.kind, t.acceptance]));
    assert.deepEqual(byKind.get("core"), ["A card moves to another column", "`node bin/cards.js --help`"]);
    assert.deepEqual(byKind.get("tests"), ["A card moves to another column", "`npm test`", "`node bin/cards.js --help`"]);
  });
});

describe("kinds of work", () => {
  const kinds = (name: string, description: string) => implementationKinds(feature(name, { description }));

  it("ordinary words do not make an integration, an API or a UI", FAST, () => {
    assert.deepEqual(kinds("Notifications by email", "Users get an email when a card assigned to them changes."), ["core"]);
    assert.deepEqual(kinds("Activity log", "Every change is recorded, with who made it; the rest is shown in order."), ["core"]);
    assert.deepEqual(kinds("Reports", "Reintegrate with the format the request needs, then display it."), ["core"]);
  });

  it("phrases and names of services still do", FAST, () => {
    assert.deepEqual(kinds("Receipts", "Integrate with the email provider to send receipts."), ["integration", "core"]);
    assert.deepEqual(kinds("Payments", "Charge the card through Stripe, confirmed by a webhook."), ["integration", "core"]);
    assert.deepEqual(kinds("Search API", "An endpoint that finds cards."), ["api"]);
  });
});
