/**
 * Test-only: certificates made with the openssl CLI in a temporary directory, for a TLS redis-server:
 * a CA, a server certificate for 127.0.0.1 and localhost (also usable as the server's own client
 * certificate, as Redis replication and Sentinel want), a client certificate from that CA, and a second
 * CA that signed nothing the server trusts.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/**
 * A random serial per certificate. `-CAcreateserial` keeps the CA's next serial in a file, which
 * leaves signed concurrently (as below) read while another writes it: "Unable to load number".
 */
const serial = (): string => `0x${randomBytes(12).toString("hex")}`;
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

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

async function openssl(args: string[]): Promise<void> {
  await run("openssl", args, { timeout: 30_000 });
}

async function newCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    "req", "-x509", "-new", "-nodes", ...EC, "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]); // prettier-ignore
  return { cert, key };
}

async function signed(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  extensions: string[],
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions.join("\n") + "\n");
  await openssl(["req", "-new", "-nodes", ...EC, "-keyout", key, "-out", csr, "-subj", `/CN=${name}`]);
  await openssl([
    "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", serial(), "-days", "2", "-out", cert,
    "-extfile", ext,
  ]); // prettier-ignore
  return { cert, key };
}

const CLIENT = ["extendedKeyUsage=clientAuth", "keyUsage=critical,digitalSignature"];

export async function createRedisTestPki(): Promise<RedisTestPki> {
  const dir = await mkdtemp(join(tmpdir(), "shiplog-cli-pki-"));
  const [ca, other] = await Promise.all([newCa(dir, "redis-test-ca"), newCa(dir, "other-ca")]);
  const [server, client, stranger] = await Promise.all([
    signed(dir, ca, "redis-server", [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "extendedKeyUsage=serverAuth,clientAuth",
      "keyUsage=critical,digitalSignature",
    ]),
    signed(dir, ca, "shiplog-client", CLIENT),
    signed(dir, other, "stranger-client", CLIENT),
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
