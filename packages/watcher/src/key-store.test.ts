import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyStore } from "./key-store.js";

describe("KeyStore", () => {
  it("retainOnly returns exactly the entries not kept", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 })),
        fc.func(fc.boolean()),
        (names, keepFn) => {
          const s = new KeyStore();
          for (const n of names)
            s.set(KeyStore.keyOf("ns", n), {
              uid: n,
              resourceVersion: "1",
              contentHash: "h",
              path: `p/${n}`,
            });
          const keep = new Set(names.filter((n) => keepFn(n)).map((n) => KeyStore.keyOf("ns", n)));
          const gone = s.retainOnly(keep).map(([k]) => k);
          assert.equal(s.size, keep.size);
          assert.deepEqual(
            new Set(gone),
            new Set(names.map((n) => KeyStore.keyOf("ns", n)).filter((k) => !keep.has(k))),
          );
          assert.deepEqual(s.paths(), [...keep].map((k) => `p/${k.slice(3)}`).sort());
        },
      ),
    );
  });

  it("delete returns the removed entry once", () => {
    const s = new KeyStore();
    s.set("a/b", { uid: "u", resourceVersion: "1", contentHash: "h", path: "x" });
    assert.equal(s.delete("a/b")?.uid, "u");
    assert.equal(s.delete("a/b"), undefined);
  });
});
