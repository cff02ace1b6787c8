/** Preparing an attempt: the checks the agent is told to run (and so is allowed to run). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";

await import("./text-loader.ts");
const { checkCommands } = await import("../../src/run/prepare.ts");

describe("checkCommands", () => {
  it("lists the configured test, build, lint and typecheck commands, in that order, and nothing unset", () => {
    const config = configSchema.parse({ commands: { lint: "npx biome ci .", test: "npm test", coverage: "coverage/lcov.info" } });
    assert.deepEqual(checkCommands(config), ["npm test", "npx biome ci ."]);
    assert.deepEqual(checkCommands(configSchema.parse({})), []);
  });
});
