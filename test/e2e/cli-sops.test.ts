// Compatibility of `shiplog restore` with the real sops binary: a Secret encrypted by `sops --encrypt
// --age` (not by shiplog) and committed at the object's path is decrypted by restore in TypeScript,
// and `sops --decrypt` reads what shiplog's encrypt mode wrote (snapshot) -- both directions.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import {
  ageKeygen,
  binary,
  run,
  runOk,
  sharedControlPlane,
  testRedis,
  uniquePrefix,
  type ControlPlane,
  type TestRedis,
} from "../harness/index.js";
import { fileAt, git, oneLineError, sandbox, shiplog } from "./cli-support.js";

const VALUE = "sops-compat-value-5e1d";
const b64 = Buffer.from(VALUE, "utf8").toString("base64");

let cp: ControlPlane;
let redis: TestRedis;

before(async () => {
  cp = await sharedControlPlane();
  redis = await testRedis();
});

after(async () => {
  await redis.stop();
});

describe("restore and the sops binary", () => {
  it("decrypts a file written by sops --encrypt --age, and refuses it after tampering", async () => {
    const sops = await binary("sops");
    const key = await ageKeygen();
    const sb = sandbox("sops-in", redis.url, cp.kubeconfigPath);
    const plain = join(sb.dir, "secret.yaml");
    writeFileSync(
      plain,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\ndata:\n  password: ${b64}\n  user: YWRtaW4=\n`,
    );
    const enc = await runOk(sops, [
      "--encrypt",
      "--age",
      key.recipient,
      "--encrypted-regex",
      "^(data|stringData)$",
      "--input-type",
      "yaml",
      "--output-type",
      "yaml",
      plain,
    ]);
    assert.doesNotMatch(enc.stdout, new RegExp(b64));
    mkdirSync(join(sb.repo, "prod", "secrets"), { recursive: true });
    await runOk("git", ["init", "-q", "-b", "main", sb.repo]);
    writeFileSync(join(sb.repo, "prod", "secrets", "db.yaml"), enc.stdout);
    await runOk("git", ["-C", sb.repo, "add", "."]);
    await runOk("git", ["-C", sb.repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "sops"]);

    const r = await shiplog(sb, [
      "restore",
      "secret/db",
      "-n",
      "prod",
      "--from",
      "main",
      "--age-identity",
      key.identityFile,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(r.stdout) as { data: Record<string, string>; sops?: unknown };
    assert.deepEqual(doc.data, { password: b64, user: "YWRtaW4=" });
    assert.equal(doc.sops, undefined);

    // Both MAC variants: over every value (the default) and over encrypted values only (sops >= 3.9).
    for (const extra of [["--mac-only-encrypted"], []]) {
      const variant = await runOk(sops, [
        "--encrypt",
        ...extra,
        "--age",
        key.recipient,
        "--encrypted-regex",
        "^(data|stringData)$",
        "--input-type",
        "yaml",
        "--output-type",
        "yaml",
        plain,
      ]);
      const vb = join(sb.dir, "variant");
      mkdirSync(join(vb, "prod", "secrets"), { recursive: true });
      await runOk("git", ["init", "-q", "-b", "main", vb]);
      writeFileSync(join(vb, "prod", "secrets", "db.yaml"), variant.stdout);
      await runOk("git", ["-C", vb, "add", "."]);
      await runOk("git", ["-C", vb, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "sops"]);
      const v = await shiplog(sb, [
        "restore",
        "secret/db",
        "-n",
        "prod",
        "--from",
        "main",
        "--repo",
        vb,
        "--age-identity",
        key.identityFile,
      ]);
      assert.equal(v.code, 0, `${extra.join(" ")}: ${v.stderr}`);
      assert.deepEqual((parse(v.stdout) as { data: Record<string, string> }).data, {
        password: b64,
        user: "YWRtaW4=",
      });
    }
    const tampered = enc.stdout.replace(
      /(password: ENC\[AES256_GCM,data:)(.)/,
      (_, p: string, c: string) => `${p}${c === "A" ? "B" : "A"}`,
    );
    writeFileSync(join(sb.repo, "prod", "secrets", "db.yaml"), tampered);
    await runOk("git", [
      "-C",
      sb.repo,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@t",
      "commit",
      "-qam",
      "tampered",
    ]);
    const bad = await shiplog(sb, [
      "restore",
      "secret/db",
      "-n",
      "prod",
      "--from",
      "main",
      "--age-identity",
      key.identityFile,
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(oneLineError(bad), /cannot decrypt secret\/db: data\.password: authentication failed/);
  });

  it("sops --decrypt reads the Secret shiplog snapshot wrote in encrypt mode", async () => {
    const sops = await binary("sops");
    const key = await ageKeygen();
    const ns = uniquePrefix("cli-sops");
    await cp.kubectl(["create", "namespace", ns]);
    try {
      await cp.kubectl(["-n", ns, "create", "secret", "generic", "s1", `--from-literal=password=${VALUE}`]);
      const sb = sandbox("sops-out", redis.url, cp.kubeconfigPath);
      const snap = await shiplog(sb, ["snapshot", "-n", ns], {
        SHIPLOG_SECRETS_MODE: "encrypt",
        SHIPLOG_AGE_RECIPIENTS: key.recipient,
      });
      assert.equal(snap.code, 0, snap.stderr);
      const stored = (await fileAt(sb.repo, `${ns}/secrets/s1.yaml`)) ?? "";
      const file = join(sb.dir, "s1.yaml");
      writeFileSync(file, stored);
      const dec = await run(sops, ["--decrypt", "--input-type", "yaml", "--output-type", "yaml", file], {
        env: { SOPS_AGE_KEY_FILE: key.identityFile },
      });
      assert.equal(dec.code, 0, dec.stderr);
      assert.equal((parse(dec.stdout) as { data: Record<string, string> }).data["password"], b64);
      assert.equal((await git(sb.repo, ["grep", "-c", b64, "main"])).code, 1, "no plaintext in the repo");
    } finally {
      await cp.kubectl(["delete", "namespace", ns, "--wait=false"]);
    }
  });
});
