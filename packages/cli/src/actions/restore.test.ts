// `shiplog restore` in-process against real git repositories in temp dirs, written the way the
// committer writes them (core's canonicalizer). Applying to a cluster is covered by test/e2e.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createCanonicalizer,
  defaultConfig,
  SecretModes,
  type KubeObject,
  type ResourceType,
  type SecretMode,
} from "@shiplog/core";
import { TestTypes } from "@shiplog/core/testing";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse, parseAllDocuments } from "yaml";
import { ExitCodes, reportOf } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { buildProgram } from "../program.js";
import { SERVER_POPULATED_METADATA } from "../restore/server-fields.js";

const HMAC_KEY = "0123456789abcdef0123456789abcdef";

/** Core's test types, plus two that restoring a namespace meets. */
const TYPES = {
  ...TestTypes,
  namespaces: { group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false },
  deployments: {
    group: "apps",
    version: "v1",
    resource: "deployments",
    kind: "Deployment",
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;
type TypeName = keyof typeof TYPES;

interface Run {
  exitCode: number;
  /** The line main.ts would print as `shiplog: <line>`. */
  line: string | undefined;
  stdout: string;
  stderr: string;
}

/** A scratch repository with a `main` branch, written by core's canonicalizer as the committer does. */
class Repo {
  readonly dir = mkdtempSync(join(tmpdir(), "shiplog-cli-restore-"));
  readonly path = join(this.dir, "repo");
  private recipients: string[] = [];

  constructor() {
    mkdirSync(this.path);
    this.git(["init", "--quiet", "--initial-branch=main"]);
  }

  useRecipient(recipient: string): void {
    this.recipients = [recipient];
  }

  git(args: readonly string[]): string {
    return execFileSync("git", ["-C", this.path, ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "test",
        GIT_AUTHOR_EMAIL: "test@shiplog.local",
        GIT_COMMITTER_NAME: "test",
        GIT_COMMITTER_EMAIL: "test@shiplog.local",
      },
    }).trim();
  }

  /** Writes the objects (and deletes the `paths` of `remove`) in one commit; returns its full id. */
  async commit(
    message: string,
    objects: ReadonlyArray<readonly [TypeName, KubeObject, SecretMode?]>,
    remove: readonly string[] = [],
  ): Promise<string> {
    const cfg = defaultConfig();
    for (const [type, obj, mode] of objects) {
      const c = createCanonicalizer({
        normalize: cfg.normalize,
        secrets: { ...cfg.secrets, mode: mode ?? SecretModes.redact, ageRecipients: this.recipients },
        hmacKey: HMAC_KEY,
      });
      const r = await c.canonicalizeAsync(TYPES[type], obj);
      if (r.skipped) throw new Error(`not recorded: ${r.reason}`);
      mkdirSync(dirname(join(this.path, r.path)), { recursive: true });
      writeFileSync(join(this.path, r.path), r.content);
      this.git(["add", "--", r.path]);
    }
    if (remove.length > 0) this.git(["rm", "--quiet", "--", ...remove]);
    this.git(["commit", "--quiet", "--allow-empty", "-m", message]);
    return this.git(["rev-parse", "HEAD"]);
  }

  short(rev: string): string {
    return this.git(["rev-parse", "--short", rev]);
  }

  /** Runs `shiplog restore <args> --repo <this>` in this process, as main.ts does. */
  async restore(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      env: { SHIPLOG_V8_FLAGS: "", ...env },
      cwd: this.dir,
      homeDir: this.dir,
      stdout: { write: (s: string) => ((stdout += s), true) },
      stderr: { write: (s: string) => ((stderr += s), true) },
      onSignal: () => () => undefined,
    };
    try {
      await buildProgram(io).parseAsync(["restore", ...args, "--repo", this.path], { from: "user" });
      return { exitCode: 0, line: undefined, stdout, stderr };
    } catch (err) {
      return { ...(await reportOf(err)), stdout, stderr };
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Metadata as the apiserver returns it, which recorded files partly keep. */
function serverMeta(name: string, namespace: string | undefined, n: number): Record<string, unknown> {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    resourceVersion: String(1000 + n),
    creationTimestamp: "2024-01-01T00:00:00Z",
    generation: 2,
    managedFields: [{ manager: "kubectl", operation: "Apply", apiVersion: "v1" }],
  };
}

function configMap(name: string, ns: string, data: Record<string, string>, n = 1): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: serverMeta(name, ns, n), data };
}

function assertNoServerMetadata(doc: unknown, what: string): void {
  const meta = (doc as { metadata?: Record<string, unknown> }).metadata ?? {};
  for (const f of SERVER_POPULATED_METADATA) assert.equal(Object.hasOwn(meta, f), false, `${what}: ${f}`);
}

