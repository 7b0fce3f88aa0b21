/**
 * Wiring: one worker reads published commits, guards them, routes them per sink and applies flood
 * control; each sink has its own BullMQ queue and worker (rate limit, retries with backoff honouring
 * Retry-After, dead-lettering), so a slow or failing sink never holds up the committer or another sink.
 */
import { Queue, Worker } from "bullmq";
import type { Job, JobsOptions } from "bullmq";
import { QueueNames, silentLogger, systemClock } from "@shiplog/core";
import type { Clock, Logger, PublishedCommit, SinkTarget } from "@shiplog/core";
import { resolveOptions } from "./options.js";
import type { NotifierOptions, ResolvedOptions } from "./options.js";
import { createNotifierMetrics } from "./metrics.js";
import type { NotifierMetrics } from "./metrics.js";
import { createRouter } from "./routing.js";
import type { Router } from "./routing.js";
import { FloodControl } from "./flood.js";
import { guardCommit } from "./guard.js";
import { parsePublishedCommit } from "./parse.js";
import { renderCommit, renderDigest } from "./render.js";
import type { Message, RenderOptions } from "./render.js";
import { formatFor } from "./format.js";
import { postJson, retryDelay } from "./http.js";
import { DeliveryError } from "./errors/delivery-error.js";
import { createRedis } from "./redis.js";
import type { Redis } from "ioredis";

/** Per-sink delivery queue: `shiplog-notify-<sink>`. */
export const SINK_QUEUE_PREFIX = "shiplog-notify-";
/** Messages that exhausted their attempts (or were refused outright): `shiplog-notify-dead`. */
export const DEAD_LETTER_QUEUE = "shiplog-notify-dead";

export type SinkJobData = { kind: "commit"; commit: PublishedCommit } | { kind: "digest"; bufferKey: string };

export interface DeadLetter {
  readonly sink: string;
  readonly kind: "commit" | "digest";
  readonly error: string;
  readonly status: number | undefined;
  readonly attempts: number;
  readonly failedAt: string;
  readonly commits: readonly PublishedCommit[];
}

const BACKOFF_TYPE = "shiplog-retry";

interface SinkRuntime {
  readonly sink: SinkTarget;
  readonly router: Router;
  readonly flood: FloodControl;
  readonly queue: Queue<SinkJobData>;
  worker: Worker<SinkJobData> | undefined;
}

export class Notifier {
  private readonly opts: ResolvedOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly fetchFn: typeof fetch;
  readonly metrics: NotifierMetrics;
  private readonly connection: NotifierOptions["queue"]["connection"];
  private readonly prefix: string;
  private readonly sinks: SinkRuntime[];
  private readonly dead: Queue<DeadLetter>;
  private readonly renderOpts: RenderOptions;
  private commitsWorker: Worker | undefined;
  private redis: Redis | undefined;

  /** Checks the notifier's own options at once; throws core's `ConfigError` naming the bad one. */
  constructor(options: NotifierOptions) {
    this.opts = resolveOptions(options);
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.metrics = options.metrics ?? createNotifierMetrics();
    this.connection = options.queue.connection;
    this.prefix = options.queue.prefix;
    this.renderOpts = {
      commitUrlTemplate: this.opts.commitUrlTemplate,
      maxDiffLines: this.opts.maxDiffLines,
    };
    const queueOpts = { connection: this.connection, prefix: this.prefix };
    this.sinks = options.sinks.map((sink) => ({
      sink,
      router: createRouter(sink.routes),
      flood: new FloodControl(sink.rateLimit.digestAfter, this.opts.rateWindowMs, this.clock),
      queue: new Queue<SinkJobData>(SINK_QUEUE_PREFIX + sink.name, queueOpts),
      worker: undefined,
    }));
    this.dead = new Queue<DeadLetter>(DEAD_LETTER_QUEUE, queueOpts);
  }

