/**
 * Reading br's JSON files (src/infra/json-file.ts): a file read again unchanged is not validated
 * again, yet every read returns a copy of its own, and a changed file is validated afresh.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { z } from "zod";
import { loadJsonFile } from "../../src/infra/json-file.ts";

const dir = mkdtempSync(join(tmpdir(), "br-unit-json-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("loadJsonFile", () => {
  it("validates a text read again once more, then not at all; returns a fresh copy each time, and sees a change", async () => {
    let validations = 0;
    const schema = z.object({ items: z.array(z.string()).default([]) }).refine(() => {
      validations++;
      return true;
    });
    const file = join(dir, "plan.json");
    writeFileSync(file, JSON.stringify({ items: ["a"] }));
    const first = await loadJsonFile(file, schema, { displayPath: "plan.json" });
    first.items.push("changed by a caller");
    const second = await loadJsonFile(file, schema, { displayPath: "plan.json" });
    assert.deepEqual(second, { items: ["a"] }, "a caller's change does not leak into the next read");
    // A file read once (most commands) keeps no copy; from the second read on, one is kept.
    assert.equal(validations, 2, "the second read validates again and keeps a copy");
    second.items.push("changed again");
    const third = await loadJsonFile(file, schema, { displayPath: "plan.json" });
    assert.deepEqual(third, { items: ["a"] }, "nor does a change to the copy kept");
    assert.equal(validations, 2, "the third read of the same text is not validated");
    writeFileSync(file, JSON.stringify({ items: [1] }));
    await assert.rejects(loadJsonFile(file, schema, { displayPath: "plan.json" }), /plan\.json: items\[0\]/);
    writeFileSync(file, JSON.stringify({}));
    assert.deepEqual(await loadJsonFile(file, schema, { displayPath: "plan.json" }), { items: [] }, "defaults as the schema gives them");
  });
});
