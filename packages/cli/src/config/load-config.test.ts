import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultConfig, parseConfig } from "@shiplog/core";
import { ExitCodes, reportOf } from "../cli-error.js";
import { defaultHmacKeyFile, resolveHmacKey } from "./hmac-key.js";
import { envLayer, mergeLayers, sourceOf } from "./layers.js";
import { BAD_SINK_CONFIGS } from "../testkit/bad-configs.test.helper.js";
import { loadConfig } from "./load-config.js";

function files(map: Record<string, string>): (p: string) => string {
  return (p) => {
    const v = map[p];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    return v;
  };
}

/** How the CLI reports what `fn` throws: its exit code and its one line (`reportOf`, as main.ts does). */
async function failure(fn: () => unknown): Promise<{ exitCode: number; message: string }> {
  try {
    fn();
  } catch (err) {
    const { exitCode, line } = await reportOf(err);
    assert.ok(line !== undefined && !line.includes("\n"), `one line, got ${String(line)}`);
    assert.ok(!line.startsWith("Error:") && !line.startsWith("TypeError:"), `not a bug report: ${line}`);
    return { exitCode, message: line };
  }
  assert.fail("expected an error");
}

async function failureLine(fn: () => unknown): Promise<string> {
  return (await failure(fn)).message;
}

describe("loadConfig", () => {
  const io = { env: {}, cwd: "/work" };

  it("gives the defaults with no file, env or flags", () => {
    const { config, provenance } = loadConfig({}, io);
    assert.deepEqual(config, defaultConfig());
    assert.equal(provenance.size, 0);
  });

  it("layers file < env < flags, key by key", () => {
    const yaml =
      "redis:\n  url: redis://file:6379\n  prefix: fromfile\nrepo:\n  path: /file/repo\ncommitter:\n  quietPeriod: 2s\n";
    const { config, provenance } = loadConfig(
      { config: "c.yaml", repo: "/flag/repo" },
      { cwd: "/work", env: { SHIPLOG_REDIS_URL: "redis://env:6380", SHIPLOG_REPO_PATH: "/env/repo" } },
      { readFile: files({ "/work/c.yaml": yaml }) },
    );
    assert.equal(config.redis.url, "redis://env:6380");
    assert.equal(config.redis.prefix, "fromfile");
    assert.equal(config.repo.path, "/flag/repo");
    assert.equal(config.committer.quietPeriod, 2000);
    assert.equal(provenance.get("redis.url"), "SHIPLOG_REDIS_URL");
    assert.equal(provenance.get("redis.prefix"), "/work/c.yaml");
    assert.equal(provenance.get("repo.path"), "--repo");
  });

  it("reads the file named by SHIPLOG_CONFIG", () => {
    const { config, file } = loadConfig(
      {},
      { cwd: "/", env: { SHIPLOG_CONFIG: "/etc/s.yaml" } },
      { readFile: files({ "/etc/s.yaml": "cluster:\n  name: prod\n" }) },
    );
    assert.equal(config.cluster.name, "prod");
    assert.equal(file, "/etc/s.yaml");
  });

  it("splits list variables on commas and ignores SHIPLOG_* names it does not know", () => {
    const { config } = loadConfig(
      {},
      { cwd: "/", env: { SHIPLOG_NAMESPACES: "a, b,,c", SHIPLOG_ROOT: "/x", SHIPLOG_CACHE_DIR: "/y" } },
    );
    assert.deepEqual(config.watch.include.namespaces, ["a", "b", "c"]);
  });

  it("maps -n and -A to the namespace filter only when asked (run/watch/snapshot)", () => {
    assert.deepEqual(
      loadConfig({ namespace: "team-a" }, io, { namespaceFilter: true }).config.watch.include.namespaces,
      ["team-a"],
    );
    assert.deepEqual(loadConfig({ namespace: "team-a" }, io).config.watch.include.namespaces, []);
    const env = { cwd: "/", env: { SHIPLOG_NAMESPACES: "x" } };
    assert.deepEqual(
      loadConfig({ allNamespaces: true }, env, { namespaceFilter: true }).config.watch.include.namespaces,
      [],
    );
  });

  it("maps --kubeconfig, --context, --redis-url and --log-level", () => {
    const { config } = loadConfig(
      { kubeconfig: "/k", context: "ctx", redisUrl: "redis://h:1", logLevel: "debug" },
      io,
    );
    assert.deepEqual(config.kubernetes, { kubeconfig: "/k", context: "ctx" });
    assert.equal(config.redis.url, "redis://h:1");
    assert.equal(config.log.level, "debug");
  });

  it("rejects an unknown key in the file, naming the key and the file", async () => {
    const err = await failure(() =>
      loadConfig({ config: "c.yaml" }, io, { readFile: files({ "/work/c.yaml": "watch:\n  includ: {}\n" }) }),
    );
    assert.equal(err.exitCode, ExitCodes.config);
    assert.match(err.message, /watch\.includ/);
    assert.match(err.message, /\/work\/c\.yaml/);
  });

  it("names the env variable that carries a bad value", async () => {
    const err = await failure(() => loadConfig({}, { cwd: "/", env: { SHIPLOG_SECRETS_MODE: "plaintext" } }));
    assert.match(err.message, /secrets\.mode/);
    assert.match(err.message, /SHIPLOG_SECRETS_MODE/);
  });

  it("names the flag that carries a bad value", async () => {
    const err = await failure(() => loadConfig({ redisUrl: "http://nope" }, io));
    assert.match(err.message, /redis\.url.*--redis-url/);
  });

  it("says which default is inconsistent with an override", async () => {
    const err = await failure(() => loadConfig({}, { cwd: "/", env: { SHIPLOG_QUIET_PERIOD: "10m" } }));
    assert.match(err.message, /committer\.maxWindow/);
  });

  it("reports a missing file, a non-mapping and invalid YAML in one line", async () => {
    assert.match(
      await failureLine(() => loadConfig({ config: "/none.yaml" }, io, { readFile: files({}) })),
      /does not exist/,
    );
    assert.match(
      await failureLine(() =>
        loadConfig({ config: "/l.yaml" }, io, { readFile: files({ "/l.yaml": "- a\n- b\n" }) }),
      ),
      /mapping/,
    );
    assert.match(
      await failureLine(() =>
        loadConfig({ config: "/b.yaml" }, io, { readFile: files({ "/b.yaml": "a: [\n" }) }),
      ),
      /not valid YAML/,
    );
    assert.match(
      await failureLine(() =>
        loadConfig({ config: "/d.yaml" }, io, { readFile: files({ "/d.yaml": "a: 1\na: 2\n" }) }),
      ),
      /not valid YAML/,
    );
  });

  it("sourceOf falls back to the parent key and to children", () => {
    const { provenance } = mergeLayers([envLayer({ SHIPLOG_REPO_REMOTE_URL: "ssh://x/y" })]);
    assert.equal(sourceOf(provenance, "repo.remote.url"), "SHIPLOG_REPO_REMOTE_URL");
    assert.equal(sourceOf(provenance, "repo.remote"), "SHIPLOG_REPO_REMOTE_URL");
    assert.equal(sourceOf(provenance, "redis.url"), undefined);
  });
});

