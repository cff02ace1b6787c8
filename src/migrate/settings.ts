/**
 * Governance and config settings of the older layouts, carried into config.yaml where br has a
 * setting that means the same thing, and listed (with the reason) where it has none.
 */
import { SEVERITIES } from "../infra/severity.js";
import { secretKinds } from "../security/mask.js";
import type { MigrationPlan } from "./plan.js";

type Leaf = string | number | boolean;

interface Target {
  key: string;
  accept: (value: Leaf) => Leaf | undefined;
}

const percent = (v: Leaf) => (typeof v === "number" && v >= 0 && v <= 100 ? v : undefined);
const positiveInt = (max: number) => (v: Leaf) => (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= max ? v : undefined);
const text = (v: Leaf) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const severity = (v: Leaf) => {
  const s = String(v).toLowerCase();
  return (SEVERITIES as readonly string[]).includes(s) ? s : undefined;
};

/** The last segment of a setting's name, lowercased without separators, to br's key. */
const TARGETS: Record<string, Target> = {
  coverage: { key: "gates.coverage", accept: percent },
  mincoverage: { key: "gates.coverage", accept: percent },
  coveragethreshold: { key: "gates.coverage", accept: percent },
  testcoverage: { key: "gates.coverage", accept: percent },
  minimumcoverage: { key: "gates.coverage", accept: percent },
  maxcomplexity: { key: "gates.complexity", accept: positiveInt(1000) },
  complexitythreshold: { key: "gates.complexity", accept: positiveInt(1000) },
  maxfunctionlines: { key: "gates.functionLines", accept: positiveInt(100_000) },
  maxfilelines: { key: "gates.fileLines", accept: positiveInt(1_000_000) },
  failon: { key: "security.failOn", accept: severity },
  securityfailon: { key: "security.failOn", accept: severity },
  severitythreshold: { key: "security.failOn", accept: severity },
  maxattempts: { key: "run.maxAttempts", accept: positiveInt(10) },
  maxretries: { key: "run.maxAttempts", accept: positiveInt(10) },
  testcommand: { key: "commands.test", accept: text },
  buildcommand: { key: "commands.build", accept: text },
  lintcommand: { key: "commands.lint", accept: text },
  typecheckcommand: { key: "commands.typecheck", accept: text },
};

/** Every leaf of a settings object as a dotted name and value (lists are one setting). */
export function leaves(value: unknown, prefix: string, out: [string, unknown][] = [], depth = 0): [string, unknown][] {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 12) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix ? `${prefix}.${key}` : key, out, depth + 1);
  } else out.push([prefix, value]);
  return out;
}

/** Why a leaf cannot be carried, or its br key and value. */
function carry(name: string, value: unknown): { key: string; value: Leaf } | { why: string } {
  if (typeof value === "string" && secretKinds(value).length > 0)
    return { why: "secret-shaped value: not carried; keep it in the environment" };
  const last = (name.split(".").at(-1) ?? "").toLowerCase().replace(/[^a-z0-9]/g, "");
  const target = Object.hasOwn(TARGETS, last) ? TARGETS[last] : undefined;
  if (!target) return { why: "br has no setting with this meaning" };
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
    return { why: `not a single value br's ${target.key} accepts` };
  const accepted = target.accept(value);
  if (accepted === undefined) return { why: `${JSON.stringify(value)} is not a value br's ${target.key} accepts` };
  return { key: target.key, value: accepted };
}

/**
 * Adds a source's settings to the plan. `file` names the source (`.runner/governance.json`);
 * `skip` lists leaves a reader has already used (the project name).
 */
export function carrySettings(plan: MigrationPlan, file: string, settings: unknown, skip: readonly string[] = []): void {
  for (const [name, value] of leaves(settings, "")) {
    if (name === "" || skip.includes(name)) continue;
    const setting = `${file}: ${name}`;
    const result = carry(name, value);
    if ("why" in result) plan.notCarried.push({ setting, why: result.why });
    else if (plan.config.some((c) => c.key === result.key))
      plan.notCarried.push({ setting, why: `${result.key} is already set from an earlier setting` });
    else plan.config.push({ key: result.key, value: result.value, from: setting });
  }
}
