// Promise: the attribution receiver serves HTTPS only; /audit takes EventLists only from a caller with
// the bearer token or a client certificate from the configured CA; /admission always allows with the
// uid echoed; a malformed, oversized, unauthenticated or too frequent request gets its 4xx, is counted
// and never crashes or stalls the server; no body, Secret value or token reaches Redis or the logs.
// Against a real node:https server on 127.0.0.1 with openssl-made certificates, and the real Redis at
// 127.0.0.1:6379 with a unique key prefix per test.
import { strict as assert } from "node:assert";
import { request as httpRequest, type ClientRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { ConfigError } from "@shiplog/core";
import { FakeClock } from "@shiplog/core/testing";
import { IdentityStore } from "./identity-store.js";
import { createAttributionMetrics } from "./metrics.js";
import type { AttributionMetrics } from "./metrics.js";
import { AttributionReceiver } from "./receiver.js";
import type { AttributionReceiverOptions, RecordSink } from "./receiver.js";
import type { IdentityRecord } from "./record.js";
import { SECRET_PLAINTEXT, admissionReview, auditEvent, eventList } from "./testkit/payloads.test.helper.js";
import { testRedis } from "./testkit/redis.test.helper.js";
import type { TestRedis } from "./testkit/redis.test.helper.js";
import { createTestPki, post } from "./testkit/tls.test.helper.js";
import type { TestPki } from "./testkit/tls.test.helper.js";

const TOKEN = "audit-webhook-token-4e1f0c9b7a";
// The payloads are stamped 2026-12-02T00:00:00.1Z; the receiver's clock stands just after.
const T0 = Date.parse("2026-12-02T00:00:01.000Z");

let pki: TestPki;
before(async () => {
  pki = await createTestPki();
});
after(async () => {
  await pki[Symbol.asyncDispose]();
});

interface Running {
  readonly port: number;
  readonly metrics: AttributionMetrics;
  readonly redis: TestRedis;
  readonly store: IdentityStore;
  readonly clock: FakeClock;
  readonly logs: string[];
  count(endpoint: string, result: string): Promise<number>;
  records(source: string): Promise<number>;
  /** Every member stored under the test's prefix. */
  stored(): Promise<IdentityRecord[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function start(
  over: Partial<AttributionReceiverOptions> & { sink?: (store: IdentityStore) => RecordSink } = {},
): Promise<Running> {
  const redis = await testRedis();
  const clock = new FakeClock(T0);
  const logs: string[] = [];
  const log = (obj: object, msg?: string): void => void logs.push(JSON.stringify(obj) + " " + (msg ?? ""));
  const logger = { info: log, warn: log, error: log, debug: log };
  const store = new IdentityStore({ redis: redis.redis, prefix: redis.prefix, clock });
  const metrics = createAttributionMetrics(new Registry());
  const { sink, ...options } = over;
  const receiver = new AttributionReceiver({
    tls: { certFile: pki.serverCert, keyFile: pki.serverKey },
    auth: { bearerTokens: [TOKEN], clientCaFile: pki.caCert },
    store: sink === undefined ? store : sink(store),
    metrics,
    clock,
    logger,
    ...options,
  });
  const port = await receiver.listen(0, "127.0.0.1");
  const value = async (c: AttributionMetrics["requests"] | AttributionMetrics["records"], labels: object) => {
    const got = (await c.get()).values.find((v) =>
      Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want),
    );
    return got?.value ?? 0;
  };
  return {
    port,
    metrics,
    redis,
    store,
    clock,
    logs,
    count: (endpoint, result) => value(metrics.requests, { endpoint, result }),
    records: (source) => value(metrics.records, { source }),
    async stored() {
      const out: IdentityRecord[] = [];
      for (const k of await redis.keys()) {
        if (k.includes(":attribution:last:")) continue; // when a source last delivered
        for (const m of await redis.redis.zrange(k, 0, -1)) out.push(JSON.parse(m) as IdentityRecord);
      }
      return out;
    },
    async [Symbol.asyncDispose]() {
      await receiver.close();
      await redis[Symbol.asyncDispose]();
      // No log line may carry a token or anything from a body.
      const all = logs.join("\n");
      assert.ok(!all.includes(TOKEN), "a token was logged");
      assert.ok(!all.includes(SECRET_PLAINTEXT), "a Secret value was logged");
    },
  };
}

const bearer = { authorization: `Bearer ${TOKEN}` };
const auditBody = (): string =>
  JSON.stringify(
    eventList([
      auditEvent({ resource: "secrets", name: "db", secretBodies: true, newResourceVersion: "901" }),
      auditEvent({ verb: "get", code: 200 }),
      auditEvent({ verb: "patch", code: 200, username: "bob", name: "app-config" }),
    ]),
  );

/** A POST /audit that announces a 100,000-byte body and sends it (if at all) as the test decides. */
function slowAuditRequest(port: number): ClientRequest {
  return httpsRequest({
    host: "127.0.0.1",
    port,
    path: "/audit",
    method: "POST",
    ca: pki.ca,
    agent: false,
    headers: { ...bearer, "content-type": "application/json", "content-length": "100000" },
  });
}

describe("AttributionReceiver /audit", () => {
  it("stores the records of an authenticated EventList, and nothing of its bodies", async () => {
    await using r = await start();
    const res = await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() });
    assert.equal(res.status, 200);
    const stored = await r.stored();
    assert.deepEqual(stored.map((s) => [s.username, s.verb, s.resource, s.name, s.resourceVersion]).sort(), [
      ["alice", "create", "secrets", "db", "901"],
      ["bob", "patch", "configmaps", "app-config", undefined],
    ]);
    for (const k of await r.redis.keys()) {
      const raw = k.includes(":attribution:last:")
        ? ((await r.redis.redis.get(k)) ?? "")
        : (await r.redis.redis.zrange(k, 0, -1)).join("\n");
      assert.ok(!raw.includes(SECRET_PLAINTEXT), `plaintext Secret value in Redis key ${k}`);
      assert.ok(
        !raw.includes(Buffer.from(SECRET_PLAINTEXT).toString("base64")),
        `base64 Secret value in ${k}`,
      );
    }
    assert.equal(await r.count("audit", "ok"), 1);
    assert.equal(await r.records("audit"), 2);
    const m = await r.store.lookup(
      { apiGroup: "", resource: "secrets", namespace: "default", name: "db" },
      { op: "create", resourceVersion: "901", observedAt: T0 },
      5000,
    );
    assert.equal(m?.record.username, "alice");
  });

  it("accepts a client certificate from the configured CA", async () => {
    await using r = await start();
    const res = await post(r.port, "/audit", {
      ca: pki.ca,
      cert: pki.clientCert,
      key: pki.clientKey,
      body: auditBody(),
    });
    assert.equal(res.status, 200);
    assert.equal(await r.records("audit"), 2);
  });

  it("refuses callers without the token or a certificate from the CA (401), and stores nothing", async () => {
    await using r = await start();
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer wrong-token" },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await post(r.port, "/audit", { ca: pki.ca, headers, body: auditBody() });
      assert.equal(res.status, 401, JSON.stringify(headers));
    }
    const stranger = await post(r.port, "/audit", {
      ca: pki.ca,
      cert: pki.strangerCert,
      key: pki.strangerKey,
      body: auditBody(),
    });
    assert.equal(stranger.status, 401, "a certificate from another CA was accepted");
    assert.equal(await r.count("audit", "unauthorized"), attempts.length + 1);
    assert.deepEqual(await r.redis.keys(), []);
  });

  it("without a client CA, a certificate is not asked for and only the token counts", async () => {
    await using r = await start({ auth: { bearerTokens: ["other", TOKEN] } });
    const withCert = await post(r.port, "/audit", {
      ca: pki.ca,
      cert: pki.clientCert,
      key: pki.clientKey,
      body: auditBody(),
    });
    assert.equal(withCert.status, 401);
    assert.equal(
      (await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() })).status,
      200,
    );
  });

  it("answers 400 to a wrong content-type, a body that is not JSON, and a malformed EventList", async () => {
    await using r = await start();
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ "content-type": "text/plain" }, auditBody(), /content-type/],
      [{}, "{not json", /not JSON/],
      [{}, JSON.stringify({ kind: "EventList", apiVersion: "audit.k8s.io/v1" }), /body\.items/],
      [
        {},
        JSON.stringify(eventList([{ ...auditEvent(), user: { username: SECRET_PLAINTEXT, groups: 1 } }])),
        /user\.groups/,
      ],
    ];
    for (const [headers, body, why] of cases) {
      const res = await post(r.port, "/audit", { ca: pki.ca, headers: { ...bearer, ...headers }, body });
      assert.equal(res.status, 400);
      assert.match(res.body, why);
      assert.ok(!res.body.includes(SECRET_PLAINTEXT), "the answer quoted the body");
    }
    assert.equal(await r.count("audit", "bad_request"), cases.length);
    assert.deepEqual(await r.redis.keys(), []);
  });

  it("answers 413 to a body over the limit, declared or streamed, and stops reading it", async () => {
    await using r = await start({ maxBodyBytes: 64 * 1024 });
    const big = JSON.stringify(eventList(Array.from({ length: 400 }, () => auditEvent())));
    assert.ok(big.length > 64 * 1024);
    const declared = await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: big });
    assert.equal(declared.status, 413);

    // Streamed without a length: the client keeps sending until the answer arrives.
    const streamed = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: r.port,
          path: "/audit",
          method: "POST",
          ca: pki.ca,
          agent: false,
          headers: { ...bearer, "content-type": "application/json", "transfer-encoding": "chunked" },
        },
        (res) => {
          answered = true;
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
          req.destroy();
        },
      );
      req.on("error", (err) => {
        if (!answered) reject(err);
      });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        if (answered || req.destroyed) return;
        if (sent > 16 * 1024 * 1024) return reject(new Error("the receiver read 16 MiB without answering"));
        sent += chunk.length;
        if (req.write(chunk)) setImmediate(pump);
        else req.once("drain", pump);
      };
      pump();
    });
    assert.equal(streamed.status, 413);
    assert.equal(await r.count("audit", "too_large"), 2);
    // The server is still serving.
    assert.equal(
      (await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() })).status,
      200,
    );
  });

  it("answers 429 when a caller's bucket is empty, and serves it again once it refilled", async () => {
    await using r = await start({ rateLimit: { audit: { perSecond: 1, burst: 2 } } });
    const send = () => post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() });
    assert.equal((await send()).status, 200);
    assert.equal((await send()).status, 200);
    const limited = await send();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers["retry-after"], "1");
    // Admission has its own bucket.
    const review = JSON.stringify(admissionReview());
    assert.equal((await post(r.port, "/admission", { ca: pki.ca, body: review })).status, 200);
    await r.clock.advance(1000);
    assert.equal((await send()).status, 200);
    assert.equal(await r.count("audit", "rate_limited"), 1);
    assert.equal(await r.count("audit", "ok"), 3);
  });

  it("answers 503 when Redis does not take the records, so the apiserver retries", async () => {
    await using r = await start({ sink: () => ({ add: () => Promise.reject(new Error("READONLY")) }) });
    const res = await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() });
    assert.equal(res.status, 503);
    assert.equal(await r.count("audit", "store_failed"), 1);
    assert.equal(await r.records("audit"), 0);
  });
});

