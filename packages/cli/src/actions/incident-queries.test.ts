// `shiplog blame` and `shiplog log` in-process against a real git repository whose commits have the
// authors shiplog writes (a person or a tool per commit): the questions asked during an incident.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ExitCodes, reportOf } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { buildProgram } from "../program.js";
import { gitDate } from "./log.js";

const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-queries-"));
const repo = join(dir, "repo");

function git(args: readonly string[], env: Record<string, string> = {}): string {
  return execFileSync("git", ["-C", repo, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  }).trim();
}

/** One commit by `author` at `date` writing `files` (path -> content, null deletes). */
function commit(author: string, date: string, files: Record<string, string | null>, subject: string): void {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) git(["rm", "--quiet", "--", path]);
    else {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), content);
      git(["add", "--", path]);
    }
  }
  const [name = author, email = `${author}@example.com`] = author.split("|");
  const env = {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: "shiplog",
    GIT_COMMITTER_EMAIL: "shiplog@shiplog.local",
    GIT_COMMITTER_DATE: date,
  };
  git(["commit", "--quiet", "-m", subject], env);
}

async function shiplog(
  args: readonly string[],
): Promise<{ code: number; line?: string; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    env: { SHIPLOG_V8_FLAGS: "" },
    cwd: dir,
    homeDir: dir,
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => ((stderr += s), true) },
    onSignal: () => () => undefined,
  };
  try {
    await buildProgram(io).parseAsync([...args, "--repo", repo], { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const r = await reportOf(err);
    return { code: r.exitCode, ...(r.line !== undefined ? { line: r.line } : {}), stdout, stderr };
  }
}

const cm = (lines: string[]): string =>
  ["apiVersion: v1", "kind: ConfigMap", "data:", ...lines, ""].join("\n");
const now = Date.now();
const ago = (ms: number): string => new Date(now - ms).toISOString();

before(() => {
  mkdirSync(repo);
  git(["init", "--quiet", "--initial-branch=main"]);
  commit(
    "alice",
    ago(3 * 3_600_000),
    { "shop/configmaps/app.yaml": cm(["  a: one", "  b: two"]) },
    "create app",
  );
  commit(
    "bob",
    ago(2 * 3_600_000),
    { "shop/configmaps/app.yaml": cm(["  a: one", "  b: BOB"]) },
    "bob edits",
  );
  commit(
    "system:serviceaccount:argocd:argocd-application-controller|argocd-application-controller@sa.shiplog.local",
    ago(20 * 60_000),
    { "shop/deployments.apps/web.yaml": "kind: Deployment\nspec:\n  replicas: 3\n" },
    "argocd syncs web",
  );
  commit("alice", ago(10 * 60_000), { "other/configmaps/x.yaml": cm(["  k: v"]) }, "alice elsewhere");
  commit("carol", ago(5 * 60_000), { "shop/configmaps/gone.yaml": cm(["  z: 1"]) }, "carol adds gone");
  commit("dave", ago(60_000), { "shop/configmaps/gone.yaml": null }, "dave deletes gone");
  // attribution.users maps the Kubernetes user ops-7 to another Git name; the trailer keeps the username.
  commit(
    "Erin Kay|ekay@corp.example",
    ago(30_000),
    { "team/configmaps/t.yaml": cm(["  t: 1"]) },
    "erin adds t\n\nShiplog-Attribution: audit\nShiplog-User: ops-7",
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("shiplog blame", () => {
  it("names who changed each line of an object's file", async () => {
    const r = await shiplog(["blame", "cm/app", "-n", "shop"]);
    assert.equal(r.code, 0, r.line);
    const line = (text: string): string => r.stdout.split("\n").find((l) => l.includes(text)) ?? "";
    assert.match(line("a: one"), /\(alice /);
    assert.match(line("b: BOB"), /\(bob /);
    assert.ok(r.stdout.startsWith("# shop/configmaps/app.yaml at main in "), r.stdout);
  });

  it("shows a deleted object as it was just before its deletion, and says so", async () => {
    const r = await shiplog(["blame", "cm/gone", "-n", "shop"]);
    assert.equal(r.code, 0, r.line);
    assert.match(r.stdout, /\(carol .*z: 1/);
    assert.match(r.stderr, /cm\/gone was deleted in [0-9a-f]{12}; showing it as of [0-9a-f]{12}\^/);
  });

  it("fails clearly for an object that was never recorded", async () => {
    const r = await shiplog(["blame", "cm/nope", "-n", "shop"]);
    assert.equal(r.code, ExitCodes.failure);
    assert.match(r.line ?? "", /cm\/nope in namespace shop was never recorded/);
  });
});

describe("shiplog log", () => {
  const subjects = (out: string): string[] => [...out.matchAll(/^ {4}(\S.*)$/gm)].map((m) => m[1] ?? "");

  it("filters by namespace, user and time", async () => {
    const shop = await shiplog(["log", "-n", "shop"]);
    assert.equal(shop.code, 0, shop.line);
    assert.deepEqual(subjects(shop.stdout), [
      "dave deletes gone",
      "carol adds gone",
      "argocd syncs web",
      "bob edits",
      "create app",
    ]);
    const alice = await shiplog(["log", "--user", "ALICE"]);
    assert.deepEqual(subjects(alice.stdout), ["alice elsewhere", "create app"]);
    const recent = await shiplog(["log", "-n", "shop", "--since", "30m"]);
    assert.deepEqual(subjects(recent.stdout), ["dave deletes gone", "carol adds gone", "argocd syncs web"]);
    const mapped = await shiplog(["log", "--user", "ops-7"]);
    assert.equal(mapped.code, 0, mapped.line);
    assert.deepEqual(subjects(mapped.stdout), [
      "erin adds t",
      "Shiplog-Attribution: audit",
      "Shiplog-User: ops-7",
    ]);
    assert.deepEqual(
      subjects((await shiplog(["log", "--user", "ops"])).stdout),
      [],
      "usernames match exactly",
    );
    assert.deepEqual(subjects((await shiplog(["log", "--user", "ops-7", "-n", "shop"])).stdout), []);
    const one = await shiplog(["log", "--user", "alice", "--max-count", "1"]);
    assert.deepEqual(subjects(one.stdout), ["alice elsewhere"]);
    const sa = await shiplog(["log", "--user", "system:serviceaccount:argocd:"]);
    assert.deepEqual(subjects(sa.stdout), ["argocd syncs web"]);
    assert.match(shop.stdout, /^D\tshop\/configmaps\/gone\.yaml$/m, "files changed are listed");
  });

  it("filters by type, with kubectl's short names, in every namespace or one", async () => {
    const deploy = await shiplog(["log", "--type", "deploy"]);
    assert.deepEqual(subjects(deploy.stdout), ["argocd syncs web"]);
    const cms = await shiplog(["log", "--type", "cm", "-n", "other"]);
    assert.deepEqual(subjects(cms.stdout), ["alice elsewhere"]);
    const none = await shiplog(["log", "--type", "secret"]);
    assert.equal(none.code, ExitCodes.failure);
    assert.match(none.line ?? "", /no object of type "secret" was ever recorded/);
  });

  it("refuses a --since it cannot read, naming the flag", async () => {
    const r = await shiplog(["log", "--since", "yesterday-ish"]);
    assert.equal(r.code, ExitCodes.config);
    assert.match(r.line ?? "", /--since: expected a duration ago/);
    assert.equal(gitDate("--since", "2026-12-01T10:00:00Z", now), "2026-12-01T10:00:00Z");
    assert.equal(gitDate("--since", "1h", Date.UTC(2026, 0, 1, 12)), "2026-01-01T11:00:00.000Z");
  });
});
