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

export function parseSpec(text: string, shownAs: string): ParsedSpec {
  const lines = text.split(/\r?\n/);
  const spec: ParsedSpec = { context: [], features: [] };
  const fail = (line: number, message: string, fix: string): never => {
    throw usageError(`${shownAs}:${line}: ${message}`, { file: shownAs, place: `line ${line}`, fix });
  };

  let section: "none" | "overview" | "features" | "other" = "none";
  let other: { heading: string; lines: string[] } | undefined;
  const overview: string[] = [];
  let feature: (SpecFeature & { body: string[]; inAcceptance: boolean }) | undefined;
  let inFence = false;

  const closeFeature = () => {
    if (!feature) return;
    const { body, inAcceptance: _, ...rest } = feature;
    spec.features.push({ ...rest, description: body.join("\n").trim() });
    feature = undefined;
  };
  const closeOther = () => {
    if (other) spec.context.push({ heading: other.heading, body: other.lines.join("\n").trim() });
    other = undefined;
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (/^\s*(```|~~~)/.test(raw)) inFence = !inFence;
    // CommonMark ATX headings: `#` needs a space after it (so "#1 priority" is text) and a
    // closing run of `#` must be set off by a space (so "C#" keeps its `#`).
    const heading = inFence ? undefined : /^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(raw);
    if (heading && (heading[1] as string).length >= 4 && feature && isAcceptanceHeader(heading[2] ?? "")) {
      feature.inAcceptance = true;
      return;
    }
    if (heading && (heading[1] as string).length <= 3) {
      const level = (heading[1] as string).length;
      const title = (heading[2] ?? "").trim();
      if (level === 1) {
        closeFeature();
        closeOther();
        if (spec.project === undefined) spec.project = title;
        section = "none";
        return;
      }
      if (level === 2) {
        closeFeature();
        closeOther();
        const name = title.toLowerCase();
        if (name === "overview") section = "overview";
        else if (name === "features") section = "features";
        else {
          section = "other";
          other = { heading: title, lines: [] };
        }
        return;
      }
      if (level === 3 && section === "features") {
        closeFeature();
        if (!title) fail(lineNo, "a feature heading has no name.", 'Write the feature\'s name after "### ".');
        feature = {
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
        return;
      }
    }
    if (section === "overview") overview.push(raw);
    else if (section === "other") other?.lines.push(raw);
    else if (section === "features" && feature) {
      const current = feature;
      if (!inFence && isAcceptanceHeader(raw)) {
        current.inAcceptance = true;
        return;
      }
      const field = inFence ? undefined : FIELD.exec(raw.trim());
      const kind = field ? fieldName(field[1] as string) : undefined;
      if (field && kind) {
        const value = (field[2] as string).trim();
        current.inAcceptance = false;
        if (kind === "priority") {
          const priority = value.toLowerCase();
          if (!(PRIORITIES as readonly string[]).includes(priority)) {
            fail(lineNo, `unknown priority "${value}" for feature "${current.name}".`, `Use one of: ${PRIORITIES.join(", ")}.`);
          }
          current.priority = priority as Priority;
        } else if (kind === "depends") {
          current.dependsOn.push(...splitList(value).map((ref) => ({ ref, line: lineNo })));
          current.dependsLine = lineNo;
        } else if (kind === "files") current.files.push(...splitList(value));
        else if (kind === "id") {
          current.id = value;
          current.idLine = lineNo; // errors about the id point at this line
        } else if (kind === "acceptance") {
          current.inAcceptance = true;
          if (value) current.acceptance.push(value);
        }
        return;
      }
      const item = LIST_ITEM.exec(raw);
      if (current.inAcceptance && item) {
        current.acceptance.push((item[1] as string).replace(/^\[[ xX]\]\s*/, "").trim());
        return;
      }
      if (current.inAcceptance && raw.trim() !== "" && /^\s{2,}/.test(raw) && current.acceptance.length > 0) {
        const last = current.acceptance.length - 1;
        current.acceptance[last] = `${current.acceptance[last]} ${raw.trim()}`;
        return;
      }
      if (current.inAcceptance && raw.trim() !== "") current.inAcceptance = false;
      if (!current.inAcceptance) current.body.push(raw);
    }
  });
  closeFeature();
  closeOther();
  const overviewText = overview.join("\n").trim();
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
