/** Test-only: hand-built PublishedCommits, the way the committer publishes them. */
import type { PublishedChange, PublishedCommit } from "@shiplog/core";
import { createHash } from "node:crypto";

let counter = 0;

export function fakeSha(seed: string = String(++counter)): string {
  return createHash("sha1").update(`${seed}-${Math.random()}`).digest("hex");
}

export function change(over: Partial<PublishedChange> = {}): PublishedChange {
  const ns = over.namespace ?? "default";
  const name = over.name ?? "web";
  const type = over.type ?? "deployments.apps";
  return {
    op: "update",
    type,
    kind: "Deployment",
    namespace: ns,
    name,
    path: `${ns === "" ? "_cluster" : ns}/${type}/${name}.yaml`,
    labels: { app: name },
    summary: "spec.replicas 2→3",
    updates: 1,
    diff: [
      `--- a/${ns}/${type}/${name}.yaml`,
      `+++ b/${ns}/${type}/${name}.yaml`,
      "@@ -5,7 +5,7 @@",
      "   namespace: default",
      " spec:",
      "-  replicas: 2",
      "+  replicas: 3",
      "   selector:",
      "",
    ].join("\n"),
    ...over,
  };
}

export function commit(over: Partial<PublishedCommit> = {}): PublishedCommit {
  const changes = over.changes ?? [change()];
  return {
    sha: fakeSha(),
    cluster: "prod",
    branch: "main",
    author: { name: "kubectl-edit", email: "kubectl-edit@shiplog.local", source: "field-manager" },
    subject: `update ${changes[0]?.type ?? "?"} ${changes[0]?.namespace ?? ""}/${changes[0]?.name ?? ""}`,
    committedAt: new Date().toISOString(),
    windowStart: new Date(Date.now() - 5000).toISOString(),
    windowEnd: new Date().toISOString(),
    ...over,
    changes,
  };
}

/** A diff of `lines` changed lines. */
export function bigDiff(lines: number, width = 60): string {
  const out = ["--- a/x.yaml", "+++ b/x.yaml", `@@ -1,${lines} +1,${lines} @@`];
  for (let i = 0; i < lines; i++) out.push(`${i % 2 === 0 ? "-" : "+"}  key${i}: ${"v".repeat(width)}`);
  return out.join("\n");
}

export function hugeCommit(changes = 300, diffLines = 200, summaryChars = 5000): PublishedCommit {
  return commit({
    changes: Array.from({ length: changes }, (_, i) =>
      change({ name: `app-${i}`, summary: `spec.x ${"s".repeat(summaryChars)}`, diff: bigDiff(diffLines) }),
    ),
  });
}
