// Compatibility of `shiplog restore` with the real sops binary: a Secret encrypted by `sops --encrypt
// --age` (not by shiplog) and committed at the object's path is decrypted by restore in TypeScript,
// and `sops --decrypt` reads what shiplog's encrypt mode wrote (snapshot) -- both directions.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ageKeygen } from "../harness/index.js";
import { oneLineError, shiplog, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { commitFiles, fileAt, git } from "./support/git.js";
import { sopsDecrypt, sopsEncrypt } from "./support/sops.js";

const VALUE = "sops-compat-value-5e1d";
const b64 = Buffer.from(VALUE, "utf8").toString("base64");
const SECRET_FILE = "prod/secrets/db.yaml";

const cluster = useCluster();

/** `shiplog restore secret/db -n prod --from main` with `identityFile`, plus `extra` flags. */
function restoreDb(sb: Sandbox, identityFile: string, extra: string[] = []) {
  return shiplog(sb, [
    "restore",
    "secret/db",
    "-n",
    "prod",
    "--from",
    "main",
    ...extra,
    "--age-identity",
    identityFile,
  ]);
}

describe("restore and the sops binary", () => {
  it("decrypts a file written by sops --encrypt --age, and refuses it after tampering", async () => {
    const key = await ageKeygen();
    const sb = cluster.sandbox("sops-in");
    const plain = join(sb.dir, "secret.yaml");
    writeFileSync(
      plain,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\ndata:\n  password: ${b64}\n  user: YWRtaW4=\n`,
    );
    const enc = await sopsEncrypt(plain, key.recipient);
    assert.doesNotMatch(enc, new RegExp(b64));
    await commitFiles(sb.repo, { [SECRET_FILE]: enc }, "sops");

    const r = await restoreDb(sb, key.identityFile);
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(r.stdout) as { data: Record<string, string>; sops?: unknown };
    assert.deepEqual(doc.data, { password: b64, user: "YWRtaW4=" });
    assert.equal(doc.sops, undefined);

    // Both MAC variants: over every value (the default) and over encrypted values only (sops >= 3.9).
    for (const extra of [["--mac-only-encrypted"], []]) {
      const vb = join(sb.dir, "variant");
      await commitFiles(vb, { [SECRET_FILE]: await sopsEncrypt(plain, key.recipient, extra) }, "sops");
      const v = await restoreDb(sb, key.identityFile, ["--repo", vb]);
      assert.equal(v.code, 0, `${extra.join(" ")}: ${v.stderr}`);
      assert.deepEqual((parse(v.stdout) as { data: Record<string, string> }).data, {
        password: b64,
        user: "YWRtaW4=",
      });
    }
    const tampered = enc.replace(
      /(password: ENC\[AES256_GCM,data:)(.)/,
      (_, p: string, c: string) => `${p}${c === "A" ? "B" : "A"}`,
    );
    await commitFiles(sb.repo, { [SECRET_FILE]: tampered }, "tampered");
    const bad = await restoreDb(sb, key.identityFile);
    assert.notEqual(bad.code, 0);
    assert.match(oneLineError(bad), /cannot decrypt secret\/db: data\.password: authentication failed/);
  });

  it("sops --decrypt reads the Secret shiplog snapshot wrote in encrypt mode", async () => {
    const key = await ageKeygen();
    await using ns = await cluster.namespace("cli-sops");
    await cluster.createSecret(ns.name, "s1", { password: VALUE });
    const sb = cluster.sandbox("sops-out");
    const snap = await shiplog(sb, ["snapshot", "-n", ns.name], {
      SHIPLOG_SECRETS_MODE: "encrypt",
      SHIPLOG_AGE_RECIPIENTS: key.recipient,
    });
    assert.equal(snap.code, 0, snap.stderr);
    const stored = (await fileAt(sb.repo, `${ns.name}/secrets/s1.yaml`)) ?? "";
    const file = join(sb.dir, "s1.yaml");
    writeFileSync(file, stored);
    const dec = await sopsDecrypt(file, key.identityFile);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal((parse(dec.stdout) as { data: Record<string, string> }).data["password"], b64);
    assert.equal((await git(sb.repo, ["grep", "-c", b64, "main"])).code, 1, "no plaintext in the repo");
  });
});
