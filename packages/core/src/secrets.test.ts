import assert from "node:assert/strict";
import { createDecipheriv, createHash } from "node:crypto";
import { describe, it } from "node:test";
import { armor, Decrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import fc from "fast-check";
import { createCanonicalizer, type CanonicalResult } from "./canonical.js";
import { defaultConfig, type SecretMode, type SecretsConfig } from "./config.js";
import { FINGERPRINT_PREFIX, OMITTED_VALUE } from "./fingerprint.js";
import type { KubeObject, ResourceType } from "./resource.js";
import { MAC_ONLY_ENCRYPTED_INIT } from "./sops.js";
import { diffView, sameContent, summarizeChange, unifiedDiff } from "./summary.js";
import { fromYaml, toYaml } from "./canonical-yaml.js";
import { TestTypes } from "./testing/index.js";

const KEY = "operator-fingerprint-key-for-tests";
const secretType: ResourceType = TestTypes.secrets;
const widgets: ResourceType = TestTypes.widgets;

const identity = await generateX25519Identity();
const recipient = await identityToRecipient(identity);

function secretsConfig(mode: SecretMode): SecretsConfig {
  return {
    ...defaultConfig().secrets,
    mode,
    ageRecipients: mode === "encrypt" ? [recipient] : [],
    sensitiveFields: [{ type: "widgets.example.com", pointers: ["/spec/password", "/spec/tokens/*/value"] }],
  };
}

function canon(mode: SecretMode, now = () => new Date("2026-01-02T03:04:05.678Z")) {
  return createCanonicalizer({
    normalize: defaultConfig().normalize,
    secrets: secretsConfig(mode),
    hmacKey: KEY,
    now,
  });
}

function ok(r: CanonicalResult): Extract<CanonicalResult, { skipped: false }> {
  if (r.skipped) assert.fail(`skipped: ${r.reason}`);
  return r;
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** Every form a leaked value could take in text. */
function forms(v: string): string[] {
  const out = [v, b64(v), Buffer.from(v, "utf8").toString("base64url"), JSON.stringify(v).slice(1, -1)];
  // base64 of the value at any offset inside a longer base64 stream still shares these cores.
  if (v.length >= 6) out.push(b64(v).slice(4, -4));
  return out.filter((f) => f.length >= 6);
}

function secretWith(values: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) data[k] = b64(v);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "db",
      namespace: "prod",
      resourceVersion: "1",
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ data, stringData: values }),
      },
      managedFields: [{ manager: "kubectl", time: "2024-01-01T00:00:00Z", operation: "Update" }],
    },
    type: "Opaque",
    data,
    stringData: values,
    ...extra,
  };
}

const secretValue = fc
  .string({ minLength: 8, maxLength: 40, unit: "grapheme" })
  .filter((s) => s.trim().length >= 8);

describe("secret protection: scanning for leaks", () => {
  for (const mode of ["redact", "encrypt", "omit"] as const) {
    it(`${mode}: no random value or its base64 appears in any output`, async () => {
      const c = canon(mode);
      await fc.assert(
        fc.asyncProperty(
          fc.array(secretValue, { minLength: 1, maxLength: 4 }),
          fc.array(secretValue, { minLength: 2, maxLength: 2 }),
          async (vals, widgetVals) => {
            const values: Record<string, string> = {};
            vals.forEach((v, i) => (values[`key${i}`] = v));
            const prev = ok(await c.canonicalizeAsync(secretType, secretWith(values)));
            const changed = { ...values, key0: `${vals[0] ?? ""}-changed` };
            const next = ok(await c.canonicalizeAsync(secretType, secretWith(changed)));
            const widget = ok(
              await c.canonicalizeAsync(widgets, {
                metadata: {
                  name: "w",
                  namespace: "prod",
                  annotations: {
                    "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
                      spec: { password: widgetVals[0] },
                    }),
                  },
                },
                spec: { password: widgetVals[0], tokens: [{ name: "t", value: widgetVals[1] }], size: 3 },
              }),
            );
            assert.equal(widget.sensitive, true);
            const s = summarizeChange(prev.content, next.content);
            const outputs = [
              prev.content,
              next.content,
              prev.contentHash,
              JSON.stringify(prev.labels ?? {}),
              widget.content,
              diffView(prev.content),
              diffView(next.content),
              s.summary,
              JSON.stringify(s.patch),
              unifiedDiff(prev.content, next.content, prev.path),
              summarizeChange(undefined, widget.content).summary,
              JSON.stringify(summarizeChange(undefined, widget.content).patch),
            ].join("\n");
            for (const v of [...vals, ...widgetVals, `${vals[0] ?? ""}-changed`]) {
              for (const f of forms(v))
                assert.ok(!outputs.includes(f), `${mode}: leaked ${JSON.stringify(f)}`);
            }
          },
        ),
        { numRuns: mode === "encrypt" ? 40 : 150 },
      );
    });
  }
});

