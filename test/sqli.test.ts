import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { br, brOk, git, tempRepo } from "./helpers.ts";

interface Finding {
  kind: string;
  rule: string;
  severity: string;
  file: string;
  line: number;
  endLine: number;
  message: string;
  match: string;
  fingerprint: string;
}

/**
 * Each file lists its own expectation: a line ending in `// FLAG` (or `# FLAG`) must be where a
 * finding starts, and no other line may start one.
 */
const FILES: Record<string, string> = {
  "src/pg.ts": `import { Client } from "pg";
const client = new Client();
export async function byName(name: string, ids: number[]) {
  await client.query(\`SELECT * FROM users WHERE name = '\${name}'\`); // FLAG
  await client.query("SELECT * FROM users WHERE name = $1", [name]);
  await client.query({ text: "DELETE FROM users WHERE id = " + ids[0] }); // FLAG
  const TABLE = "users";
  await client.query(\`SELECT * FROM \${TABLE} WHERE id = $1\`, [ids[0]]);
  const placeholders = ids.map(() => "?").join(", ");
  await client.query(\`SELECT * FROM users WHERE id IN (\${placeholders})\`, ids);
  const limit = Number(name);
  await client.query("SELECT * FROM users LIMIT " + limit);
  const cache = new Map<string, number>();
  cache.get("user:" + name);
}
`,
  "src/built.js": `export function search(db, term, order) {
  let sql = "SELECT * FROM items WHERE 1 = 1";
  if (term) sql += " AND title LIKE '%" + term + "%'"; // FLAG
  return db.all(sql);
}
export function fine(db, term) {
  let sql = "SELECT * FROM items";
  sql += " WHERE title = ?";
  return db.all(sql, [term]);
}
`,
  "src/orm.ts": `import { Prisma, PrismaClient } from "@prisma/client";
import knex from "knex";
const prisma = new PrismaClient();
const db = knex({ client: "pg" });
export async function run(id: string, repo: any) {
  await prisma.$queryRawUnsafe(\`SELECT * FROM "User" WHERE id = \${id}\`); // FLAG
  await prisma.$queryRaw\`SELECT * FROM "User" WHERE id = \${id}\`;
  await prisma.$queryRaw(Prisma.sql\`SELECT * FROM "User" WHERE id = \${id}\`);
  await db("users").whereRaw("id = " + id); // FLAG
  await db("users").whereRaw("id = ?", [id]);
  await repo.createQueryBuilder("u").where(\`u.id = \${id}\`).getMany(); // FLAG
  await repo.createQueryBuilder("u").where("u.id = :id", { id }).getMany();
  const sql = (strings: TemplateStringsArray, ...values: unknown[]) => ({ strings, values });
  await db.raw(sql\`SELECT \${id}\` as never);
  await db.raw("count(" + id + ")"); // FLAG
}
`,
  "src/html.js": `import { html, raw } from "hono/html";
// raw() is also HTML's and String's: not SQL unless a database's or its string reads as SQL.
export const heading = (title) => raw(\`<h1>\${title}</h1>\`);
export const banner = (id) => html.raw(\`<div id="\${id}"></div>\`);
export const count = (trx, column) => trx.raw("count(" + column + ")"); // FLAG
export const rows = (k, name) => k.raw("select * from t where name = '" + name + "'"); // FLAG
`,
  "app/views.py": `from django.db import connection
from django.db.models.expressions import RawSQL

def user_age(request):
    name = request.GET.get("name")  # FLAG
    return Person.objects.raw("SELECT * FROM person WHERE name = '%s'" % name)

def safe_age(request):
    name = request.GET.get("name")
    return Person.objects.raw("SELECT * FROM person WHERE name = %s", [name])

def annotate(qs, column):
    return qs.annotate(val=RawSQL("SELECT %s FROM t" % column, ()))  # FLAG

def where_extra(qs, name):
    return qs.extra(where=[f"name = '{name}'"])  # FLAG

def constant_extra(qs):
    return qs.extra(where=["name IS NOT NULL"])
`,
  "app/db.py": `import sqlite3
from psycopg2 import sql
from sqlalchemy import text

def find(cur, user_id, ids, table):
    cur.execute(f"SELECT * FROM users WHERE id = {user_id}")  # FLAG
    cur.execute("SELECT * FROM users WHERE id = %s", (user_id,))
    cur.execute("SELECT * FROM users WHERE id IN (%s)" % ", ".join(["%s"] * len(ids)), ids)
    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table)), (user_id,))
    query = "SELECT * FROM {} WHERE id = %s".format(table)  # FLAG
    cur.execute(query, (user_id,))
    cur.execute("SELECT * FROM users WHERE kind = '%s'" % ("admin",))

def with_text(session, name):
    session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})
    return session.execute(text("SELECT * FROM users WHERE name = '" + name + "'"))  # FLAG

def allowed(cur, table):
    cur.execute(f"SELECT count(*) FROM {table}")  # br:allow table comes from a fixed list
`,
};

