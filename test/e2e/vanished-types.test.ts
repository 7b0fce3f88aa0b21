// Types that vanish leave Git: a recorded CustomResourceDefinition is deleted while shiplog is stopped,
// and on the next start the files of its objects are removed in a commit that says the type was
// removed from the API; a type that config newly excludes goes in a commit that says it is no longer
// recorded by config. Real control plane, Redis, git and the built `shiplog run`.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { startServing } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { foreignCommit } from "./support/git-servers.js";
import { until } from "./support/until.js";

const cluster = useCluster();
const { kubectl } = cluster;

function widgetCrd(group: string): string {
  return JSON.stringify({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  });
}

/** Subject and body of every commit on main touching `path`, newest first. */
async function commitsOf(repo: string, path: string): Promise<string[]> {
  const out = (await git(repo, ["log", "--format=%s%n%b%x00", "main", "--", path])).stdout;
  return out
    .split("\0")
    .map((c) => c.trim())
    .filter(Boolean);
}

it("a deleted CRD's objects leave Git in a commit that says the type was removed from the API; a newly excluded type's files say config no longer records it", async () => {
  await using ns = await cluster.namespace("vanished");
  const group = `${ns.name}.example.com`;
  const typeId = `widgets.${group}`;
  await using _crd = cluster.cleanup("crd", typeId);
  await kubectl(["apply", "-f", "-"], widgetCrd(group));
  await kubectl(["wait", "--for=condition=Established", `crd/${typeId}`, "--timeout=30s"]);
  for (const name of ["w1", "w2"]) {
    await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name, namespace: ns.name },
        spec: { size: 1 },
      }),
    );
  }
  await kubectl(["-n", ns.name, "create", "configmap", "settings", "--from-literal=a=1"]);
  const sb = cluster.sandbox("vanished");
  const args = ["run", "-n", ns.name, "--quiet-period", "1s"];
  const w1 = `${ns.name}/${typeId}/w1.yaml`;
  const w2 = `${ns.name}/${typeId}/w2.yaml`;
  const settings = `${ns.name}/configmaps/settings.yaml`;

  // Record, then stop: the CRD goes while nobody watches, so no watch event deletes the objects.
  let s = await startServing(sb, args);
  try {
    await until("the widgets on main", 30_000, async () => (await fileAt(sb.repo, w2)) !== undefined);
    assert.ok(await fileAt(sb.repo, w1));
    assert.ok(await fileAt(sb.repo, settings));
    assert.equal(await s.stop(), 0, s.logs().slice(-2000));
  } finally {
    await s.stop().catch(() => undefined);
  }
  // A file shiplog does not own is kept whatever happens to the types.
  await foreignCommit(sb.repo, { "README.md": "not shiplog's\n" }, "add README.md");

  await kubectl(["delete", "crd", typeId, "--wait=true", "--timeout=60s"]);

  s = await startServing(sb, args);
  try {
    await until("the widgets gone from main", 30_000, async () => (await fileAt(sb.repo, w1)) === undefined);
    assert.equal(await fileAt(sb.repo, w2), undefined);
    const [removal] = await commitsOf(sb.repo, w1);
    assert.match(
      removal ?? "",
      new RegExp(
        `^- delete ${typeId.replace(/\./g, "\\.")} ${ns.name}/w1 \\(type removed from the API\\)$`,
        "m",
      ),
      removal,
    );
    assert.match(removal ?? "", /no longer serves/, "the commit explains the reason");
    assert.ok(await fileAt(sb.repo, settings), "recorded types keep their files");
    assert.equal(await fileAt(sb.repo, "README.md"), "not shiplog's\n");
    assert.equal(await s.stop(), 0, s.logs().slice(-2000));
  } finally {
    await s.stop().catch(() => undefined);
  }

  // Config now leaves ConfigMaps out: their files go, for that reason.
  const config = join(sb.dir, "shiplog.yaml");
  writeFileSync(config, "watch:\n  exclude:\n    resources: [configmaps]\n");
  s = await startServing(sb, [...args, "--config", config]);
  try {
    await until(
      "the ConfigMap gone from main",
      30_000,
      async () => (await fileAt(sb.repo, settings)) === undefined,
    );
    const [removal] = await commitsOf(sb.repo, settings);
    assert.match(removal ?? "", /\(no longer recorded by config\)/, removal);
    assert.equal(await fileAt(sb.repo, "README.md"), "not shiplog's\n");
    assert.equal(await s.stop(), 0, s.logs().slice(-2000));
  } finally {
    await s.stop().catch(() => undefined);
  }
});
