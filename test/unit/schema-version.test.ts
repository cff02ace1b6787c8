/** A file in a later format than this br knows is refused with the upgrade to make (docs/versioning.md). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { refuseNewerVersion, SCHEMA_VERSION } from "../../src/infra/json-file.ts";

describe("refuseNewerVersion", () => {
  it("refuses a newer schemaVersion or version, naming the key, the file and both versions", () => {
    assert.throws(
      () => refuseNewerVersion({ schemaVersion: SCHEMA_VERSION + 1 }, "features.json"),
      (error: Error & { exitCode?: number; fix?: string }) =>
        error.message ===
          `features.json has schemaVersion ${SCHEMA_VERSION + 1}, written by a newer br; this br reads schemaVersion ${SCHEMA_VERSION}.` &&
        error.exitCode === 2 &&
        /Upgrade br/.test(error.fix ?? ""),
    );
    assert.throws(() => refuseNewerVersion({ version: 7 }, "config.yaml"), /config\.yaml has version 7, written by a newer br/);
    assert.throws(() => refuseNewerVersion({ schemaVersion: 2, version: 1 }, "x"), /schemaVersion 2/);
  });

  it("leaves the current and older versions, a missing one and a wrong type to the schema", () => {
    for (const data of [
      { schemaVersion: SCHEMA_VERSION },
      { schemaVersion: 0 },
      { version: 1 },
      {},
      null,
      { schemaVersion: "2" },
      [],
      "hello",
      42,
      true,
    ]) {
      assert.doesNotThrow(() => refuseNewerVersion(data, "x"), JSON.stringify(data));
    }
  });
});
