// The watcher in e2e tests: a BullMQ Worker that reads what the watcher
// enqueued (the way the committer will), a replay of those messages into the state the committer would
// write, a watcher + reader pair that cleans up after itself (`await using`), its metric values, and a
// TCP proxy that cuts the watcher off the apiserver.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  inSyncRange,
  QueueNames,
  queuedMessages,
  type QueuedMessage,
  type WatchMessage,
} from "@shiplog/core";
import { Watcher, type WatcherOptions } from "@shiplog/watcher";
import { Worker } from "bullmq";
import { canonicalizer } from "./core.js";

export interface Logged {
  level: string;
  obj: object;
  msg: string;
}

export function captureLogger(): { logger: WatcherOptions["logger"] & object; lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg: msg ?? "" });
      if (process.env["SHIPLOG_TEST_VERBOSE"]) console.error(level, msg, JSON.stringify(obj).slice(0, 300));
    };
  return { logger: { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") }, lines };
}

/** Reads every message of the watcher's queue in order with a real BullMQ Worker (concurrency 1). */
export class QueueReader {
  readonly messages: WatchMessage[] = [];
  readonly #worker: Worker;
  #waiters: (() => void)[] = [];

  constructor(connection: { host: string; port: number }, prefix: string) {
    this.#worker = new Worker(
      QueueNames.events,
      (job) => {
        this.messages.push(...queuedMessages(job.data as QueuedMessage));
        for (const w of this.#waiters.splice(0)) w();
        return Promise.resolve();
      },
      { connection: { ...connection, retryStrategy: () => 250 }, prefix, concurrency: 1 },
    );
    this.#worker.on("error", () => undefined); // reconnects while Redis is down are expected
  }

  /** Waits until some message satisfies `pred` (searching from index `from`); returns it. */
  async waitFor<T extends WatchMessage>(
    pred: (m: WatchMessage) => m is T,
    timeoutMs: number,
    what: string,
    from?: number,
  ): Promise<T>;
  async waitFor(
    pred: (m: WatchMessage) => boolean,
    timeoutMs: number,
    what: string,
    from?: number,
  ): Promise<WatchMessage>;
  async waitFor(
    pred: (m: WatchMessage) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<WatchMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length} messages`,
        );
      }
      await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), sleep(Math.min(left, 500))]);
    }
  }

  async close(): Promise<void> {
    await this.#worker.close(true);
  }
}

/**
 * What the committer would hold after applying `messages` in order: path -> content hash. Change
 * messages set or delete a path; a sync message deletes every path of its type (within its range) that
 * it does not list.
 */
export function replay(messages: readonly WatchMessage[]): Map<string, string> {
  const state = new Map<string, { type: string; hash: string }>();
  for (const m of messages) {
    if (m.kind === "change") {
      if (m.op === "deleted") state.delete(m.path);
      else state.set(m.path, { type: m.type, hash: m.contentHash ?? "" });
    } else if (m.kind === "sync") {
      const keep = new Set(m.paths);
      for (const [p, v] of state)
        if (v.type === m.type && !keep.has(p) && inSyncRange(p, m.range)) state.delete(p);
    }
  }
  return new Map([...state].map(([p, v]) => [p, v.hash]));
}

export function isChange(
  type: string,
  name: string,
  op?: string,
): (m: WatchMessage) => m is Extract<WatchMessage, { kind: "change" }> {
  return (m): m is Extract<WatchMessage, { kind: "change" }> =>
    m.kind === "change" && m.type === type && m.key.name === name && (op === undefined || m.op === op);
}

export function isSync(type: string): (m: WatchMessage) => m is Extract<WatchMessage, { kind: "sync" }> {
  return (m): m is Extract<WatchMessage, { kind: "sync" }> => m.kind === "sync" && m.type === type;
}

/** A watcher that queues into `reader` and logs into `lines`; disposing it stops both. */
export interface WatchSession extends AsyncDisposable {
  readonly watcher: Watcher;
  readonly reader: QueueReader;
  readonly lines: Logged[];
  /** `watcher.start()`, then waits for its initial sync. */
  start(): Promise<void>;
}

/** A QueueReader on `prefix` and a Watcher (not started yet) writing to it with a capturing logger. */
export async function watchSession(
  kubeConfig: KubeConfig,
  redis: { host: string; port: number },
  prefix: string,
  extra: Partial<WatcherOptions> = {},
): Promise<WatchSession> {
  const reader = new QueueReader(redis, prefix);
  const { logger, lines } = captureLogger();
  let watcher: Watcher;
  try {
    watcher = startWatcher(kubeConfig, redis, prefix, { logger, ...extra });
  } catch (err) {
    await reader.close();
    throw err;
  }
  return {
    watcher,
    reader,
    lines,
    async start() {
      await watcher.start();
      await watcher.initialSyncDone();
    },
    async [Symbol.asyncDispose]() {
      try {
        await watcher.stop();
      } finally {
        await reader.close();
      }
    },
  };
}

/** What a prom-client metric offers for reading it back. */
interface Readable {
  get(): Promise<{ values: readonly { value: number; labels: Partial<Record<string, string | number>> }[] }>;
}

/** The sum of a watcher metric's values whose labels include `labels` (all of them when empty). */
export async function metricValue(metric: Readable, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export function startWatcher(
  kubeConfig: KubeConfig,
  redis: { host: string; port: number },
  prefix: string,
  extra: Partial<WatcherOptions> = {},
): Watcher {
  return new Watcher({
    kubeConfig,
    queue: { connection: { host: redis.host, port: redis.port, retryStrategy: () => 250 }, prefix },
    canonicalizer: canonicalizer(),
    ...extra,
  });
}

/**
 * A TCP pass-through to the apiserver that the test can cut: `pause()` drops every connection and
 * refuses new ones (a network partition), `resume()` lets traffic through again. TLS goes through
 * untouched.
 */
export class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #paused = false;
  port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      if (this.#paused) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
      this.#sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
  }

  static async start(targetPort: number): Promise<CuttableProxy> {
    const p = new CuttableProxy(targetPort);
    await new Promise<void>((resolve) => p.#server.listen(0, "127.0.0.1", resolve));
    const addr = p.#server.address();
    p.port = typeof addr === "object" && addr ? addr.port : 0;
    return p;
  }

  pause(): void {
    this.#paused = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  resume(): void {
    this.#paused = false;
  }

  async close(): Promise<void> {
    this.pause();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
