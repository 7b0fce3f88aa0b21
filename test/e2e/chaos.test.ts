// Chaos: shiplog's promises hold while its parts crash under churn. Three shiplog processes from the
// built CLI (`watch`, `commit`, `notify`) share one repo, one persistent (AOF, appendfsync always)
// private Redis and a private control plane (real etcd + kube-apiserver); ConfigMaps and Secrets are
// created, updated and deleted a few times a second while, for 20 cycles, one component after another
// is killed and started again: the watcher, the committer and the notifier with SIGKILL, Redis with
// SIGKILL, the apiserver with a restart. Then, with the churn stopped, it checks:
//   - no lost state: the Git tree of main equals the cluster (every file is what core's canonicalizer
//     makes of the live object, ConfigMap data compared value by value, no file without an object);
//   - no lost alert: every commit on main reached the webhook receiver at least once (duplicates are
//     counted and reported, not failed: ADR 0034 bounds them, it does not exclude them);
//   - no leak: no plaintext Secret value (nor its base64) in any Git object or other repo file, any
//     Redis key or value, the AOF files, any log line of the three processes or any chat payload;
//   - no wedge: every process answers /healthz 200 and stops cleanly on SIGTERM.
// Loopback only; bounded: every wait has a deadline, and the whole test has a timeout. On failure the
// sandbox (repo, config, one log file per process start) is kept; the message names its log files.
//
// Timing (from the code): a SIGKILLed committer leaves its lease in Redis; the restarted one takes it
// once it expires (committer.lockTtl, 5 s here, renewed every third of it and retried every second),
// claims the fence and takes back the jobs the dead one held at once (ADR 0037), so it commits again
// within seconds of its start. Before killing the committer again, the test still waits (bounded,
// 150 s) until the running instance has written a commit, so that every instance commits before it dies.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse, stringify } from "yaml";
import type { KubeObject } from "@shiplog/core";
import { TestTypes } from "@shiplog/core/testing";
import { verifyWebhookSignature } from "@shiplog/notifier";
import { startControlPlane, startPrivateRedis } from "../harness/index.js";
import { sandbox } from "./support/cli.js";
import {
  Churn,
  filesText,
  gitObjectsText,
  KubeRest,
  leakedValues,
  logSummary,
  redisText,
  Stage,
} from "./support/chaos.js";
import { useCluster } from "./support/cluster.js";
import { canonicalizer, HMAC_KEY } from "./support/core.js";
import { fileAt, git } from "./support/git.js";
import { startReceiver } from "./support/receiver.js";
import { until } from "./support/until.js";

const cluster = useCluster({ controlPlane: () => startControlPlane() });

const CYCLES = 20;
const ROTATION = ["watcher", "committer", "notifier", "redis", "apiserver"] as const;
type Victim = (typeof ROTATION)[number];
/** A cycle lasts at least this long: kill, a pause while it is down, start, then churn goes on. */
const CYCLE_MS = 5500;
/** Churn: one request, then this pause (~3 requests per second with the requests' own time). */
const CHURN_INTERVAL_MS = 250;
const CONVERGE_MS = 120_000;
const ALERTS_MS = 150_000;
const TAKEOVER_MS = 150_000;

