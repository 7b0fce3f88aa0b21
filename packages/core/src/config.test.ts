import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configReference, defaultConfig, maskConfig, parseConfig, parseDuration } from "./config.js";
import { ConfigError } from "./config-error.js";
import { fromYaml } from "./canonical-yaml.js";

function fails(raw: unknown, field: string, message: RegExp | string): void {
  assert.throws(
    () => parseConfig(raw),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.field, field);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

describe("config", () => {
  it("has a documented default for everything", () => {
    const d = defaultConfig();
    assert.deepEqual(d.redis, {
      url: "redis://127.0.0.1:6379",
      prefix: "shiplog",
      tls: { insecureSkipVerify: false },
    });
    assert.deepEqual(d.watch.exclude.resources, [
      "events",
      "events.events.k8s.io",
      "leases.coordination.k8s.io",
    ]);
    assert.equal(d.watch.rediscoverInterval, 300_000);
    assert.equal(d.watch.pageSize, 500);
    assert.equal(d.committer.quietPeriod, 5000);
    assert.equal(d.committer.maxWindow, 60_000);
    assert.equal(d.secrets.mode, "redact");
    assert.deepEqual(d.secrets.omitSecretTypes, [
      "kubernetes.io/service-account-token",
      "helm.sh/release.v1",
    ]);
    assert.equal(d.normalize.skipControllerOwned, true);
    assert.equal(d.repo.remote, undefined);
    assert.equal(d.server.listen, "0.0.0.0:9090");
    assert.equal(d.server.stuckAfter, 300_000);
    assert.equal(d.log.level, "info");
    assert.deepEqual(parseConfig({}), d);
    assert.deepEqual(parseConfig(null), d);
    // Defaults are fresh copies.
    d.watch.exclude.resources.push("x");
    assert.equal(defaultConfig().watch.exclude.resources.length, 3);
  });

  it("checks the attribution section: sources, HTTPS files, caller authentication, users", () => {
    const d = defaultConfig().attribution;
    assert.deepEqual(d.sources, []);
    assert.equal(d.grace, 5000);
    assert.equal(d.receiver.listen, "0.0.0.0:9443");
    const tls = { tlsCertFile: "/t/tls.crt", tlsKeyFile: "/t/tls.key" };
    fails(
      { attribution: { sources: ["audit", "syslog"] } },
      "attribution.sources[1]",
      /expected one of audit, admission/,
    );
    fails({ attribution: { sources: ["audit", "audit"] } }, "attribution.sources[1]", /duplicate source/);
    fails({ attribution: { sources: ["admission"] } }, "attribution.receiver.tlsCertFile", /HTTPS only/);
    fails(
      { attribution: { sources: ["admission"], receiver: { tlsCertFile: "/t/tls.crt" } } },
      "attribution.receiver.tlsKeyFile",
      /HTTPS only/,
    );
    fails(
      { attribution: { sources: ["audit"], receiver: tls } },
      "attribution.receiver.tokenFile",
      /authenticate/,
    );
    fails(
      { attribution: { sources: ["admission"], receiver: { ...tls, admissionRequiresAuth: true } } },
      "attribution.receiver.tokenFile",
      /authenticate/,
    );
    fails({ attribution: { grace: 5 } }, "attribution.grace", /add a unit/);
    fails(
      { attribution: { users: [{ username: "alice", name: "Alice", email: "alice" }] } },
      "attribution.users[0].email",
      /email address/,
    );
    fails(
      {
        attribution: {
          users: [
            { username: "a", name: "A", email: "a@x.io" },
            { username: "a", name: "B", email: "b@x.io" },
          ],
        },
      },
      "attribution.users[1].username",
      /duplicate username/,
    );
    // Admission alone on a managed cluster: no caller authentication needed.
    const ok = parseConfig({ attribution: { sources: ["admission"], receiver: tls } }).attribution;
    assert.deepEqual(ok.sources, ["admission"]);
    const audit = parseConfig({
      attribution: { sources: ["audit", "admission"], receiver: { ...tls, clientCaFile: "/t/ca.crt" } },
    });
    assert.equal(audit.attribution.receiver.clientCaFile, "/t/ca.crt");
  });

  it("parses a full YAML configuration", () => {
    const cfg = parseConfig(
      fromYaml(`
cluster: { name: prod-eu }
kubernetes: { kubeconfig: /etc/kube/config, context: prod }
redis: { url: "rediss://user:pw@redis:6380", prefix: sl }
watch:
  include: { groups: ["", apps], resources: [], namespaces: [] }
  labelSelector: "team=a"
  rediscoverInterval: 1m30s
  pageSize: 100
normalize:
  keepStatus: [services]
  rules: [ { type: deployments.apps, strip: ["/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"], keep: [] } ]
secrets:
  mode: encrypt
  hmacKeyFile: /keys/hmac
  ageRecipients: [${RECIPIENT}]
  sensitiveFields: [ { type: widgets.example.com, pointers: [/spec/password] } ]
repo:
  path: /data/repo
  remote: { url: "https://github.com/acme/history.git", tokenFile: /keys/token, pushInterval: 30s }
committer: { quietPeriod: 250ms, maxWindow: 2m }
notifier:
  commitUrlTemplate: "https://github.com/acme/cluster-history/commit/{sha}"
  sinks:
    - name: ops
      type: slack
      url: https://hooks.slack.com/services/T/B/secret
      routes: { namespaces: [prod], ops: [delete] }
      rateLimit: { perMinute: 10, digestAfter: 3 }
    - { name: audit, type: webhook, urlFile: /keys/url, secret: s3cret-signing-key-0001 }
log: { level: debug }
`),
    );
    assert.equal(cfg.watch.rediscoverInterval, 90_000);
    assert.equal(cfg.committer.quietPeriod, 250);
    assert.equal(cfg.committer.maxWindow, 120_000);
    assert.equal(cfg.repo.remote?.pushInterval, 30_000);
    assert.equal(cfg.repo.branch, "main");
    assert.deepEqual(cfg.notifier.sinks[0]?.routes, { namespaces: ["prod"], ops: ["delete"] });
    assert.equal(cfg.notifier.sinks[1]?.maxAttempts, 5);
    assert.deepEqual(cfg.notifier.sinks[1]?.rateLimit, { perMinute: 20, digestAfter: 5 });

    const masked = JSON.stringify(maskConfig(cfg));
    for (const secret of ["pw@", "/T/B/secret", "s3cret-signing"])
      assert.ok(!masked.includes(secret), secret);
    assert.ok(masked.includes("https://hooks.slack.com/*****"));
  });

  it("names the field in every error", () => {
    fails(
      { committer: { quietPeriod: "soon" } },
      "committer.quietPeriod",
      'committer.quietPeriod: expected a duration like "5s", got "soon"',
    );
    fails({ watch: { pageSiz: 3 } }, "watch.pageSiz", "watch.pageSiz: unknown key (did you mean pageSize?)");
    fails({ watch: { pageSize: 0 } }, "watch.pageSize", /expected an integer from 1 to 10000, got number 0/);
    fails({ watch: { pageSize: "5" } }, "watch.pageSize", /expected an integer/);
    fails({ committer: { quietPeriod: 5 } }, "committer.quietPeriod", /add a unit/);
    fails(
      { committer: { quietPeriod: "10s", maxWindow: "5s" } },
      "committer.maxWindow",
      /at least committer.quietPeriod/,
    );
    fails(
      { secrets: { mode: "plain" } },
      "secrets.mode",
      /expected one of redact, encrypt, omit, got "plain"/,
    );
    fails({ secrets: { mode: "encrypt" } }, "secrets.ageRecipients", /at least one age recipient/);
    fails(
      { secrets: { ageRecipients: ["age1nope"] } },
      "secrets.ageRecipients[0]",
      /expected an age recipient/,
    );
    fails({ secrets: { hmacKey: "short" } }, "secrets.hmacKey", /at least 16 bytes/);
    fails(
      { secrets: { sensitiveFields: [{ type: "x", pointers: ["spec.password"] }] } },
      "secrets.sensitiveFields[0].pointers[0]",
      /JSON pointer/,
    );
    fails(
      { normalize: { rules: [{ type: "", strip: [] }] } },
      "normalize.rules[0].type",
      /must not be empty/,
    );
    fails({ redis: { url: "http://x" } }, "redis.url", /redis: or rediss: URL/);
    fails({ server: { listen: "9090" } }, "server.listen", /host:port/);
    fails({ server: { stuckAfter: "500ms" } }, "server.stuckAfter", /at least 1s/);
    fails(
      { notifier: { sinks: [{ name: "a", type: "slack" }] } },
      "notifier.sinks[0].url",
      /exactly one of url and urlFile/,
    );
    fails(
      { notifier: { sinks: [{ name: "a", type: "irc", url: "https://x" }] } },
      "notifier.sinks[0].type",
      /expected one of slack/,
    );
    fails(
      {
        notifier: {
          sinks: [
            { name: "a", type: "slack", url: "https://x" },
            { name: "a", type: "slack", url: "https://y" },
          ],
        },
      },
      "notifier.sinks[1].name",
      /duplicate sink name/,
    );
    fails(
      { notifier: { sinks: [{ name: "a", type: "slack", url: "https://x", routes: { ops: ["upsert"] } }] } },
      "notifier.sinks[0].routes.ops[0]",
      /create, update, delete/,
    );
    fails(
      {
        notifier: { sinks: [{ name: "a", type: "slack", url: "https://x", routes: { excludeOps: ["x"] } }] },
      },
      "notifier.sinks[0].routes.excludeOps[0]",
      /create, update, delete/,
    );
    fails(
      { notifier: { sinks: [{ name: "a b", type: "slack", url: "https://x" }] } },
      "notifier.sinks[0].name",
      /letters, digits/,
    );
    fails(
      { notifier: { sinks: [{ name: "-a", type: "slack", url: "https://x" }] } },
      "notifier.sinks[0].name",
      /starting with a letter or digit/,
    );
    fails(
      { notifier: { sinks: [{ name: "hook", type: "webhook", url: "https://x" }] } },
      "notifier.sinks[0].secret",
      /needs a signing secret/,
    );
    fails(
      { notifier: { sinks: [{ name: "hook", type: "webhook", url: "https://x", secret: "short" }] } },
      "notifier.sinks[0].secret",
      /at least 16 bytes/,
    );
    fails(
      { notifier: { sinks: [{ name: "s", type: "slack", url: "https://x", secretFile: "/k" }] } },
      "notifier.sinks[0].secret",
      /only webhook sinks sign/,
    );
    assert.throws(
      () =>
        parseConfig({
          notifier: { sinks: [{ name: "s", type: "slack", url: "hooks.example/T/B/secret-token" }] },
        }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.field === "notifier.sinks[0].url" &&
        !e.message.includes("secret-token"),
      "a bad webhook URL is not echoed",
    );
    fails(
      { notifier: { sinks: [{ name: "s", type: "slack", url: "https://x", routes: { namespace: ["a"] } }] } },
      "notifier.sinks[0].routes.namespace",
      /unknown key/,
    );
    fails(
      { notifier: { sinks: [{ name: "s", type: "slack", url: "https://x", maxAttempts: 1.5 }] } },
      "notifier.sinks[0].maxAttempts",
      /integer/,
    );
    fails(
      { notifier: { sinks: [{ name: "s", type: "slack", url: "ftp://x" }] } },
      "notifier.sinks[0].url",
      /http: or https:/,
    );
    fails(
      {
        notifier: {
          sinks: [{ name: "s", type: "slack", url: "https://x", routes: { labelSelector: "a in (b" } }],
        },
      },
      "notifier.sinks[0].routes.labelSelector",
      /./,
    );
    fails(
      { notifier: { sinks: [{ name: "s", type: "slack", url: "https://x", rateLimit: { perMinute: 0 } }] } },
      "notifier.sinks[0].rateLimit.perMinute",
      /from 1 to 10000/,
    );
    fails(
      { notifier: { sinks: [{ name: "s", type: "slack", url: "https://x", maxAttempts: 0 }] } },
      "notifier.sinks[0].maxAttempts",
      /from 1 to 100/,
    );
    fails(
      { notifier: { commitUrlTemplate: "https://x/{cluster}/{nope}/{sha}" } },
      "notifier.commitUrlTemplate",
      /unknown placeholder \{nope\}/,
    );
    fails({ notifier: { commitUrlTemplate: "https://x/commit" } }, "notifier.commitUrlTemplate", /\{sha\}/);
    assert.equal(
      parseConfig({ notifier: { commitUrlTemplate: "https://x/{cluster}/{branch}/{shortSha}" } }).notifier
        .commitUrlTemplate,
      "https://x/{cluster}/{branch}/{shortSha}",
    );
    assert.deepEqual(
      parseConfig({
        notifier: {
          sinks: [{ name: "s", type: "slack", url: "https://x", routes: { excludeOps: ["delete"] } }],
        },
      }).notifier.sinks[0]?.routes,
      { excludeOps: ["delete"] },
    );
    fails({ repo: { branch: "a..b" } }, "repo.branch", /branch name/);
    fails({ log: { level: "loud" } }, "log.level", /expected one of/);
    fails({ clusterName: "x" }, "clusterName", /unknown key/);
    fails([], "", /expected a mapping/);
  });

  it("refuses credentials in repo.remote.url without repeating them, and keeps SSH user names", () => {
    const remote = (url: string) => ({ repo: { remote: { url } } });
    for (const url of [
      "https://x-access-token:ghp_s3cr3tT0ken@github.com/acme/history.git",
      "https://ghp_s3cr3tT0ken@github.com/acme/history.git",
      "HTTP://ghp_s3cr3tT0ken:@git.example:8080/history.git",
      "ssh://git:s3cr3tT0ken@git.example/acme/history.git",
      "git:s3cr3tT0ken@git.example:acme/history.git",
    ]) {
      assert.throws(
        () => parseConfig(remote(url)),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.field, "repo.remote.url");
          assert.match(err.message, /must not contain credentials .*repo\.remote\.tokenFile.*sshKeyFile/);
          assert.doesNotMatch(err.message, /s3cr3tT0ken|github\.com|git\.example/, "the URL is not echoed");
          return true;
        },
        url,
      );
    }
    for (const url of [
      "https://github.com/acme/history.git",
      "https://git.example:8443/acme/history.git?ref=a@b",
      "ssh://git@git.example:2222/acme/history.git",
      "git@git.example:acme/history.git",
      "git.example:acme/history@v2.git",
      "file:///srv/git/history.git",
      "/srv/git/history.git",
      "../history.git",
    ]) {
      assert.equal(parseConfig(remote(url)).repo.remote?.url, url);
    }
    fails(remote(""), "repo.remote.url", "repo.remote.url: must not be empty");
  });

  it("bounds windows and the watcher's buffer by count and by bytes, named in every error", () => {
    const d = defaultConfig();
    assert.equal(d.committer.maxWindowEvents, 10_000);
    assert.equal(d.committer.maxWindowBytes, 64 * 1024 * 1024);
    assert.equal(d.watch.maxBuffered, 10_000);
    assert.equal(d.watch.maxBufferedBytes, 64 * 1024 * 1024);
    const c = parseConfig({
      committer: { maxWindowEvents: 2000, maxWindowBytes: "16Mi" },
      watch: { maxBuffered: 500, maxBufferedBytes: 1048576 },
    });
    assert.equal(c.committer.maxWindowEvents, 2000);
    assert.equal(c.committer.maxWindowBytes, 16 * 1024 * 1024);
    assert.equal(c.watch.maxBuffered, 500);
    assert.equal(c.watch.maxBufferedBytes, 1024 * 1024);
    assert.equal(
      parseConfig({ committer: { maxWindowBytes: "2Gi" } }).committer.maxWindowBytes,
      2 * 1024 ** 3,
    );
    fails(
      { committer: { maxWindowBytes: "64MB" } },
      "committer.maxWindowBytes",
      'committer.maxWindowBytes: expected a size like "64Mi", "512Ki" or a number of bytes, got "64MB"',
    );
    fails(
      { committer: { maxWindowBytes: 10 } },
      "committer.maxWindowBytes",
      /must be from 1Ki to 1024Gi, got/,
    );
    fails({ watch: { maxBufferedBytes: "1Ki" } }, "watch.maxBufferedBytes", /must be from 64Ki to/);
    fails({ watch: { maxBufferedBytes: -1 } }, "watch.maxBufferedBytes", /expected a size/);
    fails({ committer: { maxWindowEvents: 0 } }, "committer.maxWindowEvents", /expected an integer from 1/);
    fails({ watch: { maxBuffered: "lots" } }, "watch.maxBuffered", /expected an integer/);
  });

  it("parses durations", () => {
    assert.equal(parseDuration("250ms", "f"), 250);
    assert.equal(parseDuration("5s", "f"), 5000);
    assert.equal(parseDuration("1m", "f"), 60_000);
    assert.equal(parseDuration("1h30m", "f"), 5_400_000);
    assert.equal(parseDuration("1.5s", "f"), 1500);
    assert.equal(parseDuration(42, "f"), 42);
    for (const bad of ["", "5", "s", "-1s", "5 s", "1d", "soon"])
      assert.throws(() => parseDuration(bad, "x.y"), /^ConfigError: x\.y: /);
  });

  it("generates a reference row for every key", () => {
    const ref = configReference();
    for (const key of [
      "cluster.name",
      "redis.url",
      "watch.exclude.resources",
      "watch.rediscoverInterval",
      "normalize.rules[].strip",
      "secrets.mode",
      "secrets.sensitiveFields[].pointers",
      "repo.remote.pushInterval",
      "committer.quietPeriod",
      "notifier.sinks[].routes.ops",
      "notifier.sinks[].rateLimit.perMinute",
      "server.listen",
      "server.stuckAfter",
      "log.level",
    ]) {
      assert.ok(ref.includes(`| \`${key}\` |`), key);
    }
    assert.ok(ref.includes('| `committer.quietPeriod` | duration | `"5s"` |'));
  });
});
