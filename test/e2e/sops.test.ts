// Core's encrypt mode against the real binaries: what `createCanonicalizer(...).canonicalizeAsync`
// writes for a Secret must be decrypted by the real `sops --decrypt` (age identity from the real
// age-keygen) back to the original Secret, and real sops must reject it after tampering (MAC).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { diffView, sameContent, type Canonicalizer } from "@shiplog/core";
import { ageKeygen, type AgeKey } from "../harness/index.js";
import { TestTypes } from "@shiplog/core/testing";
import { canonicalizer } from "./support/core.js";
import { sopsDecrypt } from "./support/sops.js";

let dir: string;
let keys: AgeKey[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "shiplog-core-sops-"));
  keys = [await ageKeygen(), await ageKeygen()];
});

after(() => rmSync(dir, { recursive: true, force: true }));

function encrypting(recipients: string[]): Canonicalizer {
  return canonicalizer({ mode: "encrypt", ageRecipients: recipients });
}

const values: Record<string, string> = {
  password: "correct horse battery staple",
  "config.yaml": 'server:\n  port: 8080\n  motd: "héllo 😀"\n',
  yes: "on",
  number: "0123",
  empty: "",
};

function secret(): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) data[k] = Buffer.from(v, "utf8").toString("base64");
  const metadata = {
    name: "db",
    namespace: "prod",
    uid: "0b7c1d2e-1111-2222-3333-444455556666",
    resourceVersion: "42",
    labels: { app: "db", data: "label-named-data" },
    annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ data }) },
    managedFields: [{ manager: "kubectl", operation: "Update", time: "2026-01-01T00:00:00Z" }],
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata,
    type: "Opaque",
    data,
    stringData: { token: "tok-Ω-1234" },
  };
}

async function decrypt(file: string, key: AgeKey): Promise<Record<string, unknown>> {
  const out = await sopsDecrypt(file, key.identityFile);
  assert.equal(out.code, 0, `sops --decrypt ${file}: ${out.stderr}`);
  return parse(out.stdout) as Record<string, unknown>;
}

describe("core encrypt mode with the real sops and age", () => {
  it("sops --decrypt returns the original Secret, with every recipient's identity", async () => {
    const c = encrypting(keys.map((k) => k.recipient));
    const r = await c.canonicalizeAsync(TestTypes.secrets, secret());
    assert.equal(r.skipped, false);
    if (r.skipped) return;
    for (const v of Object.values(values).filter((x) => x.length >= 4)) {
      assert.ok(!r.content.includes(v), "plaintext in the encrypted file");
      assert.ok(
        !r.content.includes(Buffer.from(v).toString("base64")),
        "base64 plaintext in the encrypted file",
      );
    }
    const file = join(dir, "secret.enc.yaml");
    writeFileSync(file, r.content);
    for (const key of keys) {
      const plain = await decrypt(file, key);
      const original = secret();
      assert.deepEqual(plain["data"], original["data"]);
      assert.deepEqual(plain["stringData"], original["stringData"]);
      assert.equal(plain["type"], "Opaque");
      const meta = plain["metadata"] as Record<string, unknown>;
      assert.equal(meta["name"], "db");
      assert.equal(meta["namespace"], "prod");
      assert.deepEqual(meta["labels"], { app: "db", data: "label-named-data" });
      const ann = meta["annotations"] as Record<string, string>;
      assert.equal(ann["kubectl.kubernetes.io/last-applied-configuration"], undefined);
      assert.ok(ann["shiplog.dev/fingerprints"]?.includes("shiplog:hmac-sha256:"));
      assert.equal(plain["sops"], undefined);
    }
  });

  it("real sops rejects a tampered value (the MAC is checked)", async () => {
    const c = encrypting([keys[0]!.recipient]);
    const a = await c.canonicalizeAsync(TestTypes.secrets, secret());
    const other = secret();
    (other["data"] as Record<string, string>)["password"] = Buffer.from("something else").toString("base64");
    const b = await c.canonicalizeAsync(TestTypes.secrets, other);
    assert.ok(!a.skipped && !b.skipped);
    if (a.skipped || b.skipped) return;
    // Swap in a validly encrypted value from another document: GCM fails (other data key).
    const line = (t: string) => t.split("\n").find((l) => l.startsWith("  password: "))!;
    const tampered = a.content.replace(line(a.content), line(b.content));
    assert.notEqual(tampered, a.content);
    const file = join(dir, "tampered.yaml");
    writeFileSync(file, tampered);
    const res = await sopsDecrypt(file, keys[0]!.identityFile);
    assert.notEqual(res.code, 0, "sops accepted a tampered file");
    // Dropping an encrypted value changes the MAC input: sops refuses it.
    const dropped = a.content
      .split("\n")
      .filter((l) => !l.startsWith("  number: "))
      .join("\n");
    writeFileSync(file, dropped);
    const res2 = await sopsDecrypt(file, keys[0]!.identityFile);
    assert.notEqual(res2.code, 0, "sops accepted a file with a value removed");
    assert.match(res2.stderr, /MAC/i);
  });

  it("re-encryption is new ciphertext but the same content; real sops still decrypts both", async () => {
    const c = encrypting([keys[1]!.recipient]);
    const a = await c.canonicalizeAsync(TestTypes.secrets, secret());
    const b = await c.canonicalizeAsync(TestTypes.secrets, secret());
    assert.ok(!a.skipped && !b.skipped);
    if (a.skipped || b.skipped) return;
    assert.notEqual(a.content, b.content);
    assert.ok(sameContent(a.content, b.content));
    assert.equal(a.contentHash, b.contentHash);
    assert.equal(diffView(a.content), diffView(b.content));
    assert.doesNotMatch(diffView(a.content), /ENC\[|sops:/);
    for (const [n, t] of [
      ["a.yaml", a.content],
      ["b.yaml", b.content],
    ] as const) {
      writeFileSync(join(dir, n), t);
      assert.deepEqual((await decrypt(join(dir, n), keys[1]!))["data"], secret()["data"]);
    }
  });
});
