import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RemoteOptions } from "./pusher.js";
import { gitHead, tempDir, waitFor } from "./testing/fixtures.js";
import type { MemoryLogger } from "./testing/fixtures.js";
import { httpBackendPath, startHttpsGitServer } from "./testing/https-git-server.js";
import type { HttpsGitServer } from "./testing/https-git-server.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter, startTestCommitter } from "./testing/start.js";

const prefix = prefixesDroppedAfter();
const TOKEN = "tok-3f9a1c7e5b2d4a6f8e0c";

/** Everything a logger got, errors with their whole cause chain, as one string. */
function logged(logger: MemoryLogger): string {
  const seen = new Set<unknown>();
  const text = (v: unknown): string => {
    if (v === null || typeof v !== "object" || seen.has(v)) return String(v);
    seen.add(v);
    if (v instanceof Error) return `${v.name}: ${v.message} ${v.stack ?? ""} ${text(v.cause)}`;
    return Object.entries(v)
      .map(([k, x]) => `${k}=${text(x)}`)
      .join(" ");
  };
  return logger.lines.map((l) => `${l.level} ${l.msg ?? ""} ${text(l.obj)}`).join("\n");
}

describe(
  "push over HTTPS to git http-backend behind TLS on loopback",
  { skip: existsSync(httpBackendPath) ? false : `${httpBackendPath} not installed (apt package git)` },
  () => {
    const dir = tempDir("https");
    const root = join(dir.path, "served");
    let server: HttpsGitServer | undefined;

    before(async () => {
      mkdirSync(root);
      const certs = join(dir.path, "certs");
      mkdirSync(certs);
      server = await startHttpsGitServer(root, certs, { user: "x-access-token", token: TOKEN });
    });

    after(async () => {
      await server?.[Symbol.asyncDispose]();
      dir[Symbol.dispose]();
    });

    /** A fresh bare repository served as `<origin>/<name>.git`, and remote options for it. */
    const served = (
      name: string,
      extra: Partial<RemoteOptions> = {},
    ): { path: string; remote: RemoteOptions } => {
      const path = join(root, `${name}.git`);
      execFileSync("git", ["init", "--bare", "-q", "-b", "main", path]);
      return {
        path,
        remote: {
          url: `${server?.origin ?? ""}/${name}.git`,
          token: TOKEN,
          pushIntervalMs: 50,
          retryBaseMs: 200,
          retryMaxMs: 400,
          ...extra,
        },
      };
    };

    it("refuses a certificate the system does not trust, without leaking the token", async () => {
      const { path, remote } = served("untrusted");
      await using t = await startTestCommitter(
        join(dir.path, "local-untrusted.git"),
        prefix("https-untrusted"),
        {
          remote,
        },
      );
      await t.producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("push refused", () => (t.committer.status().push?.failures ?? 0) >= 2);
      const status = t.committer.status().push;
      assert.match(status?.lastError ?? "", /certificate|SSL|TLS/i);
      assert.equal(gitHead(path), undefined);
      assert.ok(!JSON.stringify(status).includes(TOKEN));
      assert.ok(!logged(t.logger).includes(TOKEN));
      assert.deepEqual(
        server?.requests.filter((r) => r.path.startsWith("/untrusted")),
        [],
        "no request got through",
      );
    });

    it("pushes with the token when the CA is configured", async () => {
      const { path, remote } = served("trusted", { caFile: server?.caFile ?? "" });
      const local = join(dir.path, "local-trusted.git");
      await using t = await startTestCommitter(local, prefix("https-trusted"), { remote });
      await t.producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor(
        "pushed over https",
        () => gitHead(path) !== undefined && gitHead(path) === gitHead(local),
        30000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; push status ${JSON.stringify(t.committer.status().push)}`);
      });
      assert.ok(server?.requests.some((r) => r.path.startsWith("/trusted") && r.authorized));
      assert.ok(!logged(t.logger).includes(TOKEN));
    });

    it("a rejected token fails the push and appears in no error, log or status", async () => {
      const wrong = "wrong-7c1e9d3b5a";
      const { path, remote } = served("wrong-token", { caFile: server?.caFile ?? "", token: wrong });
      await using t = await startTestCommitter(join(dir.path, "local-wrong.git"), prefix("https-wrong"), {
        remote,
      });
      await t.producer.send(configMap("ns", "a", { v: "1" }, { op: "added", manager: "helm" }));
      await waitFor("push refused", () => (t.committer.status().push?.failures ?? 0) >= 2);
      const status = t.committer.status().push;
      assert.match(status?.lastError ?? "", /Authentication failed|401/i);
      assert.equal(gitHead(path), undefined);
      for (const secret of [wrong, TOKEN]) {
        assert.ok(!JSON.stringify(status).includes(secret));
        assert.ok(!logged(t.logger).includes(secret));
      }
    });
  },
);