function commit(cwd: string) {
  return spawnSync("git", ["commit", "-q", "-m", "find"], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}

function plant(cwd: string): void {
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
}

function expectedStarts(): [string, number][] {
  return Object.entries(FILES).flatMap(([path, text]) =>
    text
      .split("\n")
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => /(\/\/|#) FLAG$/.test(line))
      .map(([, n]): [string, number] => [path, n]),
  );
}

describe("br security check (SQL injection)", () => {
  it("flags queries built from non-constant parts in TypeScript, JavaScript and Python, and nothing else", () => {
    const cwd = tempRepo();
    plant(cwd);
    const result = br(["security", "check", "--json"], { cwd });
    assert.equal(result.code, 1, result.stderr);
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings.filter((f) => f.kind === "sql-injection");
    const got = findings.map((f): [string, number] => [f.file, f.line]).sort();
    assert.deepEqual(got, expectedStarts().sort(), JSON.stringify(findings, null, 1));
    for (const f of findings) {
      assert.equal(f.severity, "high");
      assert.match(f.rule, /^sqli-/);
      assert.ok(f.endLine >= f.line);
      assert.match(f.fingerprint, /^[0-9a-f]{32}$/);
    }
    const prisma = findings.find((f) => f.file === "src/orm.ts" && f.line === 6);
    assert.equal(prisma?.rule, "sqli-prisma-unsafe");
    assert.match(prisma?.message ?? "", /template literal from `id` reaches prisma\.\$queryRawUnsafe\(\)/);
    const built = findings.find((f) => f.file === "src/built.js");
    assert.equal(built?.endLine, 4, "the finding spans from where the query is built to the call that runs it");
    const text = br(["security", "check"], { cwd });
    assert.match(text.stdout, /high\s+app\/db\.py:6:5\s+SQL built by an f-string from `user_id` reaches cur\.execute\(\)/);
  });

  it("a query choosing between constant clauses (br model stats' own) is no finding; a tainted choice is", () => {
    const cwd = tempRepo();
    // The shape of src/routing/stats.ts: a clause picked by a conditional, bound as a parameter.
    const stats = `import Database from "better-sqlite3";
export function calls(path: string, since?: string) {
  const db = new Database(path, { readonly: true });
  return db
    .prepare(
      \`SELECT task_id, model, cost_usd
         FROM attempts WHERE outcome != 'running' \${since ? "AND started_at >= ?" : ""} ORDER BY id\`,
    )
    .all(...(since ? [since] : []));
}
`;
    mkdirSync(join(cwd, "src"), { recursive: true });
    writeFileSync(join(cwd, "src/stats.ts"), stats);
    const clean = br(["security", "check", "--json"], { cwd });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.deepEqual((JSON.parse(clean.stdout) as { findings: Finding[] }).findings, []);

    writeFileSync(join(cwd, "src/stats.ts"), stats.replace('"AND started_at >= ?"', `\`AND started_at >= '\${since}'\``));
    const tainted = br(["security", "check", "--json"], { cwd });
    assert.equal(tainted.code, 1, tainted.stderr);
    const findings = (JSON.parse(tainted.stdout) as { findings: Finding[] }).findings;
    assert.deepEqual(
      findings.map((f) => [f.kind, f.file, f.line]),
      [["sql-injection", "src/stats.ts", 4]],
    );
    assert.match(findings[0]?.message ?? "", /template literal from `since` reaches db\s*\.prepare\(\)/);
  });

  it("fingerprints survive moved lines, and a staged injection is blocked by the hook", () => {
    const cwd = tempRepo();
    const code = 'export const find = (db, id) => db.query("SELECT * FROM t WHERE id = " + id);\n';
    writeFileSync(join(cwd, "a.js"), code);
    const first = JSON.parse(br(["security", "check", "--json"], { cwd }).stdout) as { findings: Finding[] };
    writeFileSync(join(cwd, "a.js"), `// a comment\n\n${code}`);
    const second = JSON.parse(br(["security", "check", "--json"], { cwd }).stdout) as { findings: Finding[] };
    assert.equal(second.findings[0]?.line, 3);
    assert.equal(second.findings[0]?.fingerprint, first.findings[0]?.fingerprint);

    // A second query in the same file, run by the same `db.query(sql)` call text, is a new finding.
    brOk(["security", "baseline"], { cwd });
    const two = [
      'export function find(db, id) {\n  const sql = "SELECT * FROM t WHERE id = " + id;\n  return db.query(sql);\n}',
      'export function drop(db, name) {\n  const sql = "DELETE FROM t WHERE name = \'" + name + "\'";\n  return db.query(sql);\n}\n',
    ];
    writeFileSync(join(cwd, "b.js"), `${two[0]}\n`);
    brOk(["security", "baseline"], { cwd });
    writeFileSync(join(cwd, "b.js"), two.join("\n"));
    const added = br(["security", "check", "--json"], { cwd });
    assert.equal(added.code, 1, "the new query is not hidden by the baseline");
    const left = (JSON.parse(added.stdout) as { findings: Finding[] }).findings;
    assert.deepEqual(
      left.map((f) => [f.file, f.line]),
      [["b.js", 6]],
    );
    rmSync(join(cwd, "b.js"));
    rmSync(join(cwd, ".buildrunner"), { recursive: true, force: true });

    assert.equal(br(["hooks", "install"], { cwd }).code, 0);
    git(cwd, "add", "a.js");
    const blocked = commit(cwd);
    assert.equal(blocked.status, 1);
    assert.match(blocked.stdout + blocked.stderr, /a\.js:3:\d+\s+SQL built by concatenation/);
    writeFileSync(join(cwd, "a.js"), 'export const find = (db, id) => db.query("SELECT * FROM t WHERE id = ?", [id]);\n');
    git(cwd, "add", "a.js");
    assert.equal(commit(cwd).status, 0);
  });
});
