/**
 * The prompt for one attempt: the task, its feature, acceptance criteria, earlier attempts and the
 * project's conventions always; then context (the task's files, the project's context files)
 * packed greedily into the token budget, with a hard cap and a list of what was left out. Every
 * piece is masked before it is counted or sent.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import type { Config } from "../infra/config.js";
import type { ProjectPaths } from "../infra/project.js";
import type { Task } from "../plan/task.js";
import type { Feature } from "../registry/feature.js";
import { mask } from "../security/mask.js";

export interface EarlierAttempt {
  attempt: number;
  reason: string;
  /** Output of the check that failed, already masked. */
  details?: string;
}

export interface PromptInput {
  task: Task;
  feature: Feature | undefined;
  attempts: EarlierAttempt[];
  config: Config;
  paths: ProjectPaths;
  tree: readonly string[];
  countTokens: (text: string) => number;
}

export interface BuiltPrompt {
  text: string;
  tokens: number;
  contextTokens: number;
  included: string[];
  omitted: { item: string; tokens: number }[];
}

/** The part of the budget the fixed sections (task, attempts, conventions) may take at most. */
const FIXED_CAP = 2500;
const FILE_LIMIT_BYTES = 512 * 1024;

function section(title: string, body: string): string {
  return `## ${title}\n\n${body.trim()}\n`;
}

/** The task's files that exist in the project as git sees it (never ignored files such as .env). */
function candidateFiles(task: Task, tree: readonly string[]): string[] {
  const listed = new Set(tree);
  const out = new Set<string>();
  for (const hint of task.files) {
    if (picomatch.scan(hint).isGlob) {
      const isMatch = picomatch(hint);
      for (const file of tree) if (isMatch(file)) out.add(file);
    } else if (listed.has(hint.replace(/^\.\//, ""))) out.add(hint.replace(/^\.\//, ""));
  }
  return [...out];
}

function truncateToTokens(text: string, maxTokens: number, count: (t: string) => number): string {
  if (count(text) <= maxTokens) return text;
  let lines = text.split("\n");
  while (lines.length > 1 && count(lines.join("\n")) > maxTokens) lines = lines.slice(0, Math.floor(lines.length * 0.8));
  return `${lines.join("\n")}\n… (cut to fit the budget)`;
}

export function buildPrompt(input: PromptInput): BuiltPrompt {
  const { countTokens } = input;
  let text = fixedSections(input);
  const files = candidateFiles(input.task, input.tree);
  const context = packContext(contextItems(files, input.paths), files[0], input.config.run.contextTokens, countTokens);
  if (context.parts.length > 0) text += `\n${section("Context", context.parts.join("\n"))}`;
  if (context.omitted.length > 0) {
    text += `\n${section("Left out to stay within the budget (read them yourself if you need them)", context.omitted.map((o) => `- ${o.item} (${o.tokens} tokens)`).join("\n"))}`;
  }
  return { text, tokens: countTokens(text), contextTokens: context.used, included: context.included, omitted: context.omitted };
}

/** The sections every prompt has (task, feature, criteria, files, earlier attempts, conventions), masked and capped. */
function fixedSections(input: PromptInput): string {
  const { task, feature, config, paths, countTokens } = input;
  const fixed: string[] = [`# Task ${task.id}: ${task.title}\n`];
  fixed.push(
    section(
      "Your job",
      `${task.description}\n\nWork in this repository (${paths.root}). Make the change, run the project's checks yourself, and stop. Do not commit: BuildRunner verifies the result (tests and checks must pass) and commits it.`,
    ),
  );
  if (feature) {
    fixed.push(section(`Feature: ${feature.name} (${feature.id})`, `${feature.description ?? ""}\nPriority: ${feature.priority}`));
  }
  if (task.acceptance.length > 0)
    fixed.push(section("Acceptance criteria (all must hold)", task.acceptance.map((a) => `- ${a}`).join("\n")));
  if (task.files.length > 0) fixed.push(section("Files to work in", task.files.map((f) => `- ${f}`).join("\n")));
  if (input.attempts.length > 0) fixed.push(earlierAttemptsSection(input.attempts, countTokens));
  const commands = Object.entries(config.commands).filter(([name]) => name !== "coverage");
  fixed.push(
    section(
      "Project conventions",
      [
        ...commands.map(([name, command]) => `- ${name}: \`${command}\` must pass`),
        "- Keep the change within the task; follow the style of the surrounding code.",
        "- Never put credentials in code, tests or fixtures.",
      ].join("\n"),
    ),
  );
  const fixedText = mask(fixed.join("\n"));
  return countTokens(fixedText) > FIXED_CAP ? truncateToTokens(fixedText, FIXED_CAP, countTokens) : fixedText;
}

function earlierAttemptsSection(attempts: EarlierAttempt[], countTokens: (text: string) => number): string {
  const perAttempt = Math.floor(800 / attempts.length);
  return section(
    "Earlier attempts (fix what they got wrong)",
    attempts
      .map(
        (a) =>
          `Attempt ${a.attempt} failed: ${a.reason}${a.details ? `\n\`\`\`\n${truncateToTokens(a.details, perAttempt, countTokens)}\n\`\`\`` : ""}`,
      )
      .join("\n\n"),
  );
}

interface ContextItem {
  name: string;
  read: () => string | undefined;
}

/** Context, most relevant first: the task's own files, then the project's context files. */
function contextItems(files: readonly string[], paths: ProjectPaths): ContextItem[] {
  const items: ContextItem[] = files.map((file) => ({ name: file, read: () => readProjectFile(paths, file) }));
  for (const name of ["architecture.md", "decisions.md", "blockers.md", "spec.md"]) {
    items.push({
      name: `.buildrunner/context/${name}`,
      read: () => {
        const full = join(paths.context, name);
        return existsSync(full) ? `### .buildrunner/context/${name}\n\n${readFileSync(full, "utf8")}\n` : undefined;
      },
    });
  }
  return items;
}

/** A task file as a fenced block; undefined when it is missing, not a file, too large or binary. */
function readProjectFile(paths: ProjectPaths, file: string): string | undefined {
  const full = join(paths.root, file);
  if (!existsSync(full) || !statSync(full).isFile() || statSync(full).size > FILE_LIMIT_BYTES) return undefined;
  const content = readFileSync(full, "utf8");
  return content.includes("\0") ? undefined : `### ${file}\n\n\`\`\`\n${content}\n\`\`\`\n`;
}

interface PackedContext {
  parts: string[];
  used: number;
  included: string[];
  omitted: { item: string; tokens: number }[];
}

/** Packs the items greedily into the budget, in order; what does not fit is listed as left out. */
function packContext(
  items: ContextItem[],
  mainFile: string | undefined,
  budget: number,
  countTokens: (text: string) => number,
): PackedContext {
  const packed: PackedContext = { parts: [], used: 0, included: [], omitted: [] };
  for (const item of items) {
    const raw = item.read();
    if (raw === undefined) continue;
    const text = mask(raw);
    const tokens = countTokens(text);
    if (packed.used + tokens <= budget) {
      packed.parts.push(text);
      packed.used += tokens;
      packed.included.push(item.name);
    } else if (budget - packed.used > 300 && item.name === mainFile) {
      // The task's main file is worth a partial read.
      const cut = truncateToTokens(text, budget - packed.used - 20, countTokens);
      packed.parts.push(cut);
      packed.used += countTokens(cut);
      packed.included.push(`${item.name} (partial)`);
    } else packed.omitted.push({ item: item.name, tokens });
  }
  return packed;
}
