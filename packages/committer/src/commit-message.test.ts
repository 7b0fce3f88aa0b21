import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commitMessage, commitSubject } from "./commit-message.js";
import type { MessageChange } from "./commit-message.js";

const web: MessageChange = {
  op: "update",
  type: "deployments.apps",
  namespace: "default",
  name: "web",
  updates: 3,
  summary: "spec.replicas 2→3",
  vanished: false,
};

describe("commit messages", () => {
  it("names the first change and counts the rest", () => {
    assert.equal(commitSubject([web]), "update deployments.apps default/web (3 updates)");
    const node: MessageChange = {
      ...web,
      op: "create",
      type: "nodes",
      namespace: "",
      name: "n1",
      updates: 1,
    };
    assert.equal(commitSubject([web, node, node]), "update deployments.apps default/web (+2 more)");
  });

  it("lists each change with its summary and ends with trailers", () => {
    const gone: MessageChange = {
      ...web,
      op: "delete",
      type: "configmaps",
      name: "old",
      updates: 1,
      summary: "deleted",
    };
    const msg = commitMessage([web, gone], {
      cluster: "prod",
      windowStart: "2026-01-01T00:00:00.000Z",
      windowEnd: "2026-01-01T00:00:05.000Z",
    });
    const lines = msg.split("\n");
    assert.equal(lines[1], "");
    assert.ok(lines.includes("- update deployments.apps default/web (3 updates): spec.replicas 2→3"));
    assert.ok(lines.includes("- delete configmaps default/old: deleted"));
    assert.match(
      msg,
      /\n\nShiplog-Cluster: prod\nShiplog-Window-Start: 2026-01-01T00:00:00.000Z\nShiplog-Window-End: 2026-01-01T00:00:05.000Z\n$/,
    );
  });

  it("names who made the changes in trailers: source, user, impersonator, managers, agents, fallback", () => {
    const base = { cluster: "prod", windowStart: "s", windowEnd: "e" };
    const alice = {
      name: "Alice",
      email: "alice@example.com",
      source: "audit" as const,
      username: "alice",
      userAgent: "kubectl/v1.36.3 (linux/amd64)",
      fieldManager: "kubectl-edit",
    };
    const msg = commitMessage([web, web], {
      ...base,
      authors: [alice, { ...alice, impersonator: "admin", fieldManager: "kubectl-patch" }],
    });
    assert.match(
      msg,
      /Shiplog-Window-End: e\nShiplog-Attribution: audit\nShiplog-User: alice\nShiplog-Impersonator: admin\nShiplog-Field-Manager: kubectl-edit\nShiplog-Field-Manager: kubectl-patch\nShiplog-User-Agent: kubectl\/v1\.36\.3 \(linux\/amd64\)\n$/,
    );
    const fallback = commitMessage([web], {
      ...base,
      authors: [
        {
          name: "helm",
          email: "helm@shiplog.local",
          source: "field-manager",
          fieldManager: "helm",
          fallbackReason: "no identity within 5s",
        },
      ],
    });
    assert.match(
      fallback,
      /Shiplog-Attribution: field-manager\nShiplog-Field-Manager: helm\nShiplog-Attribution-Note: no identity within 5s; the field manager is credited\n$/,
    );
    // A trailer is one line, and a long user agent is cut.
    const long = commitMessage([web], {
      ...base,
      authors: [{ ...alice, userAgent: `evil\nShiplog-User: mallory ${"x".repeat(500)}` }],
    });
    assert.equal(long.match(/^Shiplog-User: /gm)?.length, 1);
    const ua = long.split("\n").find((l) => l.startsWith("Shiplog-User-Agent: ")) ?? "";
    assert.ok(ua.length <= "Shiplog-User-Agent: ".length + 200 && ua.endsWith("..."), ua);
  });

  it("says when objects vanished while not watched", () => {
    const v: MessageChange = {
      ...web,
      op: "delete",
      updates: 1,
      summary: "vanished while not watched",
      vanished: true,
    };
    assert.equal(commitSubject([v]), "delete deployments.apps default/web (vanished while not watched)");
    assert.match(commitMessage([v], { cluster: "c", windowStart: "s", windowEnd: "e" }), /not watching/);
  });

  it("says when a relist after an expired resumed watch may have missed intermediate changes", () => {
    const ctx = { cluster: "c", windowStart: "s", windowEnd: "e" };
    assert.doesNotMatch(commitMessage([web], ctx), /410 Gone/);
    const msg = commitMessage([{ ...web, gap: true }], ctx);
    assert.match(msg, /history had expired \(410 Gone\), so intermediate changes of these objects may/);
    assert.match(msg, /^- update deployments\.apps default\/web \(3 updates\): spec\.replicas 2→3$/m);
  });

  it("says why a whole type's files left: removed from the API, or no longer recorded by config", () => {
    const removed: MessageChange = {
      ...web,
      op: "delete",
      type: "widgets.example.com",
      name: "w1",
      updates: 1,
      summary: "type removed from the API",
      typeGone: "removed",
    };
    const excluded: MessageChange = { ...removed, type: "secrets", name: "s", typeGone: "excluded" };
    const ctx = { cluster: "c", windowStart: "s", windowEnd: "e" };
    assert.equal(
      commitSubject([removed, { ...removed, name: "w2" }]),
      "delete widgets.example.com default/w1 (+1 more) (type removed from the API)",
    );
    assert.equal(commitSubject([excluded]), "delete secrets default/s (no longer recorded by config)");
    assert.equal(commitSubject([removed, excluded]), "delete widgets.example.com default/w1 (+1 more)");
    const lines = commitMessage([removed, excluded], ctx).split("\n");
    assert.ok(lines.includes("- delete widgets.example.com default/w1 (type removed from the API)"));
    assert.ok(lines.includes("- delete secrets default/s (no longer recorded by config)"));
    assert.ok(lines.some((l) => l.includes("no longer serves")));
  });
});
