import { usageError } from "../infra/errors.js";
import { PRIORITIES, type Priority, slugify } from "../registry/rules.js";

/**
 * Parser for PROJECT_SPEC.md (SPEC §4). The format is a small, line-oriented convention on top of
 * Markdown, so it is read line by line (keeping exact line numbers for every error) rather than
 * through a Markdown AST: `# Project`, `## Features`, one `### Feature` block each with
 * `Priority:`, `Depends on:`, `Acceptance criteria:` and `Files:` lines. Every other heading is kept
 * as project context.
 */
export interface SpecFeature {
  id: string;
  name: string;
  priority: Priority;
  /** As written (names or ids); resolved to ids by the caller. */
  dependsOn: { ref: string; line: number }[];
  description: string;
  acceptance: string[];
  files: string[];
  /** 1-based line of the `###` heading. */
  line: number;
  dependsLine?: number;
  idLine?: number;
}

export interface ParsedSpec {
  project?: string;
  overview?: string;
  /** Every section that is not Overview or Features, as written, for agents' context. */
  context: { heading: string; body: string }[];
  features: SpecFeature[];
}

const FIELD = /^(?:[*_]{2})?([A-Za-z][A-Za-z -]*?)(?:[*_]{2})?\s*:(?:[*_]{2})?\s*(.*)$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/;

function fieldName(raw: string): "priority" | "depends" | "acceptance" | "files" | "id" | undefined {
  const name = raw.trim().toLowerCase();
  if (name === "priority") return "priority";
  // Only the spec's own spellings: "Dependencies: we use Redis" in prose is not a field.
  if (["depends on", "depends-on"].includes(name)) return "depends";
  if (["acceptance criteria", "acceptance", "acceptance-criteria"].includes(name)) return "acceptance";
  if (["files", "file hints", "files hint"].includes(name)) return "files";
  if (name === "id") return "id";
  return undefined;
}

function splitList(value: string): string[] {
  const trimmed = value.trim();
  if (/^(none|n\/a|-|—)?$/i.test(trimmed)) return [];
  return trimmed
    .split(",")
    .map((part) => part.trim().replace(/^`|`$/g, ""))
    .filter(Boolean);
}

