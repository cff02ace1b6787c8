/** The registry file format (SPEC §3), validated on every read and write. */
import * as z from "zod";
import { FEATURE_STATUSES, findDependencyCycle, ID_PATTERN, PRIORITIES } from "./rules.js";

const isoDate = z.iso.datetime({ offset: true });

export const featureSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, "must be a lowercase slug (letters, digits, dashes)"),
  name: z
    .string()
    .trim()
    .min(1)
    .regex(/^[^\p{Cc}]*$/u, "must be one line without control characters"),
  description: z.string().optional(),
  status: z.enum(FEATURE_STATUSES),
  priority: z.enum(PRIORITIES),
  dependsOn: z.array(z.string()),
  acceptance: z.array(z.string()),
  files: z.array(z.string()).optional(),
  blockedReason: z.string().optional(),
  createdAt: isoDate,
  updatedAt: isoDate,
  completedAt: isoDate.optional(),
});

export const featuresFileSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    project: z.string(),
    description: z.string().optional(),
    features: z.array(featureSchema),
  })
  .superRefine((file, ctx) => {
    // Rules across features: ids are unique and every dependency names a feature.
    const firstIndex = new Map<string, number>();
    file.features.forEach((feature, index) => {
      const earlier = firstIndex.get(feature.id);
      if (earlier !== undefined) {
        ctx.addIssue({ code: "custom", path: ["features", index, "id"], message: `duplicates the id of features[${earlier}]` });
      } else firstIndex.set(feature.id, index);
    });
    let dangling = false;
    file.features.forEach((feature, index) => {
      feature.dependsOn.forEach((dep, depIndex) => {
        if (!firstIndex.has(dep)) {
          dangling = true;
          ctx.addIssue({ code: "custom", path: ["features", index, "dependsOn", depIndex], message: "names no feature in the registry" });
        }
      });
    });
    if (dangling) return;
    const cycle = findDependencyCycle(file.features);
    if (cycle) {
      const index = firstIndex.get(cycle[0] as string) ?? 0;
      ctx.addIssue({ code: "custom", path: ["features", index, "dependsOn"], message: `forms a dependency cycle: ${cycle.join(" → ")}` });
    }
  });

export type Feature = z.output<typeof featureSchema>;
export type FeaturesFile = z.output<typeof featuresFileSchema>;
