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

  it("behaves as a plain map of entries under any sequence of sets, deletes and relists", () => {
    const name = fc.constantFrom("a", "b", "c", "d", "e");
    const uid = fc.oneof(fc.uuid(), fc.constantFrom("u1", "not-a-uuid", ""));
    const rv = fc.oneof(
      fc.integer({ min: 1, max: 999_999_999_999_999 }).map(String),
      fc.constantFrom("0", "x7", ""),
    );
    const hash = fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.constantFrom("", "zz", "ABCDEF0123456"));
    const path = (n: string): fc.Arbitrary<string> => fc.constantFrom(pathOf("ns", n), `other/${n}.yaml`);
    const op = fc.oneof(
      fc
        .record({ kind: fc.constant("set" as const), n: name, uid, rv, hash })
        .chain((o) => path(o.n).map((p) => ({ ...o, p }))),
      fc
        .record({ kind: fc.constant("unchanged" as const), n: name, uid, rv, hash })
        .chain((o) => path(o.n).map((p) => ({ ...o, p }))),
      fc.record({ kind: fc.constant("delete" as const), n: name }),
      fc.record({ kind: fc.constant("retain" as const), keep: fc.subarray(["a", "b", "c", "d", "e"]) }),
      fc.record({ kind: fc.constant("clear" as const) }),
    );
    const digest = (h: string): string | number =>
      /^[0-9a-f]{13}/.test(h) ? parseInt(h.slice(0, 13), 16) : h;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = new KeyStore(pathOf);
        const model = new Map<string, { uid: string; rv: string; hash: string; path: string }>();
        for (const o of ops) {
          const key = "n" in o ? KeyStore.keyOf("ns", o.n) : "";
          if (o.kind === "set") {
            s.set(key, o.uid, o.hash, o.p, o.rv);
            model.set(key, { uid: o.uid, rv: o.rv, hash: o.hash, path: o.p });
          } else if (o.kind === "unchanged") {
            const m = model.get(key);
            const expect = !!m && m.uid === o.uid && digest(m.hash) === digest(o.hash) && m.path === o.p;
            assert.equal(s.unchanged(key, o.uid, o.hash, o.p, o.rv), expect);
            if (expect) m.rv = o.rv;
          } else if (o.kind === "delete") {
            const m = model.get(key);
            model.delete(key);
            assert.deepEqual(s.delete(key), m && { uid: m.uid, resourceVersion: m.rv, path: m.path });
          } else if (o.kind === "retain") {
            const keep = new Set(o.keep.map((n) => KeyStore.keyOf("ns", n)));
            const gone = new Set([...model.keys()].filter((k) => !keep.has(k)));
            assert.deepEqual(new Set(s.retainOnly(keep).map(([k]) => k)), gone);
            for (const k of gone) model.delete(k);
          } else {
            s.clear();
            model.clear();
          }
          assert.equal(s.size, model.size);
          for (const [k, m] of model) {
            assert.equal(s.has(k), true);
            assert.deepEqual(s.get(k), { uid: m.uid, resourceVersion: m.rv, path: m.path });
          }
          assert.deepEqual(s.paths(), [...model.values()].map((m) => m.path).sort());
        }
      }),
      { numRuns: 500 },
    );
  });

  it("grows past its initial capacity and reuses freed slots without mixing entries", () => {
    const s = new KeyStore(pathOf);
    const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
    for (let i = 0; i < 1000; i++) s.set(`ns/${i}`, uuid(i), hex(i), pathOf("ns", String(i)), String(i + 1));
    for (let i = 0; i < 1000; i += 2) s.delete(`ns/${i}`);
    for (let i = 1000; i < 1500; i++)
      s.set(`ns/${i}`, uuid(i), hex(i), pathOf("ns", String(i)), String(i + 1));
    assert.equal(s.size, 1000);
    const live = [...Array(1500).keys()].filter((i) => i >= 1000 || i % 2 === 1);
    for (const i of live) {
      assert.deepEqual(s.get(`ns/${i}`), {
        uid: uuid(i),
        resourceVersion: String(i + 1),
        path: pathOf("ns", String(i)),
      });
      assert.equal(s.unchanged(`ns/${i}`, uuid(i), hex(i), pathOf("ns", String(i)), "7"), true);
    }
  });
});