describe("chaos: watcher, committer, notifier, Redis and the apiserver killed under churn", () => {
  it(
    `${CYCLES} kill cycles lose no change and no alert, leak no Secret value and wedge nothing`,
    { timeout: 12 * 60_000 },
    async () => {
      const t0 = Date.now();
      const { cp } = cluster;
      await using namespace = await cluster.namespace("chaos");
      const ns = namespace.name;
      const redis = await startPrivateRedis({ persistent: true });
      await using _redis = { [Symbol.asyncDispose]: () => redis.stop() };
      const sb = sandbox("chaos", redis.url, cp.kubeconfigPath);
      const logDir = join(sb.dir, "logs");
      mkdirSync(logDir);
      const webhookSecret = randomBytes(24).toString("hex");
      writeFileSync(join(sb.dir, "webhook.secret"), webhookSecret, { mode: 0o600 });
      // core's test key, so that the expected files can be computed with the same fingerprints.
      writeFileSync(join(sb.dir, "hmac.key"), HMAC_KEY, { mode: 0o600 });
      await using receiver = await startReceiver();
      const configFile = join(sb.dir, "shiplog.yaml");
      writeFileSync(
        configFile,
        stringify({
          kubernetes: { kubeconfig: cp.kubeconfigPath },
          redis: { url: redis.url, prefix: sb.prefix },
          watch: { include: { resources: ["configmaps", "secrets"], namespaces: [ns] } },
          secrets: { mode: "redact", hmacKeyFile: join(sb.dir, "hmac.key") },
          repo: { path: sb.repo },
          committer: { quietPeriod: "500ms", maxWindow: "2s", lockTtl: "5s" },
          notifier: {
            sinks: [
              {
                name: "receiver",
                type: "webhook",
                url: `${receiver.url}/hook`,
                secretFile: join(sb.dir, "webhook.secret"),
                // One message per commit: the check matches alerts to commits by sha.
                rateLimit: { perMinute: 10000, digestAfter: 10000 },
                maxAttempts: 100,
              },
            ],
          },
        }),
      );
      const stage = (command: string): Stage =>
        new Stage({ command, sandbox: sb, args: ["--config", configFile], logDir });
      const stages = { watcher: stage("watch"), committer: stage("commit"), notifier: stage("notify") };
      const all = [stages.watcher, stages.committer, stages.notifier];
      await using _stages = {
        async [Symbol.asyncDispose]() {
          for (const s of all) await s.stop(5000);
        },
      };
      const api = new KubeRest(cp.server, cp.token, cp.caFile);
      const churn = new Churn({
        api,
        namespace: ns,
        configMaps: 12,
        secrets: 6,
        intervalMs: CHURN_INTERVAL_MS,
        managers: ["chaos-alice", "chaos-bob", "chaos-ci"],
      });
      /** Log tails of every stage, with every Secret value masked (a failure message must not leak). */
      const tails = (): string => mask(all.map((s) => s.tail()).join("\n"), churn.secretValues);

      // --- the pipeline, before any chaos
      await churn.seed();
      await stages.notifier.start();
      await stages.committer.start();
      await until(
        "the first committer to hold the repo lock",
        60_000,
        async () => (await stages.committer.metric("shiplog_committer_leader")) === 1,
        { intervalMs: 250, detail: tails },
      );
      await stages.watcher.start();
      const firstSha = await until(
        "the initial sync committed",
        60_000,
        async () => {
          const r = await git(sb.repo, ["rev-parse", "--verify", "-q", "main"]);
          return r.code === 0 ? r.stdout.trim() : undefined;
        },
        { intervalMs: 250, detail: tails },
      );
      await until("the initial sync's alert", 60_000, () => receiver.commitShas().has(firstSha), {
        intervalMs: 250,
        detail: () => `${receiver.received.length} deliveries\n${tails()}`,
      });
      const setupMs = Date.now() - t0;

      // --- churn and kill cycles
      const kills: Record<Victim, number> = { watcher: 0, committer: 0, notifier: 0, redis: 0, apiserver: 0 };
      const takeovers: number[] = [];
      /** Resolves once the running committer holds the lock and has written a commit. */
      let committerWorking: Promise<void> = Promise.resolve();
      const trackTakeover = (startedAt: number): Promise<void> =>
        until(
          "the restarted committer to take the lock and commit",
          TAKEOVER_MS,
          async () =>
            (await stages.committer.metric("shiplog_committer_leader")) === 1 &&
            ((await stages.committer.metric("shiplog_committer_commits_total")) ?? 0) >= 1,
          { intervalMs: 250, detail: tails },
        ).then(() => void takeovers.push(Date.now() - startedAt));

      const chaosStart = Date.now();
      churn.start();
      try {
        for (let c = 0; c < CYCLES; c++) {
          const victim = ROTATION[c % ROTATION.length] ?? "watcher";
          const begun = Date.now();
          const downMs = 500 + ((c * 373) % 1500);
          switch (victim) {
            case "watcher":
            case "notifier":
              await stages[victim].kill9();
              await sleep(downMs);
              await stages[victim].start();
              break;
            case "committer": {
              await committerWorking;
              await stages.committer.kill9();
              await sleep(downMs);
              await stages.committer.start();
              const startedAt = Date.now();
              committerWorking = trackTakeover(startedAt);
              // Observed on its own; a rejection surfaces at the next turn or after the loop.
              committerWorking.catch(() => undefined);
              break;
            }
            case "redis":
              await redis.kill9();
              await sleep(downMs);
              await redis.restart();
              break;
            case "apiserver":
              await cp.restartApiserver();
              break;
          }
          kills[victim]++;
          const rest = CYCLE_MS - (Date.now() - begun);
          if (rest > 0) await sleep(rest);
        }
        await committerWorking;
      } finally {
        await churn.stop();
      }
      const chaosMs = Date.now() - chaosStart;
      assert.ok(
        churn.succeeded > CYCLES * 5,
        `churn made ${churn.succeeded} changes (${churn.failed} failed)`,
      );

      // --- no lost state: the tree of main equals the cluster
      const canon = canonicalizer();
      const divergence = async (): Promise<string | undefined> => {
        const expected = new Map<string, { content: string; obj: KubeObject }>();
        for (const [plural, type] of [
          ["configmaps", TestTypes.configmaps],
          ["secrets", TestTypes.secrets],
        ] as const) {
          for (const obj of await api.list(ns, plural)) {
            const r = canon.canonicalize(type, obj);
            if (!r.skipped) expected.set(r.path, { content: r.content, obj });
          }
        }
        const ls = await git(sb.repo, ["ls-tree", "-r", "--name-only", "main"]);
        const files = new Set(ls.stdout.split("\n").filter(Boolean));
        const problems: string[] = [];
        for (const f of files) if (!expected.has(f)) problems.push(`${f}: in Git, not in the cluster`);
        for (const [path, want] of expected) {
          if (!files.has(path)) {
            problems.push(`${path}: in the cluster, not in Git`);
            continue;
          }
          const got = (await fileAt(sb.repo, path)) ?? "";
          if (path.includes("/configmaps/")) {
            const data = (parse(got) as { data?: unknown } | null)?.data;
            const live = (want.obj as { data?: unknown }).data;
            if (sortedJson(data) !== sortedJson(live))
              problems.push(`${path}: data ${JSON.stringify(data)} in Git, ${JSON.stringify(live)} live`);
          }
          if (got !== want.content) problems.push(`${path}: content differs from the live object's`);
        }
        return problems.length === 0 ? undefined : problems.join("\n");
      };
      const convergeStart = Date.now();
      let lastDivergence: string | undefined;
      const files = await until(
        "the Git tree of main to equal the cluster",
        CONVERGE_MS,
        async () => {
          lastDivergence = await divergence();
          if (lastDivergence !== undefined) return undefined;
          return (await git(sb.repo, ["ls-tree", "-r", "--name-only", "main"])).stdout
            .split("\n")
            .filter(Boolean);
        },
        { intervalMs: 1000, detail: () => `${mask(lastDivergence ?? "", churn.secretValues)}\n${tails()}` },
      );
      const convergenceMs = Date.now() - convergeStart;

      // --- no lost alert: every commit on main reached the receiver at least once
      const commits = (await git(sb.repo, ["rev-list", "main"])).stdout.split("\n").filter(Boolean);
      const alertsStart = Date.now();
      let missing: string[] = [];
      await until(
        "every commit's alert at the receiver",
        ALERTS_MS,
        () => {
          const counts = receiver.commitShas();
          missing = commits.filter((s) => !counts.has(s));
          return missing.length === 0;
        },
        {
          intervalMs: 500,
          detail: () =>
            `${missing.length} of ${commits.length} commits not announced, e.g. ${missing.slice(0, 5).join(" ")}\n${tails()}`,
        },
      );
      const alertsWaitMs = Date.now() - alertsStart;
      const counts = receiver.commitShas();
      const duplicates = [...counts.values()].filter((n) => n > 1).length;
      const strangers = [...counts.keys()].filter((s) => !commits.includes(s));
      const unsigned = receiver.received.filter((r) => {
        const header = (name: string): string | undefined => {
          const v = r.headers[name];
          return typeof v === "string" ? v : undefined;
        };
        const verdict = verifyWebhookSignature({
          secret: webhookSecret,
          rawBody: r.body,
          signature: header("x-shiplog-signature"),
          timestamp: header("x-shiplog-timestamp"),
          nowMs: r.at,
        });
        return !verdict.ok;
      });
      assert.equal(unsigned.length, 0, "every delivery carries a valid signature");

      // --- no wedge: every process is healthy
      for (const s of all) {
        const res = await s.get("/healthz");
        assert.equal(
          res?.status,
          200,
          `shiplog ${s.name} /healthz: ${res?.status} ${res?.body ?? ""}\n${tails()}`,
        );
      }
      // The last watcher was started before the last apiserver restart: what it saw of it.
      const watcherErrors = (await stages.watcher.metric("shiplog_watcher_errors_total")) ?? 0;
      const watcherRelists = (await stages.watcher.metric("shiplog_watcher_relists_total")) ?? 0;
      const deadLetters = await stages.notifier.metric("shiplog_notifier_dead_letter_messages");
      assert.equal(deadLetters ?? 0, 0, "no alert was dead-lettered");

      // --- a clean stop, then no leak anywhere
      for (const s of [stages.watcher, stages.committer, stages.notifier]) {
        assert.equal(await s.stop(45_000), "stopped", `shiplog ${s.name} stops on SIGTERM\n${tails()}`);
      }
      const finalCommits = (await git(sb.repo, ["rev-list", "main"])).stdout.split("\n").filter(Boolean);
      assert.deepEqual(finalCommits, commits, "no commit after convergence (all of them were checked above)");
      const values = churn.secretValues;
      const objects = await gitObjectsText(sb.repo);
      // The repository is bare (the committer creates it so): refs, logs and config are its files.
      const gitDir = filesText(sb.repo, ["objects"]);
      const keys = await redisText(redis.url);
      const aof = filesText(join(redis.dir, "data"));
      const logs = filesText(logDir);
      const places: Array<readonly [string, string]> = [
        [`${objects.objects} Git objects`, objects.text],
        [`${gitDir.files.length} other files of the repository (refs, logs, config)`, gitDir.text],
        [`${keys.keys} Redis keys`, keys.text],
        [`the AOF files (${aof.files.length})`, aof.text],
        [`${logs.files.length} log files of the shiplog processes`, logs.text],
        [`${receiver.received.length} chat payloads`, receiver.received.map((r) => r.body).join("\n")],
      ];
      // The scan must be able to fail: the churn's own requests carried these values.
      assert.ok(values.length >= 12, `${values.length} Secret values to look for`);
      assert.equal(leakedValues(values.join("\n"), values).length, values.length, "the scan finds values");
      assert.ok(
        objects.objects > commits.length && keys.keys > 0 && logs.files.length >= 3,
        "scanned something",
      );
      for (const [where, text] of places) {
        const leaked = leakedValues(text, values);
        assert.deepEqual(leaked, [], `Secret values (by index, of ${values.length}) found in ${where}`);
      }
      // Every Redis error goes through the logger: none printed by ioredis itself, past it.
      assert.doesNotMatch(logs.text, /Unhandled error event/, "a Redis client without an error listener");

      const durationMs = Date.now() - t0;
      const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
      console.log(
        `chaos: cycles=${CYCLES} kills=${Object.entries(kills)
          .map(([k, n]) => `${k}:${n}`)
          .join(
            ",",
          )} ops=${churn.succeeded} (create ${churn.ok.create}, update ${churn.ok.update}, delete ${churn.ok.delete}; ${churn.failed} failed) ` +
          `files=${files.length} commits=${commits.length} alerts=${receiver.received.length} announced=${counts.size} ` +
          `duplicates=${duplicates} unknown-shas=${strangers.length} secret-values=${values.length} ` +
          `committer-takeover(max)=${s(Math.max(0, ...takeovers))} last-watcher(errors=${watcherErrors},relists=${watcherRelists}) setup=${s(setupMs)} chaos=${s(chaosMs)} ` +
          `convergence=${s(convergenceMs)} alerts-after-convergence=${s(alertsWaitMs)} duration=${s(durationMs)}`,
      );
      console.log(
        `chaos: log warnings, errors and recoveries: ${logSummary(logs.text)
          .map(([m, n]) => `${n}x ${JSON.stringify(m)}`)
          .join(", ")}`,
      );
      rmSync(sb.dir, { recursive: true, force: true });
    },
  );
});

/** `text` with every value (and its base64) replaced, for messages that quote logs. */
function mask(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) {
    out = out.split(v).join("<secret>").split(Buffer.from(v).toString("base64")).join("<secret-b64>");
  }
  return out;
}

/** JSON with object keys sorted, so that two mappings compare equal whatever their key order. */
function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}
