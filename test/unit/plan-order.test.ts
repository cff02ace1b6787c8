/**
 * The order features are planned in (featuresInOrder in src/plan/decompose.ts): dependencies first,
 * ties by priority then registry order. Checked against the plain definition (repeatedly take the
 * first ready feature) on random registries, with missing and repeated dependencies and a cycle.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../../src/infra/random.ts";
import { featuresInOrder } from "../../src/plan/decompose.ts";
import type { Feature, FeaturesFile } from "../../src/registry/feature.ts";

const T = { timeout: 20_000 };
const PRIORITIES = ["critical", "high", "medium", "low"] as const;
const RANK = { critical: 0, high: 1, medium: 2, low: 3 } as const;

function registryOf(features: Pick<Feature, "id" | "priority" | "dependsOn">[]): FeaturesFile {
  return { features } as unknown as FeaturesFile;
}

/** The definition, quadratic: of the features not placed whose known dependencies are placed, the first by priority. */
function reference(registry: FeaturesFile): string[] {
  const known = new Set(registry.features.map((f) => f.id));
  const pending = [...registry.features].sort((a, b) => RANK[a.priority] - RANK[b.priority]);
  const placed = new Set<string>();
  const out: string[] = [];
  for (;;) {
    const next = pending.find((f) => !placed.has(f.id) && f.dependsOn.every((d) => placed.has(d) || !known.has(d)));
    if (!next) return out;
    placed.add(next.id);
    out.push(next.id);
  }
}

function randomRegistry(seed: number, size: number): FeaturesFile {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const ids = Array.from({ length: size }, (_, i) => `f${i}`);
  // Dependencies point to earlier ids in a shuffled order (no cycles), plus unknown and repeated ones.
  const order = [...ids].sort(() => random() - 0.5);
  return registryOf(
    order.map((id, i) => {
      const earlier = order.slice(0, i);
      const deps = Array.from({ length: Math.floor(random() * 3) }, () => pick(earlier)).filter(Boolean);
      if (random() < 0.1) deps.push("missing-feature");
      if (deps.length > 0 && random() < 0.1) deps.push(deps[0] as string);
      return { id, priority: pick(PRIORITIES), dependsOn: deps };
    }),
  );
}

describe("featuresInOrder", () => {
  it("matches the definition on random registries", T, () => {
    for (let seed = 1; seed <= 60; seed++) {
      const registry = randomRegistry(seed, 1 + (seed % 40));
      assert.deepEqual(
        featuresInOrder(registry).map((f) => f.id),
        reference(registry),
        `seed ${seed}`,
      );
    }
  });

  it("puts dependencies first, then priority, then registry order", T, () => {
    const registry = registryOf([
      { id: "a", priority: "low", dependsOn: [] },
      { id: "b", priority: "critical", dependsOn: ["c"] },
      { id: "c", priority: "medium", dependsOn: [] },
      { id: "d", priority: "medium", dependsOn: [] },
    ]);
    assert.deepEqual(
      featuresInOrder(registry).map((f) => f.id),
      ["c", "b", "d", "a"],
    );
  });

  it("leaves out features caught in a cycle instead of looping", T, () => {
    const registry = registryOf([
      { id: "a", priority: "high", dependsOn: ["b"] },
      { id: "b", priority: "high", dependsOn: ["a"] },
      { id: "c", priority: "low", dependsOn: [] },
    ]);
    assert.deepEqual(
      featuresInOrder(registry).map((f) => f.id),
      ["c"],
    );
  });
});
