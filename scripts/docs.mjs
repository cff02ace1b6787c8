// `npm run docs`: regenerates the parts of the guides that come from the code, between the
// `<!-- generated: … -->` and `<!-- end generated -->` lines:
//   docs/troubleshooting.md  every error br can print (each usageError, failure and new BrError in
//                            src/, read with oxc-parser), by area, with its exit code and fix;
//   docs/configuration.md    every setting of config.yaml, from schemas/config.schema.json.
// `node scripts/docs.mjs --check` changes nothing and exits 1 when a page is out of date (CI).
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const { parseSync } = createRequire(import.meta.url)("oxc-parser");

const CONSTRUCTORS = new Set(["usageError", "failure"]);

/** What stands for a value br fills in: its name when it is a plain one (`‹feature.id›`), else `…`. */
const placeholder = (expression) => (/^[\w.]{1,30}$/.test(expression) ? `‹${expression.replace(/^(options|opts|args)\./, "")}›` : "…");

/** The text of a message argument: literals as written, interpolations as `…`; undefined when computed. */
function textOf(node, source, constants = new Map()) {
  if (!node) return undefined;
  if (node.type === "Identifier") return constants.get(node.name);
  if (node.type === "Literal" && typeof node.value === "string") return [node.value];
  if (node.type === "TemplateLiteral") {
    const values = node.expressions.map((expression) => placeholder(source.slice(expression.start, expression.end)));
    return [node.quasis.map((quasi, i) => quasi.value.cooked + (values[i] ?? "")).join("")];
  }
  if (node.type === "BinaryExpression" && node.operator === "+") {
    const left = textOf(node.left, source, constants) ?? ["…"];
    const right = textOf(node.right, source, constants) ?? ["…"];
    return left.flatMap((l) => right.map((r) => l + r));
  }
  if (node.type === "ConditionalExpression") {
    const both = [textOf(node.consequent, source, constants), textOf(node.alternate, source, constants)];
    return both.every(Boolean) ? both.flat() : undefined;
  }
  return undefined;
}

const isErrorConstruction = (node) =>
  (node.type === "CallExpression" && node.callee.type === "Identifier" && CONSTRUCTORS.has(node.callee.name)) ||
  (node.type === "NewExpression" && node.callee.type === "Identifier" && node.callee.name === "BrError");

function detailsOf(node, source, constants) {
  const found = { exitCode: node.callee.name === "failure" ? 1 : 2, fix: undefined, hasFix: false };
  const details = node.arguments[1];
  if (details?.type !== "ObjectExpression") return found;
  for (const property of details.properties) {
    const key = property.key?.name;
    if (property.type === "SpreadElement") found.hasFix = true; // details passed on from another error
    if (key === "fix") {
      found.hasFix = true;
      found.fix = textOf(property.value, source, constants)?.join(" / ");
    }
    if (key === "exitCode" && property.value.type === "Literal") found.exitCode = property.value.value;
  }
  return found;
}

function visit(node, found, declarations) {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) visit(child, found, declarations);
    return;
  }
  if (isErrorConstruction(node)) found.push(node);
  if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.init) declarations.push(node);
  for (const key of Object.keys(node)) if (key !== "parent") visit(node[key], found, declarations);
}

/** The file's constants whose value is text (a fix kept in a constant is shown as its text). */
function constantsOf(declarations, source) {
  const constants = new Map();
  for (const declaration of declarations) {
    const value = textOf(declaration.init, source);
    if (value) constants.set(declaration.id.name, value);
  }
  return constants;
}

const lineAt = (text, offset) => text.slice(0, offset).split("\n").length;

/** Every error br can print: { file, line, area, messages, exitCode, fix, hasFix }; `messages` undefined when computed. */
export function errorSites(base = root) {
  const files = execFileSync("git", ["ls-files", "src/*.ts"], { cwd: base, encoding: "utf8" }).trim().split("\n");
  const sites = [];
  for (const file of files.filter((name) => name !== "src/infra/errors.ts")) {
    const text = readFileSync(join(base, file), "utf8");
    const nodes = [];
    const declarations = [];
    visit(parseSync(file, text).program, nodes, declarations);
    const constants = constantsOf(declarations, text);
    for (const node of nodes) {
      const messages = textOf(node.arguments[0], text, constants);
      sites.push({ file, line: lineAt(text, node.start), area: file.split("/")[1], messages, ...detailsOf(node, text, constants) });
    }
  }
  return sites;
}

