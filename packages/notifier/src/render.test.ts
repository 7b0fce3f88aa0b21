import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commitUrl, renderCommit, renderDigest } from "./render.js";
import { bigDiff, change, commit } from "./testkit/commits.test.helper.js";

describe("render", () => {
  const c = {
    sha: "0123456789abcdef0123456789abcdef01234567",
    branch: "clusters/prod",
    cluster: "prod east",
  };

  it("fills commit links for GitHub, GitLab, Gitea and any host", () => {
    assert.equal(
      commitUrl("https://github.com/acme/h/commit/{sha}", c),
      `https://github.com/acme/h/commit/${c.sha}`,
    );
    assert.equal(
      commitUrl("https://gitlab.example/acme/h/-/commit/{sha}", c),
      `https://gitlab.example/acme/h/-/commit/${c.sha}`,
    );
    assert.equal(
      commitUrl("https://gitea.example/acme/h/commit/{shortSha}?b={branch}", c),
      "https://gitea.example/acme/h/commit/0123456?b=clusters/prod",
    );
    assert.equal(commitUrl("https://x/{cluster}/{sha}", c), `https://x/prod%20east/${c.sha}`);
    assert.equal(commitUrl(undefined, c), undefined);
  });

  it("models author, objects, summaries and a short diff; counts what it cut", () => {
    const pc = commit({
      changes: [
        change({
          op: "create",
          namespace: "",
          type: "clusterroles.rbac.authorization.k8s.io",
          name: "admin",
          diff: bigDiff(100),
        }),
        change({ op: "update", updates: 4 }),
        change({ op: "delete", vanished: true }),
      ],
    });
    const m = renderCommit(pc, { commitUrlTemplate: "https://g/{sha}", maxDiffLines: 10 });
    assert.equal(m.author, "kubectl-edit");
    assert.deepEqual(m.counts, { create: 1, update: 1, delete: 1 });
    assert.equal(m.changes[0]?.ref, "clusterroles.rbac.authorization.k8s.io/admin");
    assert.equal(m.changes[0]?.diffLines.length, 10);
    assert.equal(m.changes[0]?.diffLinesCut, 91, "100 lines + the hunk header, 10 shown");
    assert.ok(!m.changes[1]?.diffLines.some((l) => l.startsWith("+++") || l.startsWith("---")));
    assert.equal(m.url, `https://g/${pc.sha}`);
    const d = renderDigest([pc, commit()], { commitUrlTemplate: undefined, maxDiffLines: 10 });
    assert.equal(d.totalChanges, 4);
    assert.ok(d.commits.every((x) => x.changes.every((ch) => ch.diffLines.length === 0)));
  });
});