const TRICKY = {
  a: "yes",
  b: "on",
  c: "2024-01-01",
  d: "no",
  e: "off",
  f: "y",
  g: "n",
  h: "true",
  i: "~",
  j: "null",
  k: "0x1F",
  l: "1e3",
  m: "012",
  n: ".5",
  o: "1_000",
  p: ":colon",
  q: "1:20",
  r: "<<",
  yes: "key too",
  on: "key too",
  multi: "first line\n  second: yes\n\nlast\n",
};
const BINARY = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]).toString("base64");

describe("shiplog restore <type/name>", () => {
  const repo = new Repo();
  let first = "";
  let second = "";
  let deletion = "";

  before(async () => {
    first = await repo.commit("first", [["configmaps", configMap("x", "team-a", { a: "old" })]]);
    const cm = configMap("x", "team-a", TRICKY, 2);
    (cm as Record<string, unknown>)["binaryData"] = { blob: BINARY };
    second = await repo.commit("second", [
      ["configmaps", cm],
      ["configmaps", configMap("doomed", "team-a", { v: "yes" }, 3)],
      [
        "secrets",
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: serverMeta("db", "team-a", 4),
          data: { p: "aHVudGVyMg==" },
        },
      ],
    ]);
    deletion = await repo.commit("delete doomed", [], ["team-a/configmaps/doomed.yaml"]);
    // The checkout is on another branch: restore reads the configured branch, not HEAD.
    repo.git(["symbolic-ref", "HEAD", "refs/heads/elsewhere"]);
  });

  after(() => repo.remove());

  it("reads the branch head without --from, quoting so that a YAML 1.1 reader gets the same strings", async () => {
    const r = await repo.restore(["configmap/x", "-n", "team-a"]);
    assert.equal(r.exitCode, 0, r.line);
    assert.equal(r.stderr, "");
    const doc = parse(r.stdout, { version: "1.1" }) as { data: unknown; binaryData: unknown };
    assert.deepEqual(doc.data, TRICKY, r.stdout);
    assert.deepEqual(doc.binaryData, { blob: BINARY });
    assert.deepEqual(parse(r.stdout, { version: "1.2" }), doc);
    assertNoServerMetadata(doc, "configmap/x");
    assert.match(r.stdout, /^ {2}a: "yes"$/m);
    assert.match(r.stdout, /^ {2}"on": key too$/m);
  });

  it("reads an older revision with --from", async () => {
    for (const from of [first, "main~2"]) {
      const r = await repo.restore(["cm/x", "-n", "team-a", "--from", from]);
      assert.equal(r.exitCode, 0, r.line);
      const doc = parse(r.stdout, { version: "1.1" }) as { data: unknown; metadata: unknown };
      assert.deepEqual(doc.data, { a: "old" });
      assert.deepEqual(doc.metadata, { name: "x", namespace: "team-a" });
    }
    const bad = await repo.restore(["cm/x", "-n", "team-a", "--from", "no-such-rev"]);
    assert.equal(bad.exitCode, ExitCodes.config);
    assert.match(bad.line ?? "", /no-such-rev/);
  });

  it("restores a deleted object as it was before the commit that deleted it, and says so", async () => {
    const r = await repo.restore(["configmap/doomed", "-n", "team-a"]);
    assert.equal(r.exitCode, 0, r.line);
    const doc = parse(r.stdout, { version: "1.1" }) as { data: unknown };
    assert.deepEqual(doc.data, { v: "yes" });
    assertNoServerMetadata(doc, "configmap/doomed");
    assert.equal(
      r.stderr,
      `shiplog: configmap/doomed does not exist at main: it was deleted in ${repo.short(deletion)} (${repo.git(["log", "-1", "--format=%cI", deletion])}); using its last recorded state, from ${repo.short(second)}\n`,
    );
    // At a revision where it existed there is no note; before it was recorded, there is nothing.
    const live = await repo.restore(["configmap/doomed", "-n", "team-a", "--from", second]);
    assert.equal(live.exitCode, 0, live.line);
    assert.equal(live.stderr, "");
    assert.equal(live.stdout, r.stdout);
    const early = await repo.restore(["configmap/doomed", "-n", "team-a", "--from", first]);
    assert.equal(early.exitCode, ExitCodes.failure);
    assert.match(early.line ?? "", /was never recorded/);
  });

  it("still refuses a redacted Secret", async () => {
    const r = await repo.restore(["secret/db", "-n", "team-a"]);
    assert.equal(r.exitCode, ExitCodes.failure);
    assert.match(r.line ?? "", /^secret\/db was recorded redacted .*cannot be restored/);
    assert.equal(r.stdout, "");
  });
});

