// Certificates and keys for a test control plane, made with the openssl CLI: a CA, the apiserver's
// serving certificate (loopback and in-cluster names), client certificates for arbitrary users and
// groups, and the service-account signing key pair.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "./run.js";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

const DAYS = "3650";
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Creates a fresh CA, a serving certificate and a service-account key pair in `dir`. */
export async function createPki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki: Pki = {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    servingCert: join(dir, "apiserver.crt"),
    servingKey: join(dir, "apiserver.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
  };
  await runOk("openssl", [
    "req", "-x509", "-new", "-nodes", ...EC, "-keyout", pki.caKey, "-out", pki.caCert,
    "-days", DAYS, "-subj", "/CN=shiplog-test-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]); // prettier-ignore
  await Promise.all([
    signLeaf(pki, "apiserver", "/CN=shiplog-test-apiserver", [
      "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default," +
        "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local",
      "extendedKeyUsage=serverAuth",
      "keyUsage=critical,digitalSignature,keyEncipherment",
    ]),
    (async () => {
      await runOk("openssl", [
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pki.serviceAccountKey,
      ]); // prettier-ignore
      await runOk("openssl", [
        "pkey",
        "-in",
        pki.serviceAccountKey,
        "-pubout",
        "-out",
        pki.serviceAccountPub,
      ]);
    })(),
  ]);
  return pki;
}

/** A client certificate for `user` in `groups` (CN=user, O=group...), signed by the CA. */
export async function clientCert(
  pki: Pki,
  user: string,
  groups: readonly string[],
): Promise<{ cert: string; key: string }> {
  if (!user) throw new TypeError("clientCert: user must be a non-empty string");
  const base = `user-${randomBytes(4).toString("hex")}`;
  const subject = "/CN=" + escapeRdn(user) + groups.map((g) => "/O=" + escapeRdn(g)).join("");
  await signLeaf(pki, base, subject, ["extendedKeyUsage=clientAuth", "keyUsage=critical,digitalSignature"]);
  return { cert: join(pki.dir, `${base}.crt`), key: join(pki.dir, `${base}.key`) };
}

function escapeRdn(value: string): string {
  return value.replace(/[/\\=+,]/g, (c) => "\\" + c);
}

async function signLeaf(pki: Pki, base: string, subject: string, extensions: string[]): Promise<void> {
  const key = join(pki.dir, `${base}.key`);
  const csr = join(pki.dir, `${base}.csr`);
  const ext = join(pki.dir, `${base}.ext`);
  writeFileSync(ext, extensions.join("\n") + "\n");
  await runOk("openssl", ["req", "-new", "-nodes", ...EC, "-keyout", key, "-out", csr, "-subj", subject]);
  await runOk("openssl", [
    "x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", pki.caKey,
    "-set_serial", "0x" + randomBytes(12).toString("hex"), "-days", DAYS, "-out", join(pki.dir, `${base}.crt`),
    "-extfile", ext,
  ]); // prettier-ignore
}