describe("AttributionReceiver /admission", () => {
  it("allows with the uid echoed and stores userInfo, also with the apiserver's ?timeout query", async () => {
    await using r = await start();
    const res = await post(r.port, "/admission?timeout=10s", {
      ca: pki.ca,
      body: JSON.stringify(admissionReview({ uid: "uid-1", operation: "DELETE" })),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "uid-1", allowed: true },
    });
    const stored = await r.stored();
    assert.deepEqual(
      stored.map((s) => [s.source, s.username, s.verb, s.name, s.at]),
      [["admission", "bob", "delete", "db", new Date(T0).toISOString()]],
    );
    assert.ok(!JSON.stringify(stored).includes(SECRET_PLAINTEXT));
    assert.equal(await r.records("admission"), 1);
  });

  it("allows a dry run or CONNECT without storing it", async () => {
    await using r = await start();
    for (const review of [
      admissionReview({ dryRun: true }),
      admissionReview({ operation: "CONNECT", subResource: "exec" }),
    ]) {
      const res = await post(r.port, "/admission", { ca: pki.ca, body: JSON.stringify(review) });
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as { response: { allowed: boolean } }).response.allowed, true);
    }
    assert.deepEqual(await r.redis.keys(), []);
    assert.equal(await r.count("admission", "ok"), 2);
  });

  it("still allows when storing fails (never blocks the cluster), and counts it", async () => {
    await using r = await start({ sink: () => ({ add: () => Promise.reject(new Error("down")) }) });
    const res = await post(r.port, "/admission", {
      ca: pki.ca,
      body: JSON.stringify(admissionReview({ uid: "u-7" })),
    });
    assert.equal(res.status, 200);
    assert.deepEqual((JSON.parse(res.body) as { response: unknown }).response, { uid: "u-7", allowed: true });
    assert.equal(await r.count("admission", "store_failed"), 1);
  });

  it("requires the token or certificate when admissionRequiresAuth is set", async () => {
    await using r = await start({ admissionRequiresAuth: true });
    const body = JSON.stringify(admissionReview());
    assert.equal((await post(r.port, "/admission", { ca: pki.ca, body })).status, 401);
    assert.equal((await post(r.port, "/admission", { ca: pki.ca, body, headers: bearer })).status, 200);
    const withCert = await post(r.port, "/admission", {
      ca: pki.ca,
      body,
      cert: pki.clientCert,
      key: pki.clientKey,
    });
    assert.equal(withCert.status, 200);
    assert.equal(await r.count("admission", "unauthorized"), 1);
  });

  it("answers 400 to a malformed review", async () => {
    await using r = await start();
    const res = await post(r.port, "/admission", {
      ca: pki.ca,
      body: JSON.stringify({ kind: "AdmissionReview" }),
    });
    assert.equal(res.status, 400);
    assert.equal(await r.count("admission", "bad_request"), 1);
  });
});

