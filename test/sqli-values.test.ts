/**
 * How the SQL injection detector judges queries built with conditionals (values.ts), checked on
 * source text in-process: fast, no `br` run. A choice between constants is constant SQL; a choice
 * where any branch can carry non-constant data is still a finding.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scanCode } from "../src/security/sqli/detect.ts";

/** The lines findings start on. */
function flagged(file: string, text: string): number[] {
  return scanCode(text, file).map((f) => f.line);
}

/** A JS function body, valid TypeScript too. */
function js(body: string): string {
  return `export function find(db, since, name, flag) {\n${body}\n}\n`;
}

function py(body: string): string {
  return `def find(cur, since, name, flag):\n${body
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n")}\n`;
}

describe("SQL injection: conditionals between constants are constant SQL", () => {
  it("a ?: between constants inside a template literal (the br model stats query)", () => {
    const text = js(
      `  return db.prepare(\`SELECT id FROM attempts WHERE outcome != 'running' \${since ? "AND started_at >= ?" : ""} ORDER BY id\`).all();`,
    );
    assert.deepEqual(flagged("a.ts", text), []);
  });

  it("a ?: between constants in + concatenation, nested and parenthesised", () => {
    const text = js(
      [
        '  const order = flag ? "ASC" : since ? "DESC" : "";',
        '  return db.query("SELECT id FROM t WHERE a = ? " + (since ? "AND b >= ? " : "") + "ORDER BY id " + order, [name]);',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.js", text), []);
  });

  it("||, ?? and && with constant operands", () => {
    const text = js(
      [
        `  db.query(\`SELECT id FROM t \${(flag && "WHERE a = 1") || ""}\`);`,
        '  db.query("SELECT id FROM t " + (since && "WHERE b >= ?"), [since]);',
        '  db.query("SELECT id FROM t ORDER BY " + ("id" ?? "name"));',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.ts", text), []);
  });

  it("Python: x if c else y and `and`/`or` between constants, in + and f-strings", () => {
    const text = py(
      [
        'cur.execute("SELECT id FROM t " + ("WHERE b >= %s" if since else ""), [since])',
        "cur.execute(f\"SELECT id FROM t {'WHERE a = 1' if flag else ''} ORDER BY id\")",
        'cur.execute("SELECT id FROM t " + (flag and "WHERE a = 1" or ""))',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.py", text), []);
  });
});

describe("SQL injection: a conditional with a non-constant branch is still a finding", () => {
  it("?: with a tainted branch, in a template literal and in + concatenation", () => {
    const text = js(
      [
        `  db.query(\`SELECT id FROM t WHERE \${since ? \`b >= '\${since}'\` : "1 = 1"}\`);`,
        '  db.query("SELECT id FROM t WHERE name = \'" + (flag ? "x" : name) + "\'");',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.ts", text), [2, 3]);
  });

  it("|| and ?? fall back from a non-constant value; && yields a non-constant one", () => {
    const text = js(
      [
        '  db.query("SELECT id FROM t ORDER BY " + (name || "id"));',
        `  db.query(\`SELECT id FROM t ORDER BY \${name ?? "id"}\`);`,
        `  db.query(\`SELECT id FROM t WHERE \${flag && \`name = '\${name}'\`}\`);`,
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.ts", text), [2, 3, 4]);
  });

  it("Python: a tainted branch of x if c else y, of `or` and of `and`", () => {
    const text = py(
      [
        'cur.execute("SELECT id FROM t WHERE name = \'" + (name if flag else "x") + "\'")',
        "cur.execute(f\"SELECT id FROM t ORDER BY {name or 'id'}\")",
        'cur.execute("SELECT id FROM t WHERE " + (flag and "name = \'" + name + "\'"))',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.py", text), [2, 3, 4]);
  });
});

describe("SQL injection: a variable assigned in branches is any of the values the branches give it", () => {
  it("if/else and switch branches that all assign constants (or exit) are constant SQL", () => {
    const text = js(
      [
        "  let clause;",
        '  if (since) clause = "AND started_at >= ?";',
        '  else clause = "";',
        '  db.query("SELECT id FROM t WHERE a = 1 " + clause, [since]);',
        "  let order = name;",
        '  if (order === "asc") order = "ASC";',
        '  else if (order === "desc") { order = "DESC"; }',
        '  else throw new Error("order");',
        '  db.query("SELECT id FROM t ORDER BY id " + order);',
        "  let direction = name;",
        "  switch (direction) {",
        '    case "up":',
        '    case "asc":',
        '      direction = "ASC";',
        "      break;",
        "    default:",
        '      direction = "DESC";',
        "  }",
        `  db.query(\`SELECT id FROM t ORDER BY id \${direction}\`);`,
        '  let where = "";',
        '  if (flag) where += " AND a = 1";',
        '  for (const s of since) where += " AND b = ?";',
        '  return db.query("SELECT id FROM t WHERE 1 = 1" + where, since);',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.js", text), []);
  });

  it("Python: if/elif/else branches that all assign constants (or raise) are constant SQL", () => {
    const text = py(
      [
        "order = name",
        'if flag == "asc":',
        '    order = "ASC"',
        'elif flag == "desc":',
        '    order = "DESC"',
        "else:",
        "    raise ValueError(flag)",
        'cur.execute("SELECT id FROM t ORDER BY id " + order)',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.py", text), []);
  });

  it("a branch assigning non-constant data, or a branch that keeps a non-constant value, is a finding", () => {
    const text = js(
      [
        "  let clause;",
        `  if (flag) clause = \`name = '\${name}'\`;`,
        '  else clause = "1 = 1";',
        '  db.query("SELECT id FROM t WHERE " + clause);',
        "  let order = name;",
        '  if (flag) order = "ASC";',
        '  db.query("SELECT id FROM t ORDER BY id " + order);',
        "  let column;",
        "  switch (flag) {",
        "    case 1:",
        "      column = name;",
        "      break;",
        "    default:",
        '      column = "id";',
        "  }",
        '  db.query("SELECT id FROM t ORDER BY " + column);',
        '  let sort = "id";',
        '  try { sort = name.trim(); } catch { sort = "id"; }',
        '  return db.query("SELECT id FROM t ORDER BY " + sort);',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.js", text), [3, 8, 17, 19]);
  });

  it("Python: a branch or loop assigning non-constant data is a finding", () => {
    const text = py(
      [
        "if flag:",
        "    clause = f\"name = '{name}'\"",
        "else:",
        '    clause = "1 = 1"',
        'cur.execute("SELECT id FROM t WHERE " + clause)',
        'order = "id"',
        "for column in since:",
        "    order = column",
        'cur.execute("SELECT id FROM t ORDER BY " + order)',
      ].join("\n"),
    );
    assert.deepEqual(flagged("a.py", text), [3, 8]);
  });
});
