/**
 * The task graph (src/plan/graph.ts): cycle detection over every start node, Kahn's order, the
 * critical path of each task, the longest chain, and the mermaid and dot renderings.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyze, dependencyOrder, findCycle, longestChain, toDot, toMermaid } from "../../src/plan/graph.ts";
import type { Task } from "../../src/plan/task.ts";

const T = { timeout: 5_000 };

function task(id: string, dependsOn: string[] = [], estimateMinutes = 60, extra: Partial<Task> = {}): Task {
  return {
    id,
    featureId: "f",
    title: `Task ${id}`,
    description: "",
    status: "pending",
    dependsOn,
    priority: "medium",
    complexity: "simple",
    estimateMinutes,
    files: [],
    acceptance: [],
    ...extra,
  };
}

const deps = (spec: Record<string, string[]>) => Object.entries(spec).map(([id, dependsOn]) => ({ id, dependsOn }));

describe("dependencyOrder", () => {
  const ids = (tasks: { id: string; dependsOn: string[] }[]) => dependencyOrder(tasks).map((i) => tasks[i]?.id);

  it("puts every task after its dependencies, taking available ones in file order", T, () => {
    assert.deepEqual(ids(deps({ d: ["b", "c"], c: ["a"], b: ["a"], a: [], e: [] })), ["a", "e", "c", "b", "d"]);
  });

  it("leaves out tasks on a cycle, after one, or waiting for a task the plan lacks", T, () => {
    assert.deepEqual(ids(deps({ a: [], b: ["c"], c: ["b"], d: ["c"], e: ["gone"], f: ["a"] })), ["a", "f"]);
  });

  it("orders a larger plan with shared and repeated dependencies whole, each task after all it depends on", T, () => {
    // Listed last first, so file order alone would be wrong; t1 names t0 twice (i - 1 and i / 3).
    const tasks = Array.from({ length: 300 }, (_, n) => {
      const i = 299 - n;
      return task(
        `t${i}`,
        [i - 1, i - 7, Math.floor(i / 3)].filter((d) => d >= 0 && d < i).map((d) => `t${d}`),
      );
    });
    const order = ids(tasks);
    assert.equal(new Set(order).size, 300);
    const at = new Map(order.map((id, k) => [id, k]));
    for (const t of tasks)
      for (const dep of t.dependsOn) assert.ok((at.get(dep) as number) < (at.get(t.id) as number), `${dep} before ${t.id}`);
  });
});

describe("findCycle", () => {
  it("finds nothing in an acyclic plan, a diamond included", T, () => {
    assert.equal(findCycle([]), undefined);
    assert.equal(findCycle(deps({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] })), undefined);
    assert.equal(findCycle(deps({ d: ["b", "c"], b: ["a"], c: ["a"], a: [] })), undefined);
  });
  it("names a self-dependency and a two-task cycle", T, () => {
    assert.deepEqual(findCycle(deps({ a: ["a"] })), ["a", "a"]);
    assert.deepEqual(findCycle(deps({ a: ["b"], b: ["a"] })), ["a", "b", "a"]);
  });
  it("keeps looking after the first start node: a cycle among later tasks is found", T, () => {
    assert.deepEqual(findCycle(deps({ x: [], a: ["b"], b: ["a"] })), ["a", "b", "a"]);
    assert.deepEqual(findCycle(deps({ x: ["y"], y: [], a: ["b"], b: ["a"] })), ["a", "b", "a"]);
  });
  it("skips start nodes already visited, and still finds a later cycle", T, () => {
    // a visits c; c as a start is skipped (not the end of the search); the cycle p ↔ q follows.
    assert.deepEqual(findCycle(deps({ a: ["c"], c: [], p: ["q"], q: ["p"] })), ["p", "q", "p"]);
  });
  it("names only the cycle, not the path that led into it", T, () => {
    assert.deepEqual(findCycle(deps({ p: ["a"], a: ["b"], b: ["c"], c: ["b"] })), ["b", "c", "b"]);
  });
  it("drops finished branches from the path it reports", T, () => {
    assert.deepEqual(findCycle(deps({ a: ["b", "c"], b: [], c: ["a"] })), ["a", "c", "a"]);
    assert.deepEqual(findCycle(deps({ a: ["b", "c"], b: ["d"], d: [], c: ["e"], e: ["c"] })), ["c", "e", "c"]);
  });
  it("ignores dependencies on ids outside the plan", T, () => {
    assert.equal(findCycle(deps({ a: ["ghost"], b: ["a", "ghost"] })), undefined);
  });
  it("handles a 20,000-task chain without overflowing, and its closing cycle", T, () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => ({ id: `t${i}`, dependsOn: i === 0 ? [] : [`t${i - 1}`] }));
    assert.equal(findCycle(chain), undefined);
    (chain[0] as { dependsOn: string[] }).dependsOn = ["t19999"];
    const cycle = findCycle(chain);
    assert.equal(cycle?.length, 20_001);
    assert.equal(cycle?.[0], cycle?.at(-1));
  });
});

describe("analyze", () => {
  // file order: c (after a), a, b, d (after b and c)
  const plan = [task("c", ["a"], 30), task("a", [], 10), task("b", [], 20), task("d", ["b", "c"], 40)];

  it("orders every task after its dependencies, taking ready ids in file order", T, () => {
    assert.deepEqual(analyze(plan).order, ["a", "b", "c", "d"]);
    assert.deepEqual(analyze([task("z"), task("y"), task("x", ["z"])]).order, ["z", "y", "x"]);
  });
  it("waits for the last dependency before ordering a task", T, () => {
    assert.deepEqual(analyze([task("j", ["k", "l"]), task("k"), task("l", ["k"])]).order, ["k", "l", "j"]);
  });
  it("gives each task the minutes of the longest chain from it, itself included", T, () => {
    assert.deepEqual([...analyze(plan).criticalPath].sort(), [
      ["a", 80],
      ["b", 60],
      ["c", 70],
      ["d", 40],
    ]);
  });
  it("lists each task's dependents", T, () => {
    const { dependents } = analyze(plan);
    assert.deepEqual(Object.fromEntries(dependents), { a: ["c"], b: ["d"], c: ["d"], d: [] });
  });
  it("returns empty results for an empty plan", T, () => {
    const graph = analyze([]);
    assert.deepEqual([graph.order, graph.criticalPath.size, graph.dependents.size], [[], 0, 0]);
  });
});

describe("longestChain", () => {
  it("follows the longest root, then always the longest next step", T, () => {
    const plan = [task("a", [], 10), task("b", [], 20), task("c", ["a"], 30), task("d", ["b", "c"], 40), task("e", ["a"], 5)];
    assert.deepEqual(longestChain(plan, analyze(plan)), ["a", "c", "d"]);
  });
  it("picks the longer root even when it comes later in the file", T, () => {
    const plan = [task("short", [], 5), task("long", [], 50), task("next", ["long"], 5)];
    assert.deepEqual(longestChain(plan, analyze(plan)), ["long", "next"]);
  });
  it("is empty without tasks", T, () => {
    assert.deepEqual(longestChain([], analyze([])), []);
  });
});

describe("renderings", () => {
  const plan = [
    task("api.db", [], 30, { title: 'Say "hi"\\now', status: "done" }),
    task("api-b", ["api.db"], 45, { title: "Two\r\nlines", status: "ready" }),
    task("c", [], 5, { status: "odd" as Task["status"] }),
  ];
  it("mermaid: safe node names, escaped labels, edges and status classes", T, () => {
    assert.equal(
      toMermaid(plan),
      [
        "graph TD",
        `  api_db["Say 'hi''now<br/>done · 30 min"]:::done`,
        `  api_b["Two lines<br/>ready · 45 min"]:::ready`,
        `  c["Task c<br/>odd · 5 min"]:::odd`,
        "  api_db --> api_b",
        "  classDef done fill:#d4f7d4,stroke:#2b8a3e",
        "  classDef running fill:#fff3bf,stroke:#e67700",
        "  classDef ready fill:#d0ebff,stroke:#1971c2",
        "  classDef failed fill:#ffe3e3,stroke:#c92a2a",
        "  classDef blocked fill:#f1f3f5,stroke:#868e96",
      ].join("\n"),
    );
  });
  it("dot: labels, colours by status (white when unknown) and edges", T, () => {
    assert.equal(
      toDot(plan),
      [
        "digraph tasks {",
        "  rankdir=LR;",
        "  node [shape=box, style=filled, fillcolor=white];",
        `  "api.db" [label="Say 'hi''now\\ndone, 30 min", fillcolor=palegreen];`,
        `  "api-b" [label="Two lines\\nready, 45 min", fillcolor=lightblue];`,
        `  "c" [label="Task c\\nodd, 5 min", fillcolor=white];`,
        `  "api.db" -> "api-b";`,
        "}",
      ].join("\n"),
    );
  });
  it("dot colours every status br uses", T, () => {
    const colours = ["done", "running", "ready", "failed", "blocked", "pending"].map(
      (status) => /min", fillcolor=(\w+)\];/.exec(toDot([task("x", [], 1, { status: status as Task["status"] })]))?.[1],
    );
    assert.deepEqual(colours, ["palegreen", "khaki", "lightblue", "mistyrose", "lightgrey", "white"]);
  });
});