describe("a bad sink fails when the config is loaded (config print, doctor and run alike)", () => {
  for (const c of BAD_SINK_CONFIGS) {
    it(`${c.what}: exit 2 naming ${c.key} and the file`, async () => {
      const err = await failure(() =>
        loadConfig(
          { config: "c.yaml" },
          { env: {}, cwd: "/work" },
          { readFile: files({ "/work/c.yaml": c.yaml }) },
        ),
      );
      assert.equal(err.exitCode, ExitCodes.config);
      assert.ok(err.message.startsWith(`invalid config: ${c.key}: `), err.message);
      assert.ok(err.message.endsWith("(from /work/c.yaml)"), err.message);
    });
  }

  it("names the variable when the bad value came from the environment", async () => {
    const err = await failure(() =>
      loadConfig({}, { cwd: "/", env: { SHIPLOG_COMMIT_URL_TEMPLATE: "https://git.example/{nope}" } }),
    );
    assert.equal(err.exitCode, ExitCodes.config);
    assert.match(
      err.message,
      /^invalid config: notifier\.commitUrlTemplate: .*\(from SHIPLOG_COMMIT_URL_TEMPLATE\)$/,
    );
  });
});

describe("resolveHmacKey", () => {
  const base = (): { home: string; cwd: string } => {
    const d = mkdtempSync(join(tmpdir(), "shiplog-cli-key-"));
    mkdirSync(join(d, "home"));
    return { home: join(d, "home"), cwd: d };
  };

  it("generates the default key once, 0600, outside the repo, and reuses it", () => {
    const { home, cwd } = base();
    const cfg = defaultConfig();
    const a = resolveHmacKey(cfg, { cwd, env: {}, homeDir: home });
    assert.ok(a);
    assert.equal(a.generated, true);
    assert.equal(a.source, join(home, ".local/state/shiplog/hmac.key"));
    assert.equal(statSync(a.source).mode & 0o777, 0o600);
    assert.equal(a.key.length, 64);
    const b = resolveHmacKey(cfg, { cwd, env: {}, homeDir: home });
    assert.equal(b?.generated, false);
    assert.deepEqual(b?.key, a.key);
  });

  it("honours XDG_STATE_HOME and does not create with create=false", () => {
    const { home, cwd } = base();
    assert.equal(defaultHmacKeyFile({ XDG_STATE_HOME: "/st" }, home), "/st/shiplog/hmac.key");
    assert.equal(resolveHmacKey(defaultConfig(), { cwd, env: {}, homeDir: home, create: false }), undefined);
  });

  it("reads a configured key file and refuses short keys, missing files and files inside the repo", async () => {
    const { home, cwd } = base();
    writeFileSync(join(cwd, "good.key"), "0123456789abcdef-long-enough\n", { mode: 0o600 });
    writeFileSync(join(cwd, "short.key"), "short\n", { mode: 0o600 });
    const withFile = (f: string, repo = "./repo") =>
      parseConfig({ secrets: { hmacKeyFile: f }, repo: { path: repo } });
    const k = resolveHmacKey(withFile("good.key"), { cwd, env: {}, homeDir: home });
    assert.equal(k?.key.toString(), "0123456789abcdef-long-enough");
    assert.match(
      await failureLine(() => resolveHmacKey(withFile("short.key"), { cwd, env: {}, homeDir: home })),
      /at least 16/,
    );
    assert.match(
      await failureLine(() => resolveHmacKey(withFile("none.key"), { cwd, env: {}, homeDir: home })),
      /does not exist/,
    );
    assert.match(
      await failureLine(() => resolveHmacKey(withFile("repo/k.key"), { cwd, env: {}, homeDir: home })),
      /inside the repository/,
    );
    assert.equal(readFileSync(join(cwd, "good.key"), "utf8").length > 0, true);
  });

  it("warns about a group-readable key file", () => {
    const { home, cwd } = base();
    writeFileSync(join(cwd, "open.key"), "0123456789abcdef0123\n", { mode: 0o644 });
    const k = resolveHmacKey(parseConfig({ secrets: { hmacKeyFile: "open.key" } }), {
      cwd,
      env: {},
      homeDir: home,
    });
    assert.equal(k?.warnings.length, 1);
  });
});
