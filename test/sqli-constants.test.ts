/**
 * `br security check` on SQL that only looks built: placeholder lists (`$1, $2…` or `?, ?…` made
 * from a list's length or positions) and choices between constant clauses are constant SQL; a
 * choice with one non-constant branch, or a list built from the values themselves, is a finding.
 * Each file marks the lines a finding must start on with `// FLAG` (`# FLAG`); no other line may.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { br, tempRepo } from "./helpers.ts";

interface Finding {
  kind: string;
  file: string;
  line: number;
  message: string;
}

const T = { timeout: 120_000 };

/** JavaScript that is valid TypeScript too: planted as both. */
const JS = `import { pool } from "./db";

export function byIds(ids) {
  const ph = ids.map((_, i) => "$" + (i + 1)).join(", ");
  return pool.query("SELECT * FROM users WHERE id IN (" + ph + ")", ids);
}

export function byIdsTemplate(ids) {
  return pool.query(\`SELECT * FROM users WHERE id IN (\${ids.map((_, i) => \`$\${i + 1}\`).join(",")})\`, ids);
}

export function byIdsQuestionMarks(ids) {
  return pool.query(\`SELECT * FROM users WHERE id IN (\${ids.map(() => "?").join(",")})\`, ids);
}

export function byIdsBlock(ids) {
  const ph = Array.from({ length: ids.length }, function (_, i) {
    return "$" + String(i + 1);
  });
  return pool.query("DELETE FROM users WHERE id IN (" + ph.join(", ") + ")", ids);
}

export function since(when) {
  return pool.query(\`SELECT * FROM attempts WHERE outcome != 'running' \${when ? "AND started_at >= $1" : ""}\`, when ? [when] : []);
}

export function oneDynamicBranch(c, id) {
  return pool.query(c ? "SELECT 1" : "SELECT * FROM users WHERE id = " + id); // FLAG
}

export function valuesInTheList(ids) {
  const list = ids.map((id) => "'" + id + "'").join(", "); // FLAG
  return pool.query("SELECT * FROM users WHERE id IN (" + list + ")");
}

export function elementNamedLikeAnIndex(ids) {
  return pool.query(\`SELECT * FROM users WHERE id IN (\${ids.map((i) => \`$\${i}\`).join(",")})\`); // FLAG
}
`;

const PY = `def by_ids(cur, ids):
    ph = ", ".join(f"\${i + 1}" for i in range(len(ids)))
    cur.execute("SELECT * FROM users WHERE id IN (" + ph + ")", ids)


def by_ids_enumerate(cur, ids):
    ph = ", ".join(["$" + str(i + 1) for i, _ in enumerate(ids)])
    cur.execute(f"SELECT * FROM users WHERE id IN ({ph})", ids)


def by_ids_question_marks(cur, ids):
    cur.execute("SELECT * FROM users WHERE id IN (%s)" % ",".join("?" for _ in ids), ids)


def by_ids_loop(cur, ids):
    for i in range(len(ids)):
        cur.execute("SELECT * FROM users ORDER BY id LIMIT 1 OFFSET " + str(i))


def since(cur, when):
    cur.execute("SELECT * FROM attempts WHERE outcome != 'running' " + ("AND started_at >= %s" if when else ""), [when] if when else [])


def one_dynamic_branch(cur, c, id):
    cur.execute("SELECT 1" if c else "SELECT * FROM users WHERE id = " + id)  # FLAG


def values_in_the_list(cur, ids):
    ph = ", ".join(f"'{v}'" for i, v in enumerate(ids))  # FLAG
    cur.execute(f"SELECT * FROM users WHERE id IN ({ph})")


def shadowed(cur, request):
    i = request.args["i"]
    ph = ", ".join(f"\${i}" for i in range(3))
    cur.execute("SELECT * FROM users WHERE id IN (" + ph + ") AND name = '" + i + "'")  # FLAG
`;

const FILES: Record<string, string> = { "src/users.js": JS, "src/users.ts": JS, "app/users.py": PY };

function plant(cwd: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
}

function marked(files: Record<string, string>): string[] {
  return Object.entries(files).flatMap(([path, text]) =>
    text
      .split("\n")
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => /(\/\/|#) FLAG$/.test(line))
      .map(([, n]) => `${path}:${n}`),
  );
}

function sqlFindings(cwd: string): { code: number; findings: Finding[] } {
  const result = br(["security", "check", "--json"], { cwd });
  const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings.filter((f) => f.kind === "sql-injection");
  return { code: result.code ?? -1, findings };
}

describe("br security check: constant SQL that looks built", () => {
  it(
    "placeholder lists and choices between constants are no finding; a dynamic branch or the values in the list are (JS, TS, Python)",
    T,
    () => {
      const cwd = tempRepo();
      plant(cwd, FILES);
      const { code, findings } = sqlFindings(cwd);
      assert.equal(code, 1);
      const got = findings.map((f) => `${f.file}:${f.line}`).sort();
      assert.deepEqual(got, marked(FILES).sort(), JSON.stringify(findings, null, 1));
      const branchLine = JS.split("\n").findIndex((l) => l.includes('"SELECT 1" : "SELECT')) + 1;
      const branch = findings.find((f) => f.file === "src/users.js" && f.line === branchLine);
      assert.match(branch?.message ?? "", /concatenation from `id` reaches pool\.query\(\)/);
      const shadowed = findings.find((f) => f.file === "app/users.py" && f.message.includes("request.args"));
      assert.ok(shadowed, "the function's i, not the comprehension's, reaches the query");
    },
  );

  it("br's own model statistics query (src/routing/stats.ts) is no finding", T, () => {
    const cwd = tempRepo();
    const stats = readFileSync(resolve(import.meta.dirname, "..", "src", "routing", "stats.ts"), "utf8");
    assert.match(stats, /\$\{since \? "AND started_at >= \?" : ""\}/, "the construct this test guards is still there");
    plant(cwd, { "src/routing/stats.ts": stats });
    const { code, findings } = sqlFindings(cwd);
    assert.deepEqual(findings, []);
    assert.equal(code, 0);
  });
});