describe("AttributionReceiver, everything else", () => {
  it("answers 404 to other paths and methods", async () => {
    await using r = await start();
    for (const [method, path] of [
      ["GET", "/audit"],
      ["PUT", "/admission"],
      ["POST", "/"],
      ["POST", "/audit/extra"],
      ["POST", "/metrics"],
    ] as const) {
      const res = await post(r.port, path, { ca: pki.ca, method, headers: bearer, body: auditBody() });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    assert.equal(await r.count("other", "not_found"), 5);
  });

  it("does not speak plain HTTP", async () => {
    await using r = await start();
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(
        { host: "127.0.0.1", port: r.port, path: "/audit", method: "POST", timeout: 5000 },
        (res) => {
          res.resume();
          resolve(`status ${res.statusCode}`);
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (err) => resolve(`error ${err.message}`));
      req.end(auditBody());
    });
    assert.match(outcome, /^error /, `plain HTTP got an answer: ${outcome}`);
    assert.equal(
      (await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() })).status,
      200,
    );
  });

  it("survives a client that aborts mid-body and a handler that throws (500), and keeps serving", async () => {
    let calls = 0;
    await using r = await start({
      sink: (store) => ({
        add: (records) => {
          calls++;
          if (calls === 1) throw new TypeError("a bug");
          return store.add(records);
        },
      }),
      logger: {
        info() {},
        debug() {},
        error() {},
        warn() {
          throw new Error("the logger failed too");
        },
      },
    });
    await new Promise<void>((resolve) => {
      const req = slowAuditRequest(r.port);
      req.on("error", () => resolve());
      req.write("{".repeat(1000), () => setTimeout(() => req.destroy(), 50));
      req.on("close", () => resolve());
    });
    const failed = await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() });
    assert.equal(failed.status, 500);
    assert.equal(await r.count("audit", "error"), 1);
    const ok = await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() });
    assert.equal(ok.status, 200);
  });

  it("cuts off a client that sends its body too slowly", async () => {
    await using r = await start({ requestTimeoutMs: 500 });
    const started = Date.now();
    const ended = await new Promise<string>((resolve) => {
      const req = slowAuditRequest(r.port);
      const guard = setTimeout(() => {
        resolve("still open after 5 s");
        req.destroy();
      }, 5000);
      const done = (how: string) => () => {
        clearTimeout(guard);
        resolve(how);
      };
      req.on("response", (res) => {
        res.resume();
        done(`status ${res.statusCode}`)();
      });
      req.on("error", done("closed"));
      req.on("close", done("closed"));
      req.write("{");
    });
    assert.notEqual(ended, "still open after 5 s");
    assert.ok(Date.now() - started < 5000);
    assert.equal(
      (await post(r.port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() })).status,
      200,
    );
  });

  it("re-reads its certificates on reloadCertificates()", async () => {
    await using r = await start();
    await r.store.add([]); // a no-op add is fine
    // Reload with the same files: the server keeps serving with them.
    const receiver = new AttributionReceiver({
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey },
      auth: { bearerTokens: [TOKEN] },
      store: r.store,
    });
    const port = await receiver.listen(0, "127.0.0.1");
    try {
      await receiver.reloadCertificates();
      assert.equal(
        (await post(port, "/audit", { ca: pki.ca, headers: bearer, body: auditBody() })).status,
        200,
      );
    } finally {
      await receiver.close();
    }
  });

  it("checks its options at construction", async () => {
    const store = { add: () => Promise.resolve() };
    const tls = { certFile: pki.serverCert, keyFile: pki.serverKey };
    assert.throws(
      () => new AttributionReceiver({ tls, auth: {}, store }),
      (e: unknown) => e instanceof ConfigError && /attribution\.receiver\.auth/.test(e.message),
    );
    assert.throws(
      () => new AttributionReceiver({ tls, auth: { bearerTokens: [""] }, store }),
      /bearerTokens\[0\]/,
    );
    assert.throws(
      () => new AttributionReceiver({ tls, auth: { bearerTokens: ["t"] }, store, maxBodyBytes: 1 }),
      /maxBodyBytes/,
    );
    assert.throws(
      () =>
        new AttributionReceiver({
          tls,
          auth: { bearerTokens: ["t"] },
          store,
          rateLimit: { audit: { perSecond: 0, burst: 1 } },
        }),
      /rateLimit\.audit\.perSecond/,
    );
    assert.ok((await readFile(pki.serverCert, "utf8")).includes("BEGIN CERTIFICATE"));
  });
});
