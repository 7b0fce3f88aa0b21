import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRetryAfter } from "./backoff.js";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./config.js";
import { FINGERPRINT_PREFIX, OMITTED_VALUE } from "./fingerprint.js";
import { isRecord } from "./guards.js";
import { MASK, maskUrlCredentials, maskWebhookUrl } from "./mask.js";
import { inSyncRange, syncMessage, syncMessages } from "./messages.js";
import { optionChecks } from "./option-checks.js";
import { isProtectedMarker, SECRET_MODE_NAMES, SecretModeRegistry } from "./secret-modes.js";
import { FakeClock } from "./testing/fake-clock.js";

describe("FakeClock", () => {
  it("fires sleeps and timers in time order only when advanced", async () => {
    const clock = new FakeClock(1000);
    const seen: string[] = [];
    void clock.sleep(300).then(() => seen.push(`sleep@${clock.now()}`));
    clock.setTimeout(() => seen.push(`timeout@${clock.now()}`), 100);
    const every = clock.setInterval(() => seen.push(`tick@${clock.now()}`), 200);
    await clock.advance(99);
    assert.deepEqual(seen, []);
    await clock.advance(401);
    every.cancel();
    await clock.advance(1000);
    assert.deepEqual(seen, ["timeout@1100", "tick@1200", "sleep@1300", "tick@1400"]);
    assert.equal(clock.now(), 2500);
    assert.equal(clock.pending, 0);
  });

  it("runs a sleep scheduled by an awaited callback within the same advance", async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        seen.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(30);
    await done;
    assert.deepEqual(seen, [10, 20, 30]);
  });

  it("resolves an aborted sleep at once and drops its timer", async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const p = clock.sleep(1_000_000, ac.signal);
    ac.abort();
    await p;
    assert.equal(clock.pending, 0);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-26T05:00:00Z");
  it("reads seconds, fractional seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter("1.5", now), 1500);
    assert.equal(parseRetryAfter("Thu, 26 Nov 2026 05:00:07 GMT", now), 7000);
    assert.equal(parseRetryAfter("Thu, 26 Nov 2026 04:59:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter(" 0 ", now), 0);
  });
});

describe("masking", () => {
  it("masks URL credentials with one mask string", () => {
    assert.equal(maskUrlCredentials("redis://:pw@h:6379/0"), `redis://:${MASK}@h:6379/0`);
    assert.equal(maskUrlCredentials("https://tok@git.example/x.git"), `https://${MASK}@git.example/x.git`);
    assert.equal(maskUrlCredentials("https://git.example/x.git"), "https://git.example/x.git");
    assert.equal(maskUrlCredentials("git@github.com:acme/history.git"), "git@github.com:acme/history.git");
    assert.equal(maskUrlCredentials("not a url with a://secret"), MASK);
    assert.equal(maskUrlCredentials("/var/lib/shiplog/remote.git"), "/var/lib/shiplog/remote.git");
    assert.equal(
      maskWebhookUrl("https://hooks.slack.com/services/T/B/xyz"),
      `https://hooks.slack.com/${MASK}`,
    );
    assert.equal(maskWebhookUrl("nope"), MASK);
  });
});

describe("secret-mode registry", () => {
  it("has a row for every mode the schema accepts", () => {
    for (const mode of SECRET_MODE_NAMES) {
      assert.equal(parseConfig({ secrets: { mode, ageRecipients: agesFor(mode) } }).secrets.mode, mode);
      assert.ok(SecretModeRegistry[mode].summary.length > 0);
    }
    assert.throws(() => parseConfig({ secrets: { mode: "plain" } }), ConfigError);
  });

  it("recognises the markers modes write", () => {
    assert.ok(isProtectedMarker(`${FINGERPRINT_PREFIX}0123456789abcdef0123456789abcdef`));
    assert.ok(isProtectedMarker(OMITTED_VALUE));
    assert.ok(!isProtectedMarker("hunter2"));
    assert.ok(!isProtectedMarker(42));
  });
});

function agesFor(mode: string): string[] {
  return SecretModeRegistry[mode as keyof typeof SecretModeRegistry].needsAgeRecipients
    ? ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
    : [];
}

describe("optionChecks", () => {
  it("names <scope>.<option> in the one ConfigError", () => {
    const check = optionChecks("committer");
    assert.equal(check.int("quietPeriodMs", undefined, 5000, 1), 5000);
    assert.equal(check.int("quietPeriodMs", 7, 5000, 1), 7);
    assert.throws(
      () => check.int("quietPeriodMs", 0, 5000, 1),
      (e: unknown) => e instanceof ConfigError && e.field === "committer.quietPeriodMs",
    );
    assert.throws(() => check.int("x", 11, 1, 1, 10), /in \[1, 10\]/);
    assert.throws(() => check.nonEmpty("repoPath", " "), /committer.repoPath: must be a non-empty string/);
    assert.throws(() => check.require(false, "lockTtlMs", "must be at least 300 ms"), /committer.lockTtlMs/);
  });

  it("keeps the source of a config value in the message", () => {
    const e = new ConfigError("redis.url", "expected a URL").withSource("SHIPLOG_REDIS_URL");
    assert.equal(e.message, "redis.url: expected a URL (from SHIPLOG_REDIS_URL)");
    assert.equal(e.source, "SHIPLOG_REDIS_URL");
  });
});

describe("small shared helpers", () => {
  it("isRecord accepts plain objects only", () => {
    assert.ok(isRecord({}));
    assert.ok(!isRecord([]));
    assert.ok(!isRecord(null));
    assert.ok(!isRecord("x"));
  });

  it("syncMessage names namespaces only for namespaced types with a namespace filter", () => {
    const base = {
      type: "configmaps",
      group: "",
      resource: "configmaps",
      paths: ["a"],
      resourceVersion: "9",
      observedAt: "t",
    };
    assert.deepEqual(syncMessage({ ...base, namespaced: true, namespaces: ["x"] }).namespaces, ["x"]);
    assert.equal(syncMessage({ ...base, namespaced: true, namespaces: [] }).namespaces, undefined);
    assert.equal(syncMessage({ ...base, namespaced: false, namespaces: ["x"] }).namespaces, undefined);
    assert.equal(syncMessage({ ...base, namespaced: true }).kind, "sync");
  });

  describe("syncMessages", () => {
    const base = {
      type: "configmaps",
      group: "",
      resource: "configmaps",
      namespaced: true,
      resourceVersion: "9",
      observedAt: "t",
    };
    const paths = Array.from({ length: 1000 }, (_, i) => `ns${i % 7}/configmaps/cm-${i}.yaml`);

    it("sends a key set that fits as one message without a range", () => {
      const msgs = syncMessages({ ...base, paths: ["b", "a"] }, 1000);
      assert.equal(msgs.length, 1);
      assert.deepEqual(msgs[0]?.paths, ["a", "b"]);
      assert.equal(msgs[0]?.range, undefined);
    });

    it("splits a large key set into bounded parts whose ranges cover every string exactly once", () => {
      const msgs = syncMessages({ ...base, paths }, 2048);
      assert.ok(msgs.length > 10, `${msgs.length} parts`);
      for (const m of msgs) assert.ok(JSON.stringify(m.paths).length <= 2048 + 64);
      // every path is carried by exactly the part whose range holds it
      const carried = msgs.flatMap((m) => [...m.paths]);
      assert.deepEqual(carried, [...paths].sort());
      for (const p of [...paths, "", "a", "ns3/configmaps/zzz.yaml", "\uffff"]) {
        const holders = msgs.filter((m) => inSyncRange(p, m.range));
        assert.equal(holders.length, 1, p);
        if (paths.includes(p)) assert.ok(holders[0]?.paths.includes(p));
      }
      assert.equal(msgs[0]?.range?.from, undefined);
      assert.equal(msgs.at(-1)?.range?.to, undefined);
    });

    it("puts a path longer than the bound in a part of its own", () => {
      const long = "ns/configmaps/" + "x".repeat(300) + ".yaml";
      const msgs = syncMessages({ ...base, paths: ["a", long, "z"] }, 100);
      assert.deepEqual(
        msgs.map((m) => m.paths),
        [["a"], [long], ["z"]],
      );
    });

    it("keeps an empty key set as one message (the type has no objects)", () => {
      assert.deepEqual(syncMessages({ ...base, paths: [] }, 100)[0]?.paths, []);
    });
  });
});
