// `npm run docs`: regenerates the parts of the guides that come from the code, between the
// `<!-- generated: … -->` and `<!-- end generated -->` lines:
//   docs/troubleshooting.md  every error br can print (each usageError, failure and new BrError in
//                            src/, read with oxc-parser), by area, with its exit code and fix;
//   docs/configuration.md    every setting of config.yaml, from schemas/config.schema.json.
// `node scripts/docs.mjs --check` changes nothing and exits 1 when a page is out of date (CI).
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

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
    // Details passed on from another error: a fix only when the spread names one.
    if (property.type === "SpreadElement" && /\bfix\b/.test(source.slice(property.start, property.end))) found.hasFix = true;
    if (key === "fix") {
      found.hasFix = true;
      found.fix = textOf(property.value, source, constants)?.join(" / ");
    }
    if (key === "exitCode" && property.value.type === "Literal") found.exitCode = property.value.value;
  }
  return found;
}

function visit(node, found, declarations, calls, functions) {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) visit(child, found, declarations, calls, functions);
    return;
  }
  if (isErrorConstruction(node)) found.push(node);
  else if (node.type === "CallExpression") calls.push(node);
  if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.init) declarations.push(node);
  if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && /FunctionExpression$/.test(node.init?.type ?? ""))
    functions.push({ name: node.id.name, fn: node.init });
  if (node.type === "FunctionDeclaration" && node.id) functions.push({ name: node.id.name, fn: node });
  for (const key of Object.keys(node)) if (key !== "parent") visit(node[key], found, declarations, calls, functions);
}

const within = (outer, inner) => inner.start >= outer.start && inner.end <= outer.end;

/**
 * A function of the file that builds an error from its parameters (the spec parser's
 * `fail(line, message, fix)`): each call of it is an error site, its message the call's argument.
 */
function wrappersOf(functions, constructions) {
  const wrappers = new Map();
  for (const { name, fn } of functions) {
    // Only a function that does nothing but build the error: `(line, message, fix) => { throw … }`.
    const body = fn.body.type === "BlockStatement" ? fn.body.body : [fn.body];
    if (body.length !== 1) continue;
    const params = fn.params.map((param) => (param.type === "Identifier" ? param.name : undefined));
    for (const node of constructions.filter((c) => within(fn, c))) {
      const argument = node.arguments[0];
      const bare =
        argument?.type === "TemplateLiteral" ? argument.expressions.filter((e) => e.type === "Identifier").map((e) => e.name) : [];
      // The message is the last parameter the template puts in whole (`${file}:${line}: ${message}`).
      const message = params.indexOf(bare.filter((name) => params.includes(name)).at(-1));
      if (message < 0) continue;
      const fixValue = node.arguments[1]?.properties?.find((p) => p.key?.name === "fix")?.value;
      const fix = fixValue?.type === "Identifier" ? params.indexOf(fixValue.name) : -1;
      wrappers.set(name, { node, message, fix });
    }
  }
  return wrappers;
}

function wrapperSites(calls, wrappers, source, constants) {
  const sites = [];
  for (const call of calls) {
    const name = call.callee.type === "Identifier" ? call.callee.name : call.callee.property?.name;
    const wrapper = wrappers.get(name);
    if (!wrapper) continue;
    const details = detailsOf(wrapper.node, source, constants);
    const fixArgument = wrapper.fix >= 0 ? call.arguments[wrapper.fix] : undefined;
    const fix = fixArgument ? textOf(fixArgument, source, constants)?.join(" / ") : details.fix;
    const messages = textOf(call.arguments[wrapper.message], source, constants);
    // A message computed elsewhere stays under the wrapper's own row.
    if (messages) sites.push({ call, messages, ...details, fix, hasFix: Boolean(fix) || details.hasFix });
  }
  return sites;
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
    const [nodes, declarations, calls, functions] = [[], [], [], []];
    visit(parseSync(file, text).program, nodes, declarations, calls, functions);
    const constants = constantsOf(declarations, text);
    const wrappers = wrappersOf(functions, nodes);
    const area = file.split("/")[1];
    for (const node of nodes) {
      const messages = textOf(node.arguments[0], text, constants);
      sites.push({ file, line: lineAt(text, node.start), area, messages, ...detailsOf(node, text, constants) });
    }
    for (const { call, ...site } of wrapperSites(calls, wrappers, text, constants))
      sites.push({ file, line: lineAt(text, call.start), area, ...site });
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

export const escapeCell = (text) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/\n/g, " ");

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

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
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
