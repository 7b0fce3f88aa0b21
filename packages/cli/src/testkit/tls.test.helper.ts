/**
 * Test-only: certificates made with the openssl CLI in a temporary directory, for a TLS redis-server:
 * a CA, a server certificate for 127.0.0.1 and localhost (also usable as the server's own client
 * certificate, as Redis replication and Sentinel want), a client certificate from that CA, and a second
 * CA that signed nothing the server trusts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLIENT_EXTENSIONS, newTestCa, newTestLeaf } from "@shiplog/core/testing";

export interface RedisTestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed neither certificate above. */
  readonly otherCaCert: string;
  /** A client certificate signed by the other CA, which the server must refuse. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createRedisTestPki(): Promise<RedisTestPki> {
  const dir = await mkdtemp(join(tmpdir(), "shiplog-cli-pki-"));
  const [ca, other] = await Promise.all([newTestCa(dir, "redis-test-ca"), newTestCa(dir, "other-ca")]);
  const [server, client, stranger] = await Promise.all([
    newTestLeaf(dir, ca, "redis-server", [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "extendedKeyUsage=serverAuth,clientAuth",
      "keyUsage=critical,digitalSignature",
    ]),
    newTestLeaf(dir, ca, "shiplog-client", CLIENT_EXTENSIONS),
    newTestLeaf(dir, other, "stranger-client", CLIENT_EXTENSIONS),
  ]);
  return {
    dir,
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: other.cert,
    strangerCert: stranger.cert,
    strangerKey: stranger.key,
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
