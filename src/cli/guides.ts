/**
 * `br help <topic>`: the guides of docs/ (shipped in the package) printed in the terminal, so the
 * same text a reader finds on the web is at hand offline. The markdown is made readable, not
 * rendered: fences go, code is indented, links say which topic or address they lead to.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { style } from "../infra/log.js";
import { fences } from "../infra/markdown.js";

/** The contract is docs/spec.md, but `br help spec` would read as help for `br spec`. */
const TOPIC_OF_FILE: Record<string, string> = { spec: "contract" };

/** The package's docs/ folder, found upwards from this module (src/cli or dist/chunks). */
export function guidesDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "docs", "getting-started.md")) && existsSync(join(dir, "package.json"))) return join(dir, "docs");
    if (dirname(dir) === dir) return undefined;
  }
}

/** The order a reader meets them in; a guide not named here comes after, by name. */
const READING_ORDER = [
  "getting-started",
  "workflow",
  "build-loop",
  "quality",
  "parallel",
  "workers",
  "security",
  "routing",
  "telemetry",
  "mcp",
  "migration",
  "agent-clis",
  "configuration",
  "troubleshooting",
  "versioning",
  "contract",
];
const rank = (topic: string): number => {
  const at = READING_ORDER.indexOf(topic);
  return at < 0 ? READING_ORDER.length : at;
};

export interface Guide {
  topic: string;
  title: string;
  path: string;
}

export function guides(dir = guidesDir()): Guide[] {
  if (!dir) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".md") && name !== "README.md")
    .map((name) => {
      const base = name.slice(0, -".md".length);
      const path = join(dir, name);
      const title = /^# (.+)$/m.exec(readFileSync(path, "utf8"))?.[1] ?? base;
      return { topic: TOPIC_OF_FILE[base] ?? base, title, path };
    })
    .sort((a, b) => rank(a.topic) - rank(b.topic) || a.topic.localeCompare(b.topic));
}

/** The list `br help` and `br --help` end with. */
export function guideList(all = guides()): string {
  if (all.length === 0) return "";
  const width = Math.max(...all.map((guide) => guide.topic.length));
  return ["Guides (br help <topic>):", ...all.map((guide) => `  ${guide.topic.padEnd(width)}  ${guide.title}`)].join("\n");
}

const topicOfLink = (target: string): string => {
  const base = target.replace(/^\.\/|^docs\//, "").replace(/\.md(#.*)?$/, "");
  return TOPIC_OF_FILE[base] ?? base;
};

function inline(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\(([^)]+)\)/g, (_m, alt: string, src: string) => `[picture: ${alt} (docs/${src.replace(/^(docs\/)?/, "")})]`)
    .replace(/\[([^\]]+)\]\((https?:[^)]+)\)/g, "$1 <$2>")
    .replace(/\[([^\]]+)\]\(\.\.\/([^)]+)\)/g, "$1 ($2 in the package)")
    .replace(
      /\[([^\]]+)\]\(([^)#][^)]*?\.md(?:#[^)]*)?)\)/g,
      (_m, text: string, target: string) => `${text} (br help ${topicOfLink(target)})`,
    );
}

/** A guide's markdown as terminal text. */
export function renderGuide(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  // Lines of code (indented) and fence lines (dropped), by 1-based line number.
  const code = new Map<number, "code" | "fence">();
  for (const fence of fences(markdown)) {
    code.set(fence.line, "fence");
    for (let i = 0; i < fence.body.length; i++) code.set(fence.line + 1 + i, "code");
    code.set(fence.next - 1, "fence");
  }
  const out: string[] = [];
  lines.forEach((line, index) => {
    const kind = code.get(index + 1);
    if (kind === "code") out.push(`    ${line}`);
    else if (kind === "fence" || /^<!--.*-->$/.test(line.trim())) return;
    else if (/^#{1,6} /.test(line)) out.push(style.bold(line.replace(/^#+ /, "")));
    else out.push(inline(line));
  });
  // Blank lines trimmed at both ends, never the indent of a first line of code.
  const text = out.join("\n").replace(/\n{3,}/g, "\n\n");
  return `${text.replace(/^(\s*\n)+/, "").trimEnd()}\n`;
}

/** The guide for `topic`, rendered; undefined when there is none (commander then says what it knows). */
export function guideText(topic: string, all = guides()): string | undefined {
  const guide = all.find((g) => g.topic === topic);
  return guide ? renderGuide(readFileSync(guide.path, "utf8")) : undefined;
}
