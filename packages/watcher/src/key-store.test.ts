import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyStore } from "./key-store.js";

const pathOf = (ns: string, name: string): string => `${ns}/configmaps/${name}.yaml`;
const hex = (n: number): string => n.toString(16).padStart(64, "0");

describe("KeyStore", () => {
  it("retainOnly returns exactly the entries not kept", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 })),
        fc.func(fc.boolean()),
        (names, keepFn) => {
          const s = new KeyStore(pathOf);
          for (const n of names) s.set(KeyStore.keyOf("ns", n), n, hex(1), pathOf("ns", n), "1");
          const keep = new Set(names.filter((n) => keepFn(n)).map((n) => KeyStore.keyOf("ns", n)));
          const gone = s.retainOnly(keep).map(([k]) => k);
          assert.equal(s.size, keep.size);
          assert.deepEqual(
            new Set(gone),
            new Set(names.map((n) => KeyStore.keyOf("ns", n)).filter((k) => !keep.has(k))),
          );
          assert.deepEqual(s.paths(), [...keep].map((k) => pathOf("ns", k.slice(3))).sort());
        },
      ),
    );
  });

  it("unchanged compares uid, path and hash, and keeps the latest resourceVersion", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
        fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
        fc.oneof(fc.nat().map(String), fc.string()),
        (ns, name, h1, h2, rv) => {
          const s = new KeyStore(pathOf);
          const key = KeyStore.keyOf(ns, name);
          s.set(key, "u1", h1, pathOf(ns, name), "5");
          assert.equal(s.unchanged(key, "u1", h1, pathOf(ns, name), rv), true);
          assert.equal(s.get(key)?.resourceVersion, rv);
          assert.equal(s.unchanged(key, "u2", h1, pathOf(ns, name), rv), false, "uid change");
          assert.equal(s.unchanged(key, "u1", h1, "elsewhere.yaml", rv), false, "path change");
          const digest = (h: string): string | number =>
            /^[0-9a-f]{13}/.test(h) ? parseInt(h.slice(0, 13), 16) : h;
          assert.equal(
            s.unchanged(key, "u1", h2, pathOf(ns, name), rv),
            digest(h1) === digest(h2),
            "hash change",
          );
        },
      ),
    );
  });

  it("keeps a path that differs from the default, and returns entries on delete once", () => {
    const s = new KeyStore(pathOf);
    s.set("a/b", "u", hex(7), "custom/b.yaml", "12");
    assert.deepEqual(s.get("a/b"), { uid: "u", resourceVersion: "12", path: "custom/b.yaml" });
    assert.deepEqual(s.paths(), ["custom/b.yaml"]);
    assert.equal(s.delete("a/b")?.path, "custom/b.yaml");
    assert.equal(s.delete("a/b"), undefined);
  });
});
