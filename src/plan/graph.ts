/**
 * The task dependency graph: cycle detection that names the cycle, a topological order, and the
 * critical-path length of every task (the longest chain of work from it to the end of the plan,
 * itself included). All linear in tasks + dependencies, so 20,000-task plans stay fast.
 */
import type { Task } from "./task.js";

export interface Graph {
  /** Ids in dependency order: every task after all of its dependencies. */
  order: string[];
  /** Minutes along the longest chain starting at each task. */
  criticalPath: Map<string, number>;
  dependents: Map<string, string[]>;
}

/** Returns a cycle as ids `a → b → a`, or undefined when the graph is acyclic. */
export function findCycle(tasks: readonly Pick<Task, "id" | "dependsOn">[]): string[] | undefined {
  // The usual answer, "no cycle", costs one pass over positions; only a plan that may hold one is searched by id.
  if (dependencyOrder(tasks).length === tasks.length) return undefined;
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 1 | 2>();
  for (const start of tasks) {
    if (state.has(start.id)) continue;
    // Iterative DFS: plans can be deep enough to overflow a recursive one.
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    const path: string[] = [start.id];
    state.set(start.id, 1);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const children = deps.get(frame.id) ?? [];
      if (frame.next < children.length) {
        const child = children[frame.next++] as string;
        const seen = state.get(child);
        if (seen === 1) return [...path.slice(path.indexOf(child)), child];
        if (seen === undefined && deps.has(child)) {
          state.set(child, 1);
          stack.push({ id: child, next: 0 });
          path.push(child);
        }
      } else {
        state.set(frame.id, 2);
        stack.pop();
        path.pop();
      }
    }
  }
  return undefined;
}

/**
 * The tasks in dependency order (Kahn's algorithm, file order among the available ones), as
 * indexes into `tasks`; a task on a cycle, or after one, is left out. Works on positions rather
 * than ids, so a large plan costs one id lookup per dependency.
 */
export function dependencyOrder(tasks: readonly Pick<Task, "id" | "dependsOn">[]): number[] {
  const index = new Map<string, number>();
  for (let i = 0; i < tasks.length; i++) index.set((tasks[i] as Task).id, i);
  const remaining = new Int32Array(tasks.length);
  const dependents: number[][] = Array.from({ length: tasks.length }, () => []);
  for (let i = 0; i < tasks.length; i++) {
    const { dependsOn } = tasks[i] as Task;
    // A dependency on no task of the plan never settles: its task is left out, as on a cycle.
    remaining[i] = dependsOn.length;
    for (const dep of dependsOn) {
      const at = index.get(dep);
      if (at !== undefined) (dependents[at] as number[]).push(i);
    }
  }
  const order: number[] = [];
  for (let i = 0; i < tasks.length; i++) if (remaining[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) {
    for (const next of dependents[order[k] as number] as number[]) {
      remaining[next] = (remaining[next] as number) - 1;
      if (remaining[next] === 0) order.push(next);
    }
  }
  return order;
}

/** Builds order and critical paths; call only on an acyclic plan (see findCycle). */
export function analyze(tasks: readonly Task[]): Graph {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const dependents = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  for (const task of tasks) for (const dep of task.dependsOn) dependents.get(dep)?.push(task.id);
  const order = dependencyOrder(tasks).map((at) => (tasks[at] as Task).id);
  const criticalPath = new Map<string, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i] as string;
    let longest = 0;
    for (const next of dependents.get(id) ?? []) longest = Math.max(longest, criticalPath.get(next) ?? 0);
    criticalPath.set(id, (byId.get(id)?.estimateMinutes ?? 0) + longest);
  }
  return { order, criticalPath, dependents };
}

/** The chain of tasks that determines the plan's length: from the longest root, always the longest next step. */
export function longestChain(tasks: readonly Task[], graph: Graph): string[] {
  const roots = tasks.filter((t) => t.dependsOn.length === 0);
  let current = roots.sort((a, b) => (graph.criticalPath.get(b.id) ?? 0) - (graph.criticalPath.get(a.id) ?? 0))[0]?.id;
  const chain: string[] = [];
  while (current) {
    chain.push(current);
    const next: string[] = graph.dependents.get(current) ?? [];
    current = next.sort((a, b) => (graph.criticalPath.get(b) ?? 0) - (graph.criticalPath.get(a) ?? 0))[0];
  }
  return chain;
}

function label(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[\r\n]+/g, " ");
}

export function toMermaid(tasks: readonly Task[]): string {
  const node = (id: string) => id.replace(/[^A-Za-z0-9_]/g, "_");
  const lines = ["graph TD"];
  for (const t of tasks) lines.push(`  ${node(t.id)}["${label(t.title)}<br/>${t.status} · ${t.estimateMinutes} min"]:::${t.status}`);
  for (const t of tasks) for (const dep of t.dependsOn) lines.push(`  ${node(dep)} --> ${node(t.id)}`);
  lines.push(
    "  classDef done fill:#d4f7d4,stroke:#2b8a3e",
    "  classDef running fill:#fff3bf,stroke:#e67700",
    "  classDef ready fill:#d0ebff,stroke:#1971c2",
    "  classDef failed fill:#ffe3e3,stroke:#c92a2a",
    "  classDef blocked fill:#f1f3f5,stroke:#868e96",
  );
  return lines.join("\n");
}

export function toDot(tasks: readonly Task[]): string {
  const colors: Record<string, string> = {
    done: "palegreen",
    running: "khaki",
    ready: "lightblue",
    failed: "mistyrose",
    blocked: "lightgrey",
  };
  const lines = ["digraph tasks {", "  rankdir=LR;", "  node [shape=box, style=filled, fillcolor=white];"];
  for (const t of tasks) {
    lines.push(
      `  "${t.id}" [label="${label(t.title)}\\n${t.status}, ${t.estimateMinutes} min", fillcolor=${colors[t.status] ?? "white"}];`,
    );
  }
  for (const t of tasks) for (const dep of t.dependsOn) lines.push(`  "${dep}" -> "${t.id}";`);
  lines.push("}");
  return lines.join("\n");
}
