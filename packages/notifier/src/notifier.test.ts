/**
 * Integration: real Redis (unique key prefix per test), real BullMQ, real HTTP receivers on loopback
 * standing in for the chat services. Short windows and delays instead of sleeps in the code.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { QueueNames } from "@shiplog/core";
import type { PublishedCommit } from "@shiplog/core";
import { Notifier } from "./notifier.js";
import { DEAD_LETTER_QUEUE } from "./notifier.js";
import type { DeadLetter } from "./notifier.js";
import type { NotifierOptions } from "./options.js";
import { createNotifierMetrics } from "./metrics.js";
import type { NotifierMetrics } from "./metrics.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from "./webhook.js";
import { Receiver } from "./testkit/receiver.test.helper.js";
import type { Recorded } from "./testkit/receiver.test.helper.js";
import { change, commit, hugeCommit } from "./testkit/commits.test.helper.js";
import {
  forms,
  MARKER_MODES,
  randomSecretValue,
  secretRotationCommit,
} from "./testkit/core-commits.test.helper.js";
import { connection, deleteKeys, keysUnder } from "./testkit/redis.test.helper.js";
import { sinkTarget } from "./testkit/sinks.test.helper.js";
import type { SinkSpec } from "./testkit/sinks.test.helper.js";

const SECRET = "webhook-secret-0123456789";

interface Rig {
  readonly notifier: Notifier;
  readonly metrics: NotifierMetrics;
  readonly prefix: string;
  publish(c: unknown): Promise<void>;
  close(): Promise<void>;
}

async function rig(
  label: string,
  sinks: readonly SinkSpec[],
  extra: Partial<NotifierOptions> = {},
): Promise<Rig> {
  const prefix = `t-notifier-${label}-${randomUUID().slice(0, 8)}`;
  const metrics = createNotifierMetrics();
  const notifier = new Notifier({
    queue: { connection, prefix },
    sinks: sinks.map(sinkTarget),
    commitUrlTemplate: "https://git.example/acme/history/commit/{sha}",
    metrics,
    retryBaseDelayMs: 100,
    requestTimeoutMs: 2000,
    ...extra,
  });
  await notifier.start();
  const commits = new Queue(QueueNames.commits, { connection, prefix });
  return {
    notifier,
    metrics,
    prefix,
    async publish(c) {
      await commits.add("commit", c);
    },
    async close() {
      await notifier.stop();
      await commits.close();
      await deleteKeys(prefix);
    },
  };
}

async function value(
  metric: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) =>
      Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want),
    )
    .reduce((n, v) => n + v.value, 0);
}

/** Poll until `check` returns true (metrics are counted just after the receiver answers). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((res) => setTimeout(res, 25));
  }
}

const json = (r: Recorded | undefined): Record<string, unknown> =>
  JSON.parse(r?.body ?? "null") as Record<string, unknown>;

describe("notifier (real Redis, loopback receivers)", () => {
  let rx: Receiver;
  before(async () => {
    rx = await Receiver.start();
  });
  after(async () => {
    await rx.close();
  });

  it("delivers one commit to Slack, Teams, Discord, Mattermost and a signed webhook in their shapes", async () => {
    const r = await rig("shapes", [
      { name: "slack", type: "slack", url: rx.url("/shapes/slack") },
      { name: "teams", type: "teams", url: rx.url("/shapes/teams") },
      { name: "discord", type: "discord", url: rx.url("/shapes/discord") },
      { name: "mm", type: "mattermost", url: rx.url("/shapes/mm") },
      { name: "hook", type: "webhook", url: rx.url("/shapes/hook"), secret: SECRET },
    ]);
    try {
      const c = commit();
      await r.publish(c);
      await rx.waitFor((reqs) => reqs.filter((q) => q.path.startsWith("/shapes/")).length >= 5);
      const slack = json(rx.at("/shapes/slack")[0]) as { blocks: unknown[] };
      assert.ok(Array.isArray(slack.blocks) && JSON.stringify(slack).includes(c.sha));
      const teams = json(rx.at("/shapes/teams")[0]) as { attachments: Array<{ contentType: string }> };
      assert.equal(teams.attachments[0]?.contentType, "application/vnd.microsoft.card.adaptive");
      const discord = json(rx.at("/shapes/discord")[0]) as { content: string; embeds: unknown[] };
      assert.ok(discord.content.includes(c.sha.slice(0, 7)) && discord.embeds.length === 1);
      const mm = json(rx.at("/shapes/mm")[0]) as { text: string; attachments: unknown[] };
      assert.ok(mm.text.includes("kubectl-edit") && mm.attachments.length === 1);
      const hook = rx.at("/shapes/hook")[0];
      assert.equal(hook?.headers["content-type"], "application/json; charset=utf-8");
      const verified = verifyWebhookSignature({
        secret: SECRET,
        rawBody: hook?.body ?? "",
        signature: hook?.headers[SIGNATURE_HEADER] as string | undefined,
        timestamp: hook?.headers[TIMESTAMP_HEADER] as string | undefined,
        nowMs: Date.now(),
      });
      assert.equal(verified.ok, true, JSON.stringify(verified));
      const wrongKey = verifyWebhookSignature({
        secret: "not-the-right-secret",
        rawBody: hook?.body ?? "",
        signature: hook?.headers[SIGNATURE_HEADER] as string | undefined,
        timestamp: hook?.headers[TIMESTAMP_HEADER] as string | undefined,
        nowMs: Date.now(),
      });
      assert.equal(wrongKey.ok, false);
      const body = json(hook) as {
        kind: string;
        commit: { sha: string; url: string; changes: Array<{ diffLines: string[] }> };
      };
      assert.equal(body.kind, "commit");
      assert.equal(body.commit.url, `https://git.example/acme/history/commit/${c.sha}`);
      assert.ok(body.commit.changes[0]?.diffLines.includes("+  replicas: 3"));
      await eventually(async () => (await value(r.metrics.deliveries, { outcome: "delivered" })) === 5);
    } finally {
      await r.close();
    }
  });

  it("retries 429 then 500 before it succeeds, honouring Retry-After (seconds)", async () => {
    rx.on("/retry/slack", (_req, nth) =>
      nth === 1
        ? { status: 429, headers: { "retry-after": "1" } }
        : nth === 2
          ? { status: 500 }
          : { status: 200, body: "ok" },
    );
    const r = await rig("retry", [
      { name: "slack", type: "slack", url: rx.url("/retry/slack"), maxAttempts: 5 },
    ]);
    try {
      await r.publish(commit());
      await rx.waitFor(() => rx.at("/retry/slack").length >= 3);
      const [a, b, c] = rx.at("/retry/slack");
      assert.ok(a && b && c);
      assert.ok(b.at - a.at >= 950, `Retry-After: 1 honoured (waited ${b.at - a.at} ms)`);
      assert.ok(
        c.at - b.at >= 150 && c.at - b.at < 2000,
        `exponential backoff after a 500 (waited ${c.at - b.at} ms)`,
      );
      assert.equal(a.body, c.body, "the same message is retried");
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(rx.at("/retry/slack").length, 3, "no request after the success");
      assert.equal(await value(r.metrics.deliveries, { outcome: "retried" }), 2);
      assert.equal(await value(r.metrics.deliveries, { outcome: "delivered" }), 1);
      assert.equal(await value(r.metrics.deliveries, { outcome: "dead" }), 0);
    } finally {
      await r.close();
    }
  });

  it("honours a Retry-After given as an HTTP date", async () => {
    let asked = 0;
    rx.on("/retry-date/hook", (_req, nth) => {
      if (nth > 1) return { status: 204 };
      asked = Math.ceil((Date.now() + 2000) / 1000) * 1000;
      return { status: 503, headers: { "retry-after": new Date(asked).toUTCString() } };
    });
    const r = await rig("retrydate", [
      { name: "hook", type: "webhook", url: rx.url("/retry-date/hook"), secret: SECRET },
    ]);
    try {
      await r.publish(commit());
      await rx.waitFor(() => rx.at("/retry-date/hook").length >= 2);
      const second = rx.at("/retry-date/hook")[1];
      assert.ok(second && second.at >= asked - 50, `retried ${asked - (second?.at ?? 0)} ms before the date`);
    } finally {
      await r.close();
    }
  });

  it("dead-letters after maxAttempts, and at once on a 4xx that retrying cannot fix; visible in metrics", async () => {
    rx.on("/dead/always500", () => ({ status: 500, body: "boom" }));
    rx.on("/dead/gone", () => ({ status: 404, body: "no_service" }));
    const r = await rig("dead", [
      { name: "flaky", type: "discord", url: rx.url("/dead/always500"), maxAttempts: 3 },
      { name: "gone", type: "slack", url: rx.url("/dead/gone"), maxAttempts: 3 },
    ]);
    const dead = new Queue<DeadLetter>(DEAD_LETTER_QUEUE, { connection, prefix: r.prefix });
    try {
      const c = commit();
      await r.publish(c);
      await rx.waitFor(() => rx.at("/dead/always500").length >= 3 && rx.at("/dead/gone").length >= 1);
      const deadline = Date.now() + 5000;
      while ((await dead.count()) < 2 && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 50));
      await new Promise((res) => setTimeout(res, 500));
      assert.equal(rx.at("/dead/always500").length, 3, "exactly maxAttempts tries");
      assert.equal(rx.at("/dead/gone").length, 1, "a 404 is not retried");
      const jobs = await dead.getJobs(["waiting"]);
      assert.equal(jobs.length, 2);
      const bySink = new Map(jobs.map((j) => [j.data.sink, j.data]));
      assert.equal(bySink.get("flaky")?.attempts, 3);
      assert.equal(bySink.get("flaky")?.status, 500);
      assert.equal(bySink.get("gone")?.status, 404);
      assert.equal(bySink.get("flaky")?.commits[0]?.sha, c.sha, "the message can be replayed from the DLQ");
      assert.equal(await value(r.metrics.deliveries, { sink: "flaky", outcome: "dead" }), 1);
      assert.equal(await value(r.metrics.deliveries, { sink: "flaky", outcome: "retried" }), 2);
      assert.equal(await value(r.metrics.deadLetterSize), 2);
      const text = await r.metrics.registry.metrics();
      assert.match(text, /shiplog_notifier_deliveries_total\{sink="flaky",kind="commit",outcome="dead"\} 1/);
    } finally {
      await dead.close();
      await r.close();
    }
  });

  it("a hanging sink and a failing sink do not delay the other sinks", async () => {
    rx.on("/iso/hang", () => ({ status: 200, hang: true }));
    rx.on("/iso/fail", () => ({ status: 503 }));
    const r = await rig(
      "isolation",
      [
        { name: "hang", type: "slack", url: rx.url("/iso/hang"), maxAttempts: 2 },
        { name: "fail", type: "teams", url: rx.url("/iso/fail"), maxAttempts: 10 },
        { name: "good", type: "mattermost", url: rx.url("/iso/good") },
      ],
      { requestTimeoutMs: 30_000 },
    );
    try {
      const sent: number[] = [];
      for (let i = 0; i < 3; i++) {
        sent.push(Date.now());
        await r.publish(commit());
      }
      await rx.waitFor(() => rx.at("/iso/good").length >= 3, 5000, "the good sink's messages");
      const good = rx.at("/iso/good");
      for (const [i, q] of good.entries()) {
        assert.ok(
          q.at - (sent[i] ?? 0) < 3000,
          `good sink got commit ${i} after ${q.at - (sent[i] ?? 0)} ms`,
        );
      }
      assert.equal(rx.at("/iso/hang").length, 1, "the hanging sink is still on its first request");
      assert.ok(rx.at("/iso/fail").length >= 1);
    } finally {
      rx.on("/iso/hang", () => ({ status: 200 }));
      rx.release();
      await r.close();
    }
  });

  it("sends a digest instead of N messages when more than digestAfter commits arrive in a minute", async () => {
    const r = await rig(
      "digest",
      [
        {
          name: "hook",
          type: "webhook",
          url: rx.url("/digest/hook"),
          secret: SECRET,
          rateLimit: { perMinute: 100, digestAfter: 2 },
        },
        {
          name: "slack",
          type: "slack",
          url: rx.url("/digest/slack"),
          rateLimit: { perMinute: 100, digestAfter: 2 },
        },
      ],
      { rateWindowMs: 1500 },
    );
    try {
      const commits = Array.from({ length: 7 }, (_, i) =>
        commit({ subject: `update configmaps default/cm-${i}` }),
      );
      for (const c of commits) await r.publish(c);
      await rx.waitFor(() => rx.at("/digest/hook").length >= 3 && rx.at("/digest/slack").length >= 3, 8000);
      await new Promise((res) => setTimeout(res, 1800));
      const hook = rx.at("/digest/hook").map(
        (q) =>
          json(q) as {
            kind: string;
            commit?: { sha: string };
            digest?: { commits: Array<{ sha: string }> };
          },
      );
      assert.deepEqual(
        hook.map((h) => h.kind),
        ["commit", "commit", "digest"],
        "2 alone, then one digest",
      );
      assert.deepEqual(
        hook.slice(0, 2).map((h) => h.commit?.sha),
        commits.slice(0, 2).map((c) => c.sha),
      );
      assert.deepEqual(
        hook[2]?.digest?.commits.map((c) => c.sha),
        commits.slice(2).map((c) => c.sha),
      );
      const slackDigest = json(rx.at("/digest/slack")[2]) as { blocks: Array<{ text?: { text: string } }> };
      assert.match(slackDigest.blocks[0]?.text?.text ?? "", /^5 commits in prod \(5 changes\)/);
      assert.equal(await value(r.metrics.routed, { sink: "hook", decision: "digest" }), 5);
      assert.equal(
        await value(r.metrics.deliveries, { sink: "hook", kind: "digest", outcome: "delivered" }),
        1,
      );
    } finally {
      await r.close();
    }
  });

  it("rate-limits each sink to perMinute messages", async () => {
    const r = await rig(
      "rate",
      [{ name: "d", type: "discord", url: rx.url("/rate/d"), rateLimit: { perMinute: 2, digestAfter: 50 } }],
      { rateWindowMs: 1000 },
    );
    try {
      for (let i = 0; i < 5; i++) await r.publish(commit());
      await rx.waitFor(() => rx.at("/rate/d").length >= 5, 8000);
      const t = rx.at("/rate/d").map((q) => q.at);
      assert.ok((t[2] ?? 0) - (t[0] ?? 0) >= 900, `third message waited ${(t[2] ?? 0) - (t[0] ?? 0)} ms`);
      assert.ok((t[4] ?? 0) - (t[0] ?? 0) >= 1800, `fifth message waited ${(t[4] ?? 0) - (t[0] ?? 0)} ms`);
    } finally {
      await r.close();
    }
  });

  it("routes per sink and skips malformed messages without stalling", async () => {
    const r = await rig("routing", [
      {
        name: "prod-humans",
        type: "webhook",
        url: rx.url("/routing/hook"),
        secret: SECRET,
        routes: {
          namespaces: ["prod"],
          excludeAuthors: ["kube-controller-manager"],
          labelSelector: "tier notin (cache)",
        },
      },
    ]);
    try {
      const controller = {
        name: "kube-controller-manager",
        email: "kcm@shiplog.local",
        source: "field-manager" as const,
      };
      await r.publish(commit({ author: controller, changes: [change({ namespace: "prod" })] }));
      await r.publish(commit({ changes: [change({ namespace: "dev" })] }));
      await r.publish({ hello: "not a commit" });
      await r.publish(
        commit({ changes: [change({ namespace: "prod", name: "redis", labels: { tier: "cache" } })] }),
      );
      const wanted = commit({
        changes: [
          change({ namespace: "prod", name: "web" }),
          change({ namespace: "kube-system", name: "dns" }),
        ],
      });
      await r.publish(wanted);
      await rx.waitFor(() => rx.at("/routing/hook").length >= 1);
      await new Promise((res) => setTimeout(res, 300));
      const got = rx
        .at("/routing/hook")
        .map((q) => json(q) as { commit: { sha: string; changes: Array<{ name: string }> } });
      assert.equal(got.length, 1);
      assert.equal(got[0]?.commit.sha, wanted.sha);
      assert.deepEqual(
        got[0]?.commit.changes.map((c) => c.name),
        ["web"],
        "only the routed change is shown",
      );
      assert.equal(await value(r.metrics.routed, { decision: "filtered" }), 3);
      assert.equal(await value(r.metrics.invalidMessages), 1);
    } finally {
      await r.close();
    }
  });

  it("scan: no Secret value reaches any payload or any Redis key the notifier writes", async () => {
    const specs: SinkSpec[] = [
      { name: "slack", type: "slack", url: rx.url("/scan/slack") },
      { name: "teams", type: "teams", url: rx.url("/scan/teams") },
      { name: "discord", type: "discord", url: rx.url("/scan/discord") },
      { name: "mm", type: "mattermost", url: rx.url("/scan/mm") },
      { name: "hook", type: "webhook", url: rx.url("/scan/hook"), secret: SECRET },
      { name: "dead", type: "webhook", url: rx.url("/scan/dead"), secret: SECRET, maxAttempts: 1 },
    ];
    const sinks = specs.map((s) => ({ ...s, rateLimit: { perMinute: 100, digestAfter: 3 } }));
    rx.on("/scan/dead", () => ({ status: 500 }));
    const r = await rig("scan", sinks, { rateWindowMs: 1000 });
    try {
      const values: string[] = [];
      const commits: PublishedCommit[] = [];
      for (const mode of [...MARKER_MODES, ...MARKER_MODES]) {
        const made = secretRotationCommit(mode);
        values.push(...made.values);
        commits.push(made.commit);
      }
      // An upstream bug: plaintext in a Secret's diff and summary. The notifier's guard must hold.
      const planted = Array.from({ length: 4 }, randomSecretValue);
      values.push(...planted);
      commits.push(
        commit({
          changes: [
            change({
              kind: "Secret",
              type: "secrets",
              name: "leaky",
              summary: `data.password hmac:00112233→${planted[0]}; +data.token=${planted[1]}`,
              diff: [
                "@@ -1,4 +1,5 @@",
                " data:",
                `-  password: ${planted[2]}`,
                `+  password: ${planted[3]}`,
                "+  extra: |",
                `+    ${planted[0]}`,
              ].join("\n"),
            }),
          ],
        }),
      );
      commits.push(hugeCommit(60, 50, 100));
      for (const c of commits) await r.publish(c);
      // 3 alone + a digest per sink; the "dead" sink dead-letters each message.
      await rx.waitFor(
        (reqs) =>
          ["slack", "teams", "discord", "mm", "hook", "dead"].every(
            (s) => reqs.filter((q) => q.path === `/scan/${s}`).length >= 4,
          ),
        10_000,
      );
      const payloads = rx.requests.filter((q) => q.path.startsWith("/scan/")).map((q) => q.body);
      const needles = values.flatMap(forms);
      for (const p of payloads)
        for (const n of needles) assert.ok(!p.includes(n), "a Secret value reached a chat payload");
      const redis = new Redis(connection);
      try {
        let scanned = 0;
        for (const key of await keysUnder(redis, r.prefix)) {
          if (key.startsWith(`${r.prefix}:${QueueNames.commits}:`)) continue; // the committer's input, not ours
          const type = await redis.type(key);
          const dump =
            type === "string"
              ? await redis.get(key)
              : type === "hash"
                ? JSON.stringify(await redis.hgetall(key))
                : type === "list"
                  ? JSON.stringify(await redis.lrange(key, 0, -1))
                  : "";
          scanned++;
          for (const n of needles)
            assert.ok(
              !key.includes(n) && !(dump ?? "").includes(n),
              `a Secret value reached Redis key ${key}`,
            );
        }
        assert.ok(scanned > 10, `scanned ${scanned} keys`);
      } finally {
        await redis.quit();
      }
      assert.ok((await value(r.metrics.secretValuesWithheld)) >= 4, "the guard counted what it withheld");
    } finally {
      await r.close();
    }
  });
});