  /** Start consuming published commits and delivering to every sink. */
  async start(): Promise<void> {
    if (this.commitsWorker !== undefined) return;
    this.redis = createRedis(this.connection, this.logger);
    this.metrics.deadLetterSize.set(await this.dead.count());
    for (const rt of this.sinks) {
      const { sink } = rt;
      const worker = new Worker<SinkJobData>(SINK_QUEUE_PREFIX + sink.name, (job) => this.deliver(rt, job), {
        connection: this.connection,
        prefix: this.prefix,
        concurrency: 1,
        limiter: { max: sink.rateLimit.perMinute, duration: this.opts.rateWindowMs },
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
            retryDelay(attemptsMade, err, this.opts.retryBaseDelayMs, this.opts.retryMaxDelayMs),
        },
      });
      worker.on("error", (err) =>
        this.logger.error({ sink: sink.name, err: err.message }, "sink worker error"),
      );
      rt.worker = worker;
    }
    const commits = new Worker(QueueNames.commits, (job) => this.route(job), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency: 1,
    });
    commits.on("error", (err) => this.logger.error({ err: err.message }, "commits worker error"));
    this.commitsWorker = commits;
    await Promise.all([commits.waitUntilReady(), ...this.sinks.map((rt) => rt.worker?.waitUntilReady())]);
    this.logger.info({ sinks: this.sinks.map((rt) => rt.sink.name) }, "notifier started");
  }

  /** Stop taking work, let the current deliveries finish (bounded by the request timeout), close. */
  async stop(): Promise<void> {
    await this.commitsWorker?.close();
    this.commitsWorker = undefined;
    await Promise.all(this.sinks.map((rt) => rt.worker?.close() ?? Promise.resolve()));
    for (const rt of this.sinks) rt.worker = undefined;
    await Promise.all([...this.sinks.map((rt) => rt.queue.close()), this.dead.close()]);
    await this.redis?.quit();
    this.redis = undefined;
    this.logger.info({}, "notifier stopped");
  }

  private buffer(): Redis {
    if (this.redis === undefined) throw new Error("notifier is not started");
    return this.redis;
  }

  private jobOptions(sink: SinkTarget): JobsOptions {
    return {
      attempts: sink.maxAttempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  /** commits queue -> per-sink queues. Never waits for chat. */
  private async route(job: Job): Promise<void> {
    this.metrics.commitsReceived.inc();
    const parsed = parsePublishedCommit(job.data);
    if (!parsed.ok) {
      this.metrics.invalidMessages.inc({ reason: parsed.reason });
      this.logger.warn(
        { jobId: job.id, reason: parsed.reason },
        "skipping a message that is not a published commit",
      );
      return;
    }
    if (parsed.droppedChanges > 0) {
      this.metrics.invalidMessages.inc({ reason: "bad-change" }, parsed.droppedChanges);
      this.logger.warn(
        { sha: parsed.commit.sha, dropped: parsed.droppedChanges },
        "dropped malformed changes",
      );
    }
    const { commit, withheld } = guardCommit(parsed.commit);
    if (withheld > 0) {
      this.metrics.secretValuesWithheld.inc(withheld);
      this.logger.warn({ sha: commit.sha, withheld }, "withheld Secret values that were not fingerprints");
    }
    for (const rt of this.sinks) {
      const name = rt.sink.name;
      const routed = rt.router.route(commit);
      if (routed === undefined) {
        this.metrics.routed.inc({ sink: name, decision: "filtered" });
        continue;
      }
      const decision = rt.flood.admit();
      if (decision.action === "single") {
        await rt.queue.add(
          "commit",
          { kind: "commit", commit: routed },
          { ...this.jobOptions(rt.sink), jobId: `commit-${commit.sha}` },
        );
        this.metrics.routed.inc({ sink: name, decision: "single" });
        continue;
      }
      const bufferKey = `${this.prefix}:${SINK_QUEUE_PREFIX}${name}:digest:${decision.windowId}`;
      const client = this.buffer();
      await client
        .multi()
        .rpush(bufferKey, JSON.stringify(routed))
        .pexpire(bufferKey, this.opts.rateWindowMs + 7 * 24 * 3600 * 1000)
        .exec();
      await rt.queue.add(
        "digest",
        { kind: "digest", bufferKey },
        {
          ...this.jobOptions(rt.sink),
          jobId: `digest-${decision.windowId}`,
          delay: Math.max(0, decision.flushAt - this.clock.now()),
        },
      );
      this.metrics.routed.inc({ sink: name, decision: "digest" });
    }
  }

  /** Read the commits buffered for a digest (deduplicated by sha; unreadable entries skipped). */
  private async readDigest(
    rt: SinkRuntime,
    bufferKey: string,
  ): Promise<{ commits: PublishedCommit[]; count: number }> {
    const client = this.buffer();
    const raw = await client.lrange(bufferKey, 0, -1);
    const seen = new Set<string>();
    const commits: PublishedCommit[] = [];
    for (const item of raw) {
      let data: unknown;
      try {
        data = JSON.parse(item);
      } catch (err) {
        this.metrics.invalidMessages.inc({ reason: "bad-digest-entry" });
        this.logger.warn(
          { sink: rt.sink.name, err: (err as Error).message },
          "skipping unreadable digest entry",
        );
        continue;
      }
      const parsed = parsePublishedCommit(data);
      if (!parsed.ok) {
        this.metrics.invalidMessages.inc({ reason: "bad-digest-entry" });
        continue;
      }
      if (seen.has(parsed.commit.sha)) continue;
      seen.add(parsed.commit.sha);
      commits.push(parsed.commit);
    }
    return { commits, count: raw.length };
  }

  /** One delivery attempt to one sink. Throws to ask BullMQ for a retry; dead-letters on the last. */
  private async deliver(rt: SinkRuntime, job: Job<SinkJobData>): Promise<void> {
    const { sink } = rt;
    const data = job.data;
    let commits: PublishedCommit[];
    let msg: Message;
    let consumed = 0;
    if (data.kind === "commit") {
      commits = [data.commit];
      msg = { kind: "commit", commit: renderCommit(data.commit, this.renderOpts) };
    } else {
      const read = await this.readDigest(rt, data.bufferKey);
      consumed = read.count;
      commits = read.commits;
      if (commits.length === 0) {
        await this.trimDigest(rt, data.bufferKey, consumed, job);
        return;
      }
      msg =
        commits.length === 1 && commits[0] !== undefined
          ? { kind: "commit", commit: renderCommit(commits[0], this.renderOpts) }
          : { kind: "digest", digest: renderDigest(commits, this.renderOpts) };
    }
    const attempt = job.attemptsMade + 1;
    const end = this.metrics.deliverySeconds.startTimer({ sink: sink.name });
    try {
      const req = formatFor(sink, msg, {
        deliveryId: `${sink.name}-${job.id ?? "?"}`,
        nowMs: this.clock.now(),
      });
      if (req.truncated && attempt === 1) this.metrics.truncated.inc({ sink: sink.name });
      const res = await postJson({
        fetch: this.fetchFn,
        sink: sink.name,
        url: sink.url,
        body: req.body,
        headers: req.headers,
        timeoutMs: this.opts.requestTimeoutMs,
        nowMs: () => this.clock.now(),
      });
      end();
      this.metrics.deliveries.inc({ sink: sink.name, kind: msg.kind, outcome: "delivered" });
      this.logger.info(
        {
          sink: sink.name,
          kind: msg.kind,
          commits: commits.length,
          attempt,
          status: res.status,
          truncated: req.truncated,
        },
        "delivered",
      );
    } catch (err) {
      end();
      const retryable = err instanceof DeliveryError && err.retryable;
      const status = err instanceof DeliveryError ? err.status : undefined;
      const message = err instanceof Error ? err.message : String(err);
      if (retryable && attempt < sink.maxAttempts) {
        this.metrics.deliveries.inc({ sink: sink.name, kind: msg.kind, outcome: "retried" });
        const delayMs = retryDelay(attempt, err, this.opts.retryBaseDelayMs, this.opts.retryMaxDelayMs);
        this.logger.warn(
          { sink: sink.name, kind: msg.kind, attempt, status, delayMs, err: message },
          "delivery failed; will retry",
        );
        throw err;
      }
      await this.dead.add("dead", {
        sink: sink.name,
        kind: msg.kind,
        error: message,
        status,
        attempts: attempt,
        failedAt: new Date(this.clock.now()).toISOString(),
        commits,
      });
      this.metrics.deliveries.inc({ sink: sink.name, kind: msg.kind, outcome: "dead" });
      this.metrics.deadLetterSize.set(await this.dead.count());
      this.logger.error(
        { sink: sink.name, kind: msg.kind, attempt, status, err: message, shas: commits.map((c) => c.sha) },
        "delivery gave up; message moved to the dead-letter queue",
      );
    }
    if (data.kind === "digest") await this.trimDigest(rt, data.bufferKey, consumed, job);
  }

  /** Drop the digest entries just handled; entries that arrived meanwhile get a digest of their own. */
  private async trimDigest(
    rt: SinkRuntime,
    bufferKey: string,
    consumed: number,
    job: Job<SinkJobData>,
  ): Promise<void> {
    const client = this.buffer();
    const res = await client.multi().ltrim(bufferKey, consumed, -1).llen(bufferKey).exec();
    const left = res?.[1]?.[1];
    if (typeof left === "number" && left > 0) {
      await rt.queue.add(
        "digest",
        { kind: "digest", bufferKey },
        { ...this.jobOptions(rt.sink), jobId: `${job.id ?? "digest"}-more` },
      );
    }
  }
}
