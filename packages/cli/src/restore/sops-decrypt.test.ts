import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCanonicalizer, defaultConfig, SecretModes, type ResourceType } from "@shiplog/core";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse } from "yaml";
import { decryptSopsDocument, isSopsDocument } from "./sops-decrypt.js";
import { SopsDecryptError } from "./sops-error.js";
import { protectionOf, stripShiplogMetadata, unrestorableReason } from "./protection.js";
import { TestTypes } from "@shiplog/core/testing";

const SECRETS: ResourceType = TestTypes.secrets;

async function encrypted(data: Record<string, string>, recipients: string[]): Promise<unknown> {
  const cfg = defaultConfig();
  const c = createCanonicalizer({
    normalize: cfg.normalize,
    secrets: { ...cfg.secrets, mode: SecretModes.encrypt, ageRecipients: recipients },
    hmacKey: "0123456789abcdef0123456789abcdef",
  });
  const r = await c.canonicalizeAsync(SECRETS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "prod", labels: { app: "db" } },
    type: "Opaque",
    data,
  });
  assert.equal(r.skipped, false);
  if (r.skipped) throw new Error("unreachable");
  return parse(r.content);
}

describe("decryptSopsDocument (documents written by core's encrypt mode)", () => {
  it("decrypts every value with the right identity and verifies the MAC", async () => {
    const id = await generateIdentity();
    const data = {
      password: Buffer.from("hunter2").toString("base64"),
      user: Buffer.from("admin").toString("base64"),
    };
    const doc = await encrypted(data, [await identityToRecipient(id)]);
    assert.ok(isSopsDocument(doc));
    assert.equal(protectionOf(doc), SecretModes.encrypt);
    assert.doesNotMatch(JSON.stringify(doc), /aHVudGVyMg|hunter2/);
    const plain = stripShiplogMetadata(await decryptSopsDocument(doc, [id]));
    assert.deepEqual(plain["data"], data);
    assert.equal(plain["sops"], undefined);
    assert.equal(JSON.stringify(plain).includes("shiplog.dev/fingerprints"), false);
    assert.deepEqual((plain["metadata"] as Record<string, unknown>)["labels"], { app: "db" });
  });

  it("works with the second of two recipients", async () => {
    const a = await generateIdentity();
    const b = await generateIdentity();
    const doc = await encrypted({ k: "dmFsdWU=" }, [
      await identityToRecipient(a),
      await identityToRecipient(b),
    ]);
    const plain = await decryptSopsDocument(doc, [b]);
    assert.deepEqual(plain["data"], { k: "dmFsdWU=" });
  });

  it("refuses a wrong identity with a message naming the recipients", async () => {
    const right = await generateIdentity();
    const wrong = await generateIdentity();
    const recipient = await identityToRecipient(right);
    const doc = await encrypted({ k: "dmFsdWU=" }, [recipient]);
    await assert.rejects(decryptSopsDocument(doc, [wrong]), (err: unknown) => {
      assert.ok(err instanceof SopsDecryptError);
      assert.match(err.message, new RegExp(recipient));
      return true;
    });
  });

  it("refuses a tampered value (GCM authentication) and a swapped value (additional data)", async () => {
    const id = await generateIdentity();
    const doc = (await encrypted({ a: "YQ==", b: "Yg==" }, [await identityToRecipient(id)])) as {
      data: Record<string, string>;
    };
    const swapped = structuredClone(doc);
    swapped.data["a"] = doc.data["b"] as string;
    await assert.rejects(decryptSopsDocument(swapped, [id]), /data\.a: authentication failed/);
    const flipped = structuredClone(doc);
    flipped.data["a"] = (doc.data["a"] as string).replace(
      /data:(.)/,
      (_, c: string) => `data:${c === "A" ? "B" : "A"}`,
    );
    await assert.rejects(decryptSopsDocument(flipped, [id]), SopsDecryptError);
  });

  it("refuses a document whose MAC does not match (a value removed)", async () => {
    const id = await generateIdentity();
    const doc = (await encrypted({ a: "YQ==", b: "Yg==" }, [await identityToRecipient(id)])) as {
      data: Record<string, string>;
    };
    delete doc.data["b"];
    await assert.rejects(decryptSopsDocument(doc, [id]), /MAC mismatch/);
  });

  it("rejects non-sops input and an empty identity list", async () => {
    await assert.rejects(decryptSopsDocument({ kind: "Secret" }, []), /not a sops document/);
    const id = await generateIdentity();
    const doc = await encrypted({ a: "YQ==" }, [await identityToRecipient(id)]);
    await assert.rejects(decryptSopsDocument(doc, []), /no age identity/);
  });
});

describe("protectionOf", () => {
  it("recognises redact-mode fingerprints and omit-mode values written by core", async () => {
    const cfg = defaultConfig();
    const obj = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", namespace: "prod" },
      type: "Opaque",
      data: { password: "aHVudGVyMg==" },
    };
    const redact = createCanonicalizer({
      normalize: cfg.normalize,
      secrets: cfg.secrets,
      hmacKey: "0123456789abcdef0123",
    });
    const r = await redact.canonicalizeAsync(SECRETS, obj);
    if (r.skipped) throw new Error("skipped");
    assert.equal(protectionOf(parse(r.content)), SecretModes.redact);
    const omit = createCanonicalizer({
      normalize: cfg.normalize,
      secrets: { ...cfg.secrets, mode: SecretModes.omit },
    });
    const o = await omit.canonicalizeAsync(SECRETS, obj);
    if (o.skipped) throw new Error("skipped");
    assert.equal(protectionOf(parse(o.content)), SecretModes.omit);
  });

  it("refuses the modes the registry calls unrestorable, and suggests a restorable one", () => {
    assert.match(
      unrestorableReason("secret/db", SecretModes.redact) ?? "",
      /^secret\/db was recorded redacted .*cannot be restored.*secrets\.mode=encrypt$/,
    );
    assert.match(unrestorableReason("secret/db", SecretModes.omit) ?? "", /omitted.*cannot be restored/);
    assert.equal(unrestorableReason("secret/db", SecretModes.encrypt), undefined);
  });

  it("calls ordinary objects unprotected", () => {
    assert.equal(protectionOf({ kind: "ConfigMap", data: { a: "b" } }), undefined);
    assert.equal(protectionOf({ kind: "Secret", data: { a: "YQ==" } }), undefined);
  });
});