describe("secret protection: redact", () => {
  it("fingerprints data and stringData alike, bound to namespace/name/key", () => {
    const c = canon("redact");
    const r = ok(
      c.canonicalize(secretType, secretWith({ password: "hunter2hunter2", other: "hunter2hunter2" })),
    );
    const doc = fromYaml(r.content) as {
      data: Record<string, string>;
      stringData: Record<string, string>;
      metadata: { annotations?: unknown };
    };
    assert.equal(r.sensitive, true);
    assert.equal(doc.data["password"], doc.stringData["password"]);
    assert.notEqual(doc.data["password"], doc.data["other"], "key is bound");
    assert.match(doc.data["password"] ?? "", /^shiplog:hmac-sha256:[0-9a-f]{32}$/);
    assert.equal(doc.metadata.annotations, undefined, "last-applied is stripped");
    // Bound to name and namespace too.
    const other = ok(
      c.canonicalize(secretType, {
        ...secretWith({ password: "hunter2hunter2" }),
        metadata: { name: "db2", namespace: "prod" },
      }),
    );
    assert.notEqual((fromYaml(other.content) as typeof doc).data["password"], doc.data["password"]);
    // A different operator key gives unrelated fingerprints.
    const c2 = createCanonicalizer({
      normalize: defaultConfig().normalize,
      secrets: secretsConfig("redact"),
      hmacKey: "another-key-entirely-0000",
    });
    const r2 = ok(
      c2.canonicalize(secretType, secretWith({ password: "hunter2hunter2", other: "hunter2hunter2" })),
    );
    assert.notEqual((fromYaml(r2.content) as typeof doc).data["password"], doc.data["password"]);
  });

  it("keeps the last-applied annotation out even when a keep rule asks for it", () => {
    const cfg = defaultConfig();
    cfg.normalize.rules = [
      {
        type: "*",
        strip: [],
        keep: ["/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"],
      },
    ];
    const c = createCanonicalizer({
      normalize: cfg.normalize,
      secrets: secretsConfig("redact"),
      hmacKey: KEY,
    });
    const r = ok(c.canonicalize(secretType, secretWith({ password: "hunter2hunter2" })));
    assert.ok(!r.content.includes("last-applied"));
  });

  it("omits service-account-token and Helm release Secrets by default", () => {
    const c = canon("redact");
    for (const type of ["kubernetes.io/service-account-token", "helm.sh/release.v1"]) {
      assert.deepEqual(c.canonicalize(secretType, secretWith({ a: "xxxxxxxxxx" }, { type })), {
        skipped: true,
        reason: "secret-type-omitted",
      });
    }
  });

  it("never copies malformed data through", () => {
    const c = canon("redact");
    const r = ok(
      c.canonicalize(secretType, {
        metadata: { name: "m", namespace: "d" },
        data: "cGxhaW50ZXh0LXNlY3JldA==",
      }),
    );
    assert.ok(!r.content.includes("cGxhaW50ZXh0LXNlY3JldA"));
  });
});

describe("secret protection: omit", () => {
  it("keeps only metadata and key names", () => {
    const r = ok(canon("omit").canonicalize(secretType, secretWith({ password: "hunter2hunter2" })));
    const doc = fromYaml(r.content) as { data: Record<string, string> };
    assert.deepEqual(doc.data, { password: OMITTED_VALUE });
    assert.ok(!r.content.includes(FINGERPRINT_PREFIX));
  });
});

