#!/usr/bin/env node --expose-gc
// Benchmark: heap held by the reflector's key store for N objects (default 100,000), against a baseline
// in the same run: a Map of plain { uid, resourceVersion, contentHash, path } objects (the naive layout).
//   node --expose-gc packages/watcher/bench/key-store.mjs [N]
import { createHash, randomUUID } from "node:crypto";
import { pathForKey } from "@shiplog/core";
import { KeyStore } from "../dist/key-store.js";

const N = Number(process.argv[2] ?? 100_000);
if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
const gc = globalThis.gc;

function objects() {
  const out = [];
  for (let i = 0; i < N; i++) {
    const ns = `team-${i % 50}`;
    const name = `app-config-${i}`;
    out.push({
      ns, name, uid: randomUUID(), rv: String(1_000_000 + i),
      hash: createHash("sha256").update(String(i)).digest("hex"),
      path: pathForKey({ group: "", resource: "configmaps", namespace: ns, name }),
    }); // prettier-ignore
  }
  // Round-trip through JSON so the strings are flat, as they are when they come from the apiserver.
  return JSON.parse(JSON.stringify(out));
}

function makeStore(build) {
  return build(objects());
}

function retainedBy(build) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  // Built in its own frame so that no interpreter register keeps the input alive.
  const store = makeStore(build);
  gc();
  gc();
  return { size: store.size, mb: (process.memoryUsage().heapUsed - before) / 1048576 };
}

const naive = retainedBy((input) => {
  const m = new Map();
  for (const o of input)
    m.set(`${o.ns}/${o.name}`, { uid: o.uid, resourceVersion: o.rv, contentHash: o.hash, path: o.path });
  return m;
});
const compact = retainedBy((input) => {
  const s = new KeyStore((namespace, name) =>
    pathForKey({ group: "", resource: "configmaps", namespace, name }),
  );
  for (const o of input) s.set(KeyStore.keyOf(o.ns, o.name), o.uid, o.hash, o.path, o.rv);
  return s;
});
console.log(`# N=${N} objects`);
console.log(
  `# baseline, Map of plain objects: ${naive.mb.toFixed(1)} MB (${((naive.mb * 1048576) / N).toFixed(0)} B/object)`,
);
console.log(
  `# KeyStore, packed:               ${compact.mb.toFixed(1)} MB (${((compact.mb * 1048576) / N).toFixed(0)} B/object)`,
);
