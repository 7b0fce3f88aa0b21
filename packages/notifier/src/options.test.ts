import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveOptions } from "./options.js";
import type { NotifierOptions, SinkConfig } from "./options.js";
import { NotifierConfigError } from "./errors/config-error.js";

const base: NotifierOptions = { queue: { connection: { host: "127.0.0.1" }, prefix: "p" }, sinks: [] };
const slack: SinkConfig = { name: "ops", type: "slack", url: "https://hooks.slack.example/services/T/B/x" };

function fails(opts: Partial<NotifierOptions>, field: string, message: RegExp): void {
  assert.throws(
    () => resolveOptions({ ...base, ...opts }),
    (err: unknown) => err instanceof NotifierConfigError && err.field === field && message.test(err.message),
    `expected an error naming ${field}`,
  );
}

describe("options", () => {
  it("fills documented defaults", () => {
    const o = resolveOptions({ ...base, sinks: [slack] });
    assert.deepEqual(o.sinks[0]?.rateLimit, { perMinute: 20, digestAfter: 5 });
    assert.equal(o.sinks[0]?.maxAttempts, 5);
    assert.equal(o.rateWindowMs, 60_000);
    assert.equal(o.retryBaseDelayMs, 1000);
    assert.equal(o.requestTimeoutMs, 10_000);
  });

  it("names the bad field", () => {
    fails({ queue: { connection: {}, prefix: "" } }, "queue.prefix", /non-empty/);
    fails({ sinks: [{ ...slack, name: "no spaces" }] }, "sinks[0].name", /letters, digits/);
    fails({ sinks: [slack, { ...slack }] }, "sinks[1].name", /duplicate/);
    fails(
      { sinks: [{ ...slack, type: "irc" as "slack" }] },
      "sinks[0].type",
      /one of slack, teams, discord, mattermost, webhook/,
    );
    fails({ sinks: [{ ...slack, url: "not a url" }] }, "sinks[0].url", /absolute http\(s\) URL/);
    fails({ sinks: [{ ...slack, url: "ftp://x/y" }] }, "sinks[0].url", /scheme ftp:/);
    fails({ sinks: [{ ...slack, type: "webhook" }] }, "sinks[0].secret", /HMAC secret/);
    fails({ sinks: [{ ...slack, secret: "0123456789abcdef" }] }, "sinks[0].secret", /only webhook sinks/);
    fails(
      { sinks: [{ ...slack, rateLimit: { perMinute: 0, digestAfter: 5 } }] },
      "sinks[0].rateLimit.perMinute",
      /integer >= 1/,
    );
    fails({ sinks: [{ ...slack, maxAttempts: 1.5 }] }, "sinks[0].maxAttempts", /integer/);
    fails(
      { sinks: [{ ...slack, routes: { ops: ["patch" as "update"] } }] },
      "sinks[0].routes.ops[0]",
      /create, update, delete/,
    );
    fails(
      { sinks: [{ ...slack, routes: { labelSelector: "app in (a" } }] },
      "sinks[0].routes.labelSelector",
      /unbalanced/,
    );
    fails(
      { sinks: [{ ...slack, routes: { namespace: ["x"] } as never }] },
      "sinks[0].routes.namespace",
      /unknown key/,
    );
    fails({ commitUrlTemplate: "https://x/{commit}" }, "commitUrlTemplate", /unknown placeholder \{commit\}/);
    fails({ rateWindowMs: -1 }, "rateWindowMs", /integer >= 1/);
  });

  it("never echoes a webhook URL in an error (it is a credential)", () => {
    try {
      resolveOptions({
        ...base,
        sinks: [{ ...slack, url: "hooks.slack.example/services/T/B/secret-token" }],
      });
      assert.fail("expected an error");
    } catch (err) {
      assert.ok(!(err as Error).message.includes("secret-token"));
    }
  });
});