/** Decrypts a shiplog sops document the way sops does, to check the format inside core. */
async function sopsDecrypt(text: string): Promise<unknown> {
  const doc = fromYaml(text) as Record<string, unknown> & {
    sops: {
      age: Array<{ recipient: string; enc: string }>;
      lastmodified: string;
      mac: string;
      mac_only_encrypted: boolean;
      encrypted_regex: string;
    };
  };
  const d = new Decrypter();
  d.addIdentity(identity);
  const first = doc.sops.age[0];
  assert.ok(first);
  const dataKey = await d.decrypt(armor.decode(first.enc));
  assert.equal(dataKey.length, 32);
  const dec = (v: string, aad: string): string => {
    const m = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:str\]$/.exec(v);
    assert.ok(m, v);
    const decipher = createDecipheriv("aes-256-gcm", dataKey, Buffer.from(m[2] ?? "", "base64"));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(Buffer.from(m[3] ?? "", "base64"));
    return Buffer.concat([decipher.update(Buffer.from(m[1] ?? "", "base64")), decipher.final()]).toString(
      "utf8",
    );
  };
  const mac = createHash("sha512").update(MAC_ONLY_ENCRYPTED_INIT);
  const walk = (v: unknown, path: string[], inside: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, path, inside));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v))
        out[k] = walk(
          (v as Record<string, unknown>)[k],
          [...path, k],
          inside || /^(data|stringData)$/.test(k),
        );
      return out;
    }
    if (!inside || v === "") return v;
    const plain = dec(v as string, path.join(":") + ":");
    mac.update(plain, "utf8");
    return plain;
  };
  const { sops, ...rest } = doc;
  // Document order as written (toYaml order) is the order sops hashes in.
  const ordered = fromYaml(toYaml(rest)) as Record<string, unknown>;
  const plain = walk(ordered, [], false);
  assert.equal(dec(sops.mac, sops.lastmodified), mac.digest("hex").toUpperCase(), "MAC");
  assert.equal(sops.lastmodified, "2026-01-02T03:04:05Z");
  assert.equal(sops.mac_only_encrypted, true);
  return plain;
}

describe("secret protection: encrypt (sops + age)", () => {
  it("produces a sops document that decrypts to the Secret, with fingerprints outside the ciphertext", async () => {
    const c = canon("encrypt");
    const values = { password: "correct horse battery staple", "config.yaml": "a: 1\nb: two\n", empty: "" };
    const r = ok(await c.canonicalizeAsync(secretType, secretWith(values)));
    const plain = (await sopsDecrypt(r.content)) as {
      data: Record<string, string>;
      stringData: Record<string, string>;
      metadata: { annotations: Record<string, string> };
    };
    assert.deepEqual(plain.stringData, values);
    for (const [k, v] of Object.entries(values))
      assert.equal(Buffer.from(plain.data[k] ?? "", "base64").toString("utf8"), v);
    assert.ok(plain.metadata.annotations["shiplog.dev/fingerprints"]);
    assert.equal(plain.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"], undefined);
    // The diff view equals the redact-mode file of the same Secret.
    const redacted = ok(canon("redact").canonicalize(secretType, secretWith(values)));
    assert.equal(diffView(r.content), redacted.content);
    assert.equal(r.contentHash, redacted.contentHash);
  });

  it("re-encrypting unchanged plaintext is sameContent and keeps the hash; a change is not", async () => {
    const c = canon("encrypt");
    const a = ok(await c.canonicalizeAsync(secretType, secretWith({ password: "s3cret-value" })));
    const b = ok(await c.canonicalizeAsync(secretType, secretWith({ password: "s3cret-value" })));
    const changed = ok(await c.canonicalizeAsync(secretType, secretWith({ password: "s3cret-value2" })));
    assert.notEqual(a.content, b.content, "fresh ciphertext each time");
    assert.ok(sameContent(a.content, b.content));
    assert.equal(a.contentHash, b.contentHash);
    assert.ok(!sameContent(a.content, changed.content));
    assert.notEqual(a.contentHash, changed.contentHash);
    const s = summarizeChange(a.content, changed.content);
    assert.match(
      s.summary,
      /^data\.password hmac:[0-9a-f]{8}→hmac:[0-9a-f]{8}; stringData\.password hmac:[0-9a-f]{8}→hmac:[0-9a-f]{8}$/,
    );
    assert.equal(summarizeChange(a.content, b.content).patch.length, 0);
  });

  it("encrypts sensitive-looking keys wherever sops' regex would (a label named data)", async () => {
    const c = canon("encrypt");
    const s = secretWith({ password: "s3cret-value" });
    s.metadata = { ...s.metadata, labels: { data: "label-value" } };
    const r = ok(await c.canonicalizeAsync(secretType, s));
    const plain = (await sopsDecrypt(r.content)) as { metadata: { labels: Record<string, string> } };
    assert.equal(plain.metadata.labels["data"], "label-value");
  });
});