/** "Acceptance criteria" written as a bold line or a heading, without the colon. */
function isAcceptanceHeader(line: string): boolean {
  // Most lines are not: one search spares them the five rewrites below.
  if (!/acceptance/i.test(line)) return false;
  const bare = line
    .trim()
    .replace(/^#+\s*/, "")
    .replace(/^[*_]{2}|[*_]{2}$/g, "")
    .replace(/:$/, "")
    .replace(/^[*_]{2}|[*_]{2}$/g, "")
    .trim()
    .toLowerCase();
  return bare === "acceptance criteria" || bare === "acceptance";
}

type Fail = (line: number, message: string, fix: string) => never;
type Section = "none" | "overview" | "features" | "other";
type FieldKind = NonNullable<ReturnType<typeof fieldName>>;
/** A feature while its block is read: its description lines so far, and whether list items are criteria. */
type OpenFeature = SpecFeature & { body: string[]; inAcceptance: boolean };

/** Where the line-by-line read is, and what it has collected. */
interface SpecState {
  spec: ParsedSpec;
  fail: Fail;
  section: Section;
  other: { heading: string; lines: string[] } | undefined;
  overview: string[];
  feature: OpenFeature | undefined;
  inFence: boolean;
}

// CommonMark ATX headings: `#` needs a space after it (so "#1 priority" is text) and a
// closing run of `#` must be set off by a space (so "C#" keeps its `#`).
const HEADING = /^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;

export function parseSpec(text: string, shownAs: string): ParsedSpec {
  const spec: ParsedSpec = { context: [], features: [] };
  const fail: Fail = (line, message, fix) => {
    throw usageError(`${shownAs}:${line}: ${message}`, { file: shownAs, place: `line ${line}`, fix });
  };
  const state: SpecState = { spec, fail, section: "none", other: undefined, overview: [], feature: undefined, inFence: false };
  text.split(/\r?\n/).forEach((raw, index) => {
    readLine(state, raw, index + 1);
  });
  closeFeature(state);
  closeOther(state);
  const overviewText = state.overview.join("\n").trim();
  if (overviewText) spec.overview = overviewText;
  if (spec.features.length === 0) {
    throw usageError(`${shownAs} describes no features.`, {
      file: shownAs,
      fix: 'Add a "## Features" section with one "### <Feature name>" heading per feature (`br spec sync --help` shows the format).',
    });
  }
  validate(spec, fail);
  return spec;
}

function closeFeature(state: SpecState): void {
  if (!state.feature) return;
  const { body, inAcceptance: _, ...rest } = state.feature;
  state.spec.features.push({ ...rest, description: body.join("\n").trim() });
  state.feature = undefined;
}

function closeOther(state: SpecState): void {
  const { other } = state;
  if (other) state.spec.context.push({ heading: other.heading, body: other.lines.join("\n").trim() });
  state.other = undefined;
}

function readLine(state: SpecState, raw: string, lineNo: number): void {
  if (/^\s*(```|~~~)/.test(raw)) state.inFence = !state.inFence;
  const heading = state.inFence ? undefined : HEADING.exec(raw);
  if (heading && readHeading(state, heading, lineNo)) return;
  if (state.section === "overview") state.overview.push(raw);
  else if (state.section === "other") state.other?.lines.push(raw);
  else if (state.section === "features" && state.feature) readFeatureLine(state, state.feature, raw, lineNo);
}

/** Opens what a heading starts (project, section, feature, acceptance list); false when the heading is just text. */
function readHeading(state: SpecState, heading: RegExpExecArray, lineNo: number): boolean {
  const level = (heading[1] as string).length;
  if (level >= 4) {
    if (!state.feature || !isAcceptanceHeader(heading[2] ?? "")) return false;
    state.feature.inAcceptance = true;
    return true;
  }
  const title = (heading[2] ?? "").trim();
  if (level === 3) return state.section === "features" && openFeature(state, title, lineNo);
  closeFeature(state);
  closeOther(state);
  if (level === 1) {
    if (state.spec.project === undefined) state.spec.project = title;
    state.section = "none";
  } else openSection(state, title);
  return true;
}

function openSection(state: SpecState, title: string): void {
  const name = title.toLowerCase();
  if (name === "overview") state.section = "overview";
  else if (name === "features") state.section = "features";
  else {
    state.section = "other";
    state.other = { heading: title, lines: [] };
  }
}

function openFeature(state: SpecState, title: string, lineNo: number): true {
  closeFeature(state);
  if (!title) state.fail(lineNo, "a feature heading has no name.", 'Write the feature\'s name after "### ".');
  state.feature = {
    id: slugify(title),
    name: title,
    priority: "medium",
    dependsOn: [],
    description: "",
    acceptance: [],
    files: [],
    line: lineNo,
    body: [],
    inAcceptance: false,
  };
  return true;
}

function readFeatureLine(state: SpecState, feature: OpenFeature, raw: string, lineNo: number): void {
  if (!state.inFence && isAcceptanceHeader(raw)) {
    feature.inAcceptance = true;
    return;
  }
  const field = state.inFence ? undefined : FIELD.exec(raw.trim());
  const kind = field ? fieldName(field[1] as string) : undefined;
  if (field && kind) {
    const value = (field[2] as string).trim();
    feature.inAcceptance = false;
    FIELDS[kind](feature, value, lineNo, state.fail);
    return;
  }
  readAcceptanceOrBody(feature, raw);
}

/** How each field line sets the feature it belongs to. */
const FIELDS: Record<FieldKind, (feature: OpenFeature, value: string, lineNo: number, fail: Fail) => void> = {
  priority: (feature, value, lineNo, fail) => {
    const priority = value.toLowerCase();
    if (!(PRIORITIES as readonly string[]).includes(priority)) {
      fail(lineNo, `unknown priority "${value}" for feature "${feature.name}".`, `Use one of: ${PRIORITIES.join(", ")}.`);
    }
    feature.priority = priority as Priority;
  },
  depends: (feature, value, lineNo) => {
    feature.dependsOn.push(...splitList(value).map((ref) => ({ ref, line: lineNo })));
    feature.dependsLine = lineNo;
  },
  files: (feature, value) => {
    feature.files.push(...splitList(value));
  },
  id: (feature, value, lineNo) => {
    feature.id = value;
    feature.idLine = lineNo; // errors about the id point at this line
  },
  acceptance: (feature, value) => {
    feature.inAcceptance = true;
    if (value) feature.acceptance.push(value);
  },
};

/** A criterion (a list item, or an indented continuation of the last one) while in the acceptance list, else description. */
function readAcceptanceOrBody(feature: OpenFeature, raw: string): void {
  const item = LIST_ITEM.exec(raw);
  if (feature.inAcceptance && item) {
    feature.acceptance.push((item[1] as string).replace(/^\[[ xX]\]\s*/, "").trim());
    return;
  }
  if (feature.inAcceptance && raw.trim() !== "" && /^\s{2,}/.test(raw) && feature.acceptance.length > 0) {
    const last = feature.acceptance.length - 1;
    feature.acceptance[last] = `${feature.acceptance[last]} ${raw.trim()}`;
    return;
  }
  if (feature.inAcceptance && raw.trim() !== "") feature.inAcceptance = false;
  if (!feature.inAcceptance) feature.body.push(raw);
}

function validate(spec: ParsedSpec, fail: (line: number, message: string, fix: string) => never): void {
  const byName = new Map<string, SpecFeature>();
  const byId = new Map<string, SpecFeature>();
  for (const feature of spec.features) {
    const idLine = feature.idLine ?? feature.line;
    if (!feature.id) fail(idLine, `cannot make an id from the feature name "${feature.name}".`, "Add an `Id: some-id` line.");
    if (!/^[a-z0-9][a-z0-9-]*$/.test(feature.id)) {
      fail(idLine, `"${feature.id}" is not a valid feature id.`, "Use lowercase letters, digits and dashes.");
    }
    const key = feature.name.toLowerCase();
    const sameName = byName.get(key);
    if (sameName)
      fail(feature.line, `duplicate feature name "${feature.name}" (first at line ${sameName.line}).`, "Give each feature a unique name.");
    const sameId = byId.get(feature.id);
    if (sameId) {
      fail(
        feature.line,
        `feature "${feature.name}" has the same id "${feature.id}" as "${sameId.name}" (line ${sameId.line}).`,
        "Rename one of them, or give it an `Id:` line.",
      );
    }
    byName.set(key, feature);
    byId.set(feature.id, feature);
  }
}
