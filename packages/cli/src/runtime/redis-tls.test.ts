// TLS to a real redis-server that serves only TLS and wants client certificates (tls-auth-clients
// yes): the options built from `redis.tls` connect with the CA and a client certificate, a BullMQ job
// goes round, and each way of getting it wrong fails with a line that names what is wrong.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@shiplog/core";
import { bullmqRoundTrip } from "../testkit/bullmq-round-trip.test.helper.js";
import { createRedisTestPki, type RedisTestPki } from "../testkit/tls.test.helper.js";
import { startRedisServer, type TestRedisServer } from "../testkit/redis-server.test.helper.js";
import { checkRedis, inspectRedis } from "./redis-check.js";
import { RedisCheckError } from "./redis-errors.js";
import { redisTarget, type RedisTarget } from "./redis-target.js";

describe("redis over TLS with client certificates", () => {
  let pki: RedisTestPki;
  let server: TestRedisServer;

  function target(tls: Record<string, unknown>, url = server.url): RedisTarget {
    return redisTarget(parseConfig({ redis: { url, prefix: "tls-test", tls } }).redis, pki.dir);
  }
  const good = (): Record<string, unknown> => ({
    caFile: pki.caCert,
    certFile: pki.clientCert,
    keyFile: pki.clientKey,
  });

  async function failsWith(t: RedisTarget, message: RegExp): Promise<void> {
    await assert.rejects(checkRedis(t, 3_000), (err: unknown) => {
      assert.ok(err instanceof RedisCheckError, String(err));
      assert.equal(err.failure.kind, "tls", err.message);
      assert.match(err.message, message);
      return true;
    });
  }

  before(async () => {
    pki = await createRedisTestPki();
    server = await startRedisServer(["--tls-auth-clients", "yes"], {
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert },
      ready: (url) =>
        redisTarget(
          parseConfig({
            redis: { url, tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } },
          }).redis,
          pki.dir,
        ),
    });
  });

  after(async () => {
    await server?.close();
    await pki?.[Symbol.asyncDispose]();
  });

  it("connects with the CA and a client certificate, and says which TLS version", async () => {
    const t = target(good());
    await checkRedis(t);
    const seen = await inspectRedis(t, "tls-test");
    assert.match(seen.tlsProtocol ?? "", /^TLSv1\.[23]$/);
    assert.equal(seen.permissionProblem, undefined);
  });

  it("a BullMQ job goes round over TLS", async () => {
    const { connection } = target(good());
    const name = `tls-${process.pid}`;
    assert.deepEqual(await bullmqRoundTrip(connection, name, "tls-test", { over: "tls" }), { over: "tls" });
  });

  it("a CA that did not sign the server's certificate: unknown CA", async () => {
    await failsWith(
      target({ ...good(), caFile: pki.otherCaCert }),
      /TLS: .*not signed by a trusted CA \(unknown CA/,
    );
  });

  it("no client certificate: client cert rejected", async () => {
    await failsWith(target({ caFile: pki.caCert }), /client cert rejected/);
  });

  it("a client certificate from a CA the server does not trust: client cert rejected", async () => {
    await failsWith(
      target({ caFile: pki.caCert, certFile: pki.strangerCert, keyFile: pki.strangerKey }),
      /client cert rejected/,
    );
  });

  it("a server name the certificate does not carry: name mismatch", async () => {
    await failsWith(target({ ...good(), serverName: "redis.elsewhere.example" }), /name mismatch/);
  });

  it("insecureSkipVerify accepts the unknown CA (tests only)", async () => {
    await checkRedis(target({ certFile: pki.clientCert, keyFile: pki.clientKey, insecureSkipVerify: true }));
  });
});
