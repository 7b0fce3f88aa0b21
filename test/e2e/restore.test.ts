// `shiplog restore` piped into the real kubectl against the shared real control plane (issue 12, item
// 5): strings that YAML 1.1 reads as booleans or dates and binaryData round-trip through
// `restore | kubectl apply -f -`, a deleted object is recreated (its old uid and resourceVersion are
// not in the printed manifest), and a whole namespace is restored at a revision, printed or --apply'd.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { shiplog, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { git } from "./support/git.js";

const cluster = useCluster();
const { kubectl } = cluster;

const DATA = { a: "yes", b: "on", c: "2024-01-01", d: "0x1F", e: "~", multi: "line 1\nline: 2\n" };
const BINARY = { blob: Buffer.from([0, 1, 2, 0xfe, 0xff]).toString("base64") };

interface LiveConfigMap {
  metadata: { uid: string };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

async function getConfigMap(ns: string, name: string): Promise<LiveConfigMap> {
  return JSON.parse(await kubectl(["-n", ns, "get", "configmap", name, "-o", "json"])) as LiveConfigMap;
}

/** Creates ConfigMap `name` with DATA and BINARY (as JSON, so that nothing is lost on the way in). */
async function createConfigMap(ns: string, name: string): Promise<void> {
  const cm = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns },
    data: DATA,
    binaryData: BINARY,
  };
  await kubectl(["create", "-f", "-"], JSON.stringify(cm));
}

/** `shiplog snapshot -n ns`; returns the commit it made (main). */
async function snapshot(sb: Sandbox, ns: string): Promise<string> {
  const r = await shiplog(sb, ["snapshot", "-n", ns]);
  assert.equal(r.code, 0, r.stderr);
  return (await git(sb.repo, ["rev-parse", "main"])).stdout.trim();
}

/** `shiplog restore <args>` must succeed; its stdout goes to `kubectl apply -f -`. */
async function restoreAndApply(sb: Sandbox, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await shiplog(sb, ["restore", ...args]);
  assert.equal(r.code, 0, r.stderr);
  await kubectl(["apply", "-f", "-"], r.stdout);
  return r;
}

describe("shiplog restore | kubectl apply -f -", () => {
  it("round-trips YAML 1.1 look-alike strings and binaryData (--from defaults to the branch head)", async () => {
    await using ns = await cluster.namespace("restore-quote");
    await createConfigMap(ns.name, "x");
    const sb = cluster.sandbox("restore-quote");
    await snapshot(sb, ns.name);
    await cluster.patch(ns.name, "configmap/x", { data: { a: "changed", b: null, c: "changed" } });
    await restoreAndApply(sb, ["configmap/x", "-n", ns.name]);
    const live = await getConfigMap(ns.name, "x");
    assert.deepEqual(live.data, DATA);
    assert.deepEqual(live.binaryData, BINARY);
  });

  it("recreates a deleted object, from the printed manifest and with --apply", async () => {
    await using ns = await cluster.namespace("restore-deleted");
    await createConfigMap(ns.name, "x");
    const sb = cluster.sandbox("restore-deleted");
    const recorded = await snapshot(sb, ns.name);
    const oldUid = (await getConfigMap(ns.name, "x")).metadata.uid;
    await kubectl(["-n", ns.name, "delete", "configmap", "x"]);
    const deletion = await snapshot(sb, ns.name);
    assert.notEqual(deletion, recorded, "the deletion is recorded");

    const r = await restoreAndApply(sb, ["configmap/x", "-n", ns.name]);
    assert.doesNotMatch(r.stdout, /uid:|resourceVersion:|creationTimestamp:/);
    assert.match(r.stderr, /configmap\/x does not exist at main: it was deleted in [0-9a-f]+/);
    const recreated = await getConfigMap(ns.name, "x");
    assert.notEqual(recreated.metadata.uid, oldUid);
    assert.deepEqual(recreated.data, DATA);
    assert.deepEqual(recreated.binaryData, BINARY);

    await kubectl(["-n", ns.name, "delete", "configmap", "x"]);
    await snapshot(sb, ns.name);
    const applied = await shiplog(sb, ["restore", "configmap/x", "-n", ns.name, "--apply"]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`^configmap/x in ${ns.name} restored from `));
    const again = await getConfigMap(ns.name, "x");
    assert.deepEqual(again.data, DATA);
    assert.deepEqual(again.binaryData, BINARY);
  });

  it("restores a whole namespace at a revision: printed for kubectl, or --apply'd object by object", async () => {
    await using ns = await cluster.namespace("restore-ns");
    await createConfigMap(ns.name, "x");
    await kubectl(["-n", ns.name, "create", "configmap", "y", "--from-literal=k=on"]);
    const sb = cluster.sandbox("restore-ns");
    const good = await snapshot(sb, ns.name);
    // The bad deploy: one object changed, one deleted, one added.
    await cluster.patch(ns.name, "configmap/x", { data: { a: "no" } });
    await kubectl(["-n", ns.name, "delete", "configmap", "y"]);
    await kubectl(["-n", ns.name, "create", "configmap", "z", "--from-literal=k=v"]);
    await snapshot(sb, ns.name);

    const printed = await restoreAndApply(sb, ["-n", ns.name, "--from", good]);
    const docs = parseAllDocuments(printed.stdout, { version: "1.1" });
    assert.ok(Array.isArray(docs));
    const kinds = docs.map((d) => {
      const o = d.toJSON() as { kind: string; metadata: { name: string } };
      return `${o.kind}/${o.metadata.name}`;
    });
    assert.equal(kinds[0], `Namespace/${ns.name}`);
    assert.ok(
      kinds.includes("ConfigMap/x") && kinds.includes("ConfigMap/y") && !kinds.includes("ConfigMap/z"),
    );
    assert.match(printed.stderr, /nothing was applied/);
    assert.deepEqual((await getConfigMap(ns.name, "x")).data, DATA);
    assert.deepEqual((await getConfigMap(ns.name, "y")).data, { k: "on" });

    // Break it again, then --apply: server-side apply per object, with a line per object.
    await cluster.patch(ns.name, "configmap/x", { data: { a: "no" } });
    await kubectl(["-n", ns.name, "delete", "configmap", "y"]);
    const applied = await shiplog(sb, [
      "restore",
      "-n",
      ns.name,
      "--from",
      good,
      "--apply",
      "--force-conflicts",
    ]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`^configmap/x in ${ns.name} restored from ${good}$`, "m"));
    assert.match(applied.stdout, new RegExp(`^configmap/y in ${ns.name} restored from ${good}$`, "m"));
    assert.deepEqual((await getConfigMap(ns.name, "x")).data, DATA);
    assert.deepEqual((await getConfigMap(ns.name, "y")).data, { k: "on" });
    assert.ok((await getConfigMap(ns.name, "z")).data, "objects created after the revision stay");
  });
});
