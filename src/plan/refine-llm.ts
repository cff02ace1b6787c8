/**
 * `br tasks generate --llm`: asks a model, through the Anthropic Messages API, to refine each
 * feature's deterministic tasks. The reply must be JSON that passes the schema and the plan's
 * rules (ids, dependencies inside the feature, every acceptance criterion covered); a feature whose
 * reply does not is kept as decomposed, with a warning. Nothing here is required for a plan.
 */
import picomatch from "picomatch";
import * as z from "zod";
import { warn } from "../infra/log.js";
import type { Feature, FeaturesFile } from "../registry/feature.js";
import { type FeatureTasks, withEnds } from "./decompose.js";
import { findCycle } from "./graph.js";
import { COMPLEXITIES, type Task } from "./task.js";

const refinedTask = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/),
  title: z.string().min(3).max(200),
  description: z.string().max(4000),
  dependsOn: z.array(z.string()),
  complexity: z.enum(COMPLEXITIES),
  estimateMinutes: z.int().min(5).max(240),
  files: z.array(z.string()).max(50),
  acceptance: z.array(z.string()),
});
const refinedPlan = z.strictObject({ tasks: z.array(refinedTask).min(1).max(20) });

const SYSTEM = `You refine a software task plan for one feature. Tasks should take an experienced developer 1-2 hours each.
Reply with one JSON object and nothing else: {"tasks": [{"id", "title", "description", "dependsOn", "complexity", "estimateMinutes", "files", "acceptance"}]}.
Rules: every id starts with the feature id and a dot; dependsOn names only ids of this feature's tasks; complexity is simple, moderate or complex;
estimateMinutes is between 5 and 240; acceptance items are copied exactly from the feature's acceptance criteria and together cover all of them;
keep the draft's ids for the same work.`;

export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = fenced?.[1] ?? text;
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  if (start < 0 || end < start) throw new Error("the reply holds no JSON object");
  return JSON.parse(body.slice(start, end + 1));
}

/** Checks a reply against the schema and the plan's rules; returns the feature's new tasks. */
export function acceptRefinement(feature: Feature, draft: FeatureTasks, reply: unknown): Task[] {
  const parsed = refinedPlan.safeParse(reply);
  if (!parsed.success) throw new Error(`the reply does not match the task schema (${parsed.error.issues[0]?.message ?? "invalid"})`);
  const ids = new Set(parsed.data.tasks.map((t) => t.id));
  if (ids.size !== parsed.data.tasks.length) throw new Error("the reply repeats a task id");
  for (const task of parsed.data.tasks) {
    if (!task.id.startsWith(`${feature.id}.`)) throw new Error(`task id ${task.id} does not start with ${feature.id}.`);
    for (const dep of task.dependsOn) if (!ids.has(dep)) throw new Error(`task ${task.id} depends on unknown ${dep}`);
  }
  const covered = new Set(parsed.data.tasks.flatMap((t) => t.acceptance));
  const missing = feature.acceptance.filter((a) => !covered.has(a));
  if (missing.length > 0) throw new Error(`the reply drops acceptance criteria: ${missing.join("; ")}`);
  if (findCycle(parsed.data.tasks)) throw new Error("the reply's dependencies form a cycle");
  const draftKinds = new Map(draft.tasks.map((t) => [t.id, t.kind]));
  const tasks = parsed.data.tasks.map((t) => ({
    ...t,
    featureId: feature.id,
    status: "pending" as const,
    priority: feature.priority,
    kind: draftKinds.get(t.id) ?? "refined",
  }));
  return withDraftFiles(tasks, draft.tasks, feature.files ?? []);
}

/**
 * A refined task the model gave no files keeps the draft's (the same task's, else every file the
 * draft planned), and a file the spec named (`hints`: the feature's `Files:` globs) that no refined
 * task names joins the first task: a refinement may reshape the work, but never switch a task's
 * scope check off or drop a named file.
 */
export function withDraftFiles(tasks: Task[], draft: readonly Task[], hints: readonly string[]): Task[] {
  const draftFiles = [...new Set(draft.flatMap((t) => t.files))];
  for (const task of tasks) {
    if (task.files.length > 0) continue;
    const same = draft.find((d) => d.id === task.id)?.files ?? [];
    task.files = same.length > 0 ? [...same] : [...draftFiles];
  }
  const kept = new Set(tasks.flatMap((t) => t.files));
  const isHinted = hints.length > 0 ? picomatch([...hints], { dot: true }) : () => false;
  const first = tasks[0];
  for (const file of draftFiles) if (first && !kept.has(file) && (isHinted(file) || hints.includes(file))) first.files.push(file);
  return tasks;
}

export interface LlmOptions {
  model: string;
  /** Parallel requests; features are independent. */
  concurrency?: number;
}

export function llmRefiner(options: LlmOptions) {
  return async (registry: FeaturesFile, perFeature: FeatureTasks[]): Promise<{ perFeature: FeatureTasks[]; refinedFeatures: string[] }> => {
    if (!process.env.ANTHROPIC_API_KEY) throw new Error("ANTHROPIC_API_KEY is not set");
    const { default: Anthropic } = await import("@anthropic-ai/sdk");
    // The SDK reads ANTHROPIC_BASE_URL too, which is how tests point it at a local server.
    const client = new Anthropic({ maxRetries: 1, timeout: 120_000 });
    const refinedFeatures: string[] = [];
    const out: FeatureTasks[] = [...perFeature];
    let next = 0;
    const worker = async () => {
      while (next < perFeature.length) {
        const index = next++;
        const draft = perFeature[index] as FeatureTasks;
        const feature = registry.features.find((f) => f.id === draft.featureId);
        if (!feature) continue;
        const intraDraft = draft.tasks.map(({ status: _s, priority: _p, featureId: _f, kind: _k, failureReason: _r, ...rest }) => rest);
        try {
          const message = await client.messages.create({
            model: options.model,
            max_tokens: 4096,
            system: SYSTEM,
            messages: [
              {
                role: "user",
                content: JSON.stringify({
                  feature: {
                    id: feature.id,
                    name: feature.name,
                    description: feature.description ?? "",
                    acceptance: feature.acceptance,
                    files: feature.files ?? [],
                  },
                  draft: intraDraft,
                }),
              },
            ],
          });
          const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
          out[index] = withEnds(feature.id, acceptRefinement(feature, draft, extractJson(text)));
          refinedFeatures.push(feature.id);
        } catch (error) {
          warn(`feature ${feature.id}: kept the deterministic tasks, the model's refinement was not usable: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, perFeature.length) }, worker));
    return { perFeature: out, refinedFeatures };
  };
}
