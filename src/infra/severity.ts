/** Finding severities, gravest first: a module of its own so scanners need not load the config schema. */
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];