describe("shiplog restore -n <namespace>", () => {
  const repo = new Repo();
  let identityFile = "";
  let before1 = "";
  const secretValue = Buffer.from("s3cret-value").toString("base64");

  before(async () => {
    const id = await generateIdentity();
    identityFile = join(repo.dir, "age.txt");
    writeFileSync(identityFile, `# test key\n${id}\n`);
    repo.useRecipient(await identityToRecipient(id));
    const deploy = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: serverMeta("web", "team-a", 10),
      spec: { replicas: 2, template: { metadata: { labels: { app: "on" } } } },
    } as KubeObject;
    before1 = await repo.commit("team-a at its best", [
      ["namespaces", { apiVersion: "v1", kind: "Namespace", metadata: serverMeta("team-a", undefined, 11) }],
      ["configmaps", configMap("x", "team-a", { a: "yes", b: "on", c: "2024-01-01" }, 12)],
      ["configmaps", configMap("gone", "team-a", { v: "1" }, 13)],
      ["deployments", deploy],
      [
        "secrets",
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: serverMeta("enc", "team-a", 14),
          data: { p: secretValue },
        },
        SecretModes.encrypt,
      ],
      [
        "secrets",
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: serverMeta("red", "team-a", 15),
          data: { p: secretValue },
        },
        SecretModes.redact,
      ],
      ["configmaps", configMap("other", "team-b", { v: "1" }, 16)],
      ["configmaps", configMap("team-a", "team-b", { v: "same name as the namespace" }, 17)],
    ]);
    await repo.commit(
      "the bad deploy",
      [
        ["configmaps", configMap("x", "team-a", { a: "broken" }, 12)],
        ["configmaps", configMap("later", "team-a", { v: "2" }, 18)],
      ],
      ["team-a/configmaps/gone.yaml"],
    );
  });

  after(() => repo.remove());

  it("prints every object of the namespace at the revision as one stream, the Namespace first", async () => {
    const r = await repo.restore(["-n", "team-a", "--from", before1], { SOPS_AGE_KEY_FILE: identityFile });
    assert.equal(r.exitCode, 0, r.line);
    const docs = parseAllDocuments(r.stdout, { version: "1.1" });
    assert.ok(Array.isArray(docs));
    const objs = docs.map((d) => d.toJSON() as { kind: string; metadata: { name: string }; data?: unknown });
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`),
      ["Namespace/team-a", "ConfigMap/gone", "ConfigMap/x", "Deployment/web", "Secret/enc"],
    );
    for (const o of objs) assertNoServerMetadata(o, `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(objs[2]?.data, { a: "yes", b: "on", c: "2024-01-01" });
    assert.deepEqual(objs[4]?.data, { p: secretValue }, "decrypted with the identity");
    assert.doesNotMatch(r.stdout, /sops|ENC\[|shiplog\.dev\/fingerprints/);
    assert.match(r.stderr, /^shiplog: skipped: secrets\/red was recorded redacted .*cannot be restored/m);
    assert.match(
      r.stderr,
      /^shiplog: printed 5 objects of namespace team-a as at [0-9a-f]{40} \(1 skipped\); nothing was applied/m,
    );
  });

  it("reads the branch head without --from: later objects in, deleted ones out", async () => {
    const r = await repo.restore(["-n", "team-a", "--age-identity", identityFile]);
    assert.equal(r.exitCode, 0, r.line);
    const names = (parseAllDocuments(r.stdout, { version: "1.1" }) as Array<{ toJSON(): unknown }>).map(
      (d) => (d.toJSON() as { metadata: { name: string } }).metadata.name,
    );
    assert.deepEqual(names, ["team-a", "later", "x", "web", "enc"]);
  });

  it("prints nothing when an encrypted Secret cannot be decrypted", async () => {
    const r = await repo.restore(["-n", "team-a", "--from", before1]);
    assert.equal(r.exitCode, ExitCodes.config);
    assert.match(r.line ?? "", /^secrets\/enc is encrypted \(sops\/age\); pass --age-identity FILE/);
    assert.equal(r.stdout, "");
  });

  it("asks for <type/name> or -n, and says when a namespace has nothing recorded", async () => {
    const none = await repo.restore([]);
    assert.equal(none.exitCode, ExitCodes.config);
    assert.match(none.line ?? "", /expected <type\/name>, or -n <namespace>/);
    const empty = await repo.restore(["-n", "team-z"]);
    assert.equal(empty.exitCode, ExitCodes.failure);
    assert.match(empty.line ?? "", /no object of namespace team-z is recorded at main/);
  });
});
