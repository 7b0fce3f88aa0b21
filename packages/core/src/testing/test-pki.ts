/**
 * Test support: certificates made with the openssl CLI (P-256 keys, valid for two days) in a directory
 * the caller owns. The packages' own test helpers put together the CAs and leaves each suite needs.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/**
 * A random serial per certificate. `-CAcreateserial` keeps the CA's next serial in a file, which
 * leaves signed concurrently read while another writes it: "Unable to load number".
 */
const serial = (): string => `0x${randomBytes(12).toString("hex")}`;
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Paths of a PEM certificate and its unencrypted key. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** Extensions of a client certificate. */
export const CLIENT_EXTENSIONS: readonly string[] = [
  "extendedKeyUsage=clientAuth",
  "keyUsage=critical,digitalSignature",
];

async function openssl(args: string[]): Promise<void> {
  await run("openssl", args, { timeout: 30_000 });
}

/** A self-signed CA named `name` (`<dir>/<name>.crt` and `.key`). */
export async function newTestCa(dir: string, name: string): Promise<CertFiles> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    "req", "-x509", "-new", "-nodes", ...EC, "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]); // prettier-ignore
  return { cert, key };
}

/** A certificate with CN `name` and the given X.509v3 `extensions` (config lines), signed by `ca`. */
export async function newTestLeaf(
  dir: string,
  ca: CertFiles,
  name: string,
  extensions: readonly string[],
): Promise<CertFiles> {
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
