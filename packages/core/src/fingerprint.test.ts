import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createFingerprinter, fingerprint } from "./fingerprint.js";

describe("fingerprint", () => {
  it("the precomputed-pad HMAC equals node's createHmac for any key and input", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.string(),
        fc.string(),
        fc.string(),
        fc.uint8Array(),
        (key, ns, name, field, value) => {
          assert.equal(
            createFingerprinter(key)(ns, name, field, value),
            fingerprint(key, ns, name, field, value),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("binds the parts unambiguously (length-prefixed)", () => {
    const f = createFingerprinter(Buffer.from("k".repeat(32)));
    const v = Buffer.from("v");
    assert.notEqual(f("ab", "c", "k", v), f("a", "bc", "k", v));
    assert.notEqual(f("a", "b", "kv", Buffer.from("")), f("a", "b", "k", v));
  });
});