/** What the reader sees: a message with `…` where br puts a name, a path or a number. */
export const shownMessage = (message) => message.replace(/\s+/g, " ").trim();

const AREAS = {
  cli: "Command line and arguments",
  infra: "Files, configuration, git and locks",
  registry: "Projects and features",
  plan: "Spec, plan and tasks",
  run: "The build loop",
  quality: "Quality gates",
  security: "Security scans and hooks",
  routing: "Models, routing and cost",
  telemetry: "Telemetry",
  parallel: "Parallel builds and workers",
  dashboard: "The dashboard",
  migrate: "Migration and import",
  mcp: "MCP server and agent hooks",
  demo: "The demo",
};

const escapeCell = (text) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderErrors(sites) {
  const lines = [];
  const byArea = Object.groupBy(sites, (site) => site.area);
  for (const area of Object.keys(byArea).sort()) {
    lines.push(`### ${AREAS[area] ?? area}`, "", "| message | exit | what to do |", "| --- | --- | --- |");
    const rows = new Map();
    for (const site of byArea[area]) {
      for (const message of site.messages ?? []) {
        const row = `| ${escapeCell(shownMessage(message))} | ${site.exitCode} | ${escapeCell(site.fix ?? (site.hasFix ? "printed with the message (it depends on the case)" : "—"))} |`;
        rows.set(row, row);
      }
    }
    lines.push(...[...rows.keys()].sort(), "");
  }
  return lines.join("\n");
}

function describeType(schema) {
  if (schema.enum) return schema.enum.map((value) => `\`${value}\``).join(", ");
  if (schema.const !== undefined) return `\`${schema.const}\``;
  if (schema.type === "array") return `list of ${schema.items ? describeType(schema.items) : "values"}`;
  if (schema.anyOf) return schema.anyOf.map(describeType).join(" or ");
  const bounds = [
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : "",
    schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : "",
    schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : "",
  ].filter(Boolean);
  return [schema.type ?? "value", ...bounds].join(" ");
}

function settingRows(schema, prefix, rows) {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (child.type === "object" && child.properties) {
      settingRows(child, key, rows);
      continue;
    }
    const fallback = child.default === undefined ? "" : `\`${JSON.stringify(child.default)}\``;
    rows.push(`| \`${key}\` | ${escapeCell(describeType(child))} | ${escapeCell(fallback)} | ${escapeCell(child.description ?? "")} |`);
  }
}

export function renderSettings(schema) {
  const sections = [];
  for (const [name, child] of Object.entries(schema.properties)) {
    const rows = [];
    if (child.type === "object" && child.properties) settingRows(child, name, rows);
    else settingRows({ properties: { [name]: child } }, "", rows);
    sections.push(
      `### \`${name}\``,
      "",
      ...(child.description ? [child.description, ""] : []),
      "| key | value | default | meaning |",
      "| --- | --- | --- | --- |",
      ...rows,
      "",
    );
  }
  return sections.join("\n");
}

/** The page with its generated region replaced by `content`. */
export function withGenerated(page, name, content) {
  const start = `<!-- generated: ${name} (npm run docs) -->`;
  const end = "<!-- end generated -->";
  const from = page.indexOf(start);
  const to = page.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`the page has no region "${start}" … "${end}"`);
  return `${page.slice(0, from + start.length)}\n\n${content.trim()}\n\n${page.slice(to)}`;
}

export function generatedPages(base = root) {
  const schema = JSON.parse(readFileSync(join(base, "schemas", "config.schema.json"), "utf8"));
  return [
    { path: join(base, "docs", "troubleshooting.md"), name: "errors", content: renderErrors(errorSites(base)) },
    { path: join(base, "docs", "configuration.md"), name: "settings", content: renderSettings(schema) },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const { path, name, content } of generatedPages()) {
    const page = readFileSync(path, "utf8");
    const next = withGenerated(page, name, content);
    if (next === page) continue;
    stale++;
    if (check) console.error(`${path} is out of date: run npm run docs`);
    else {
      writeFileSync(`${path}.tmp`, next);
      renameSync(`${path}.tmp`, path);
      console.log(`wrote ${path}`);
    }
  }
  process.exit(check && stale > 0 ? 1 : 0);
}
