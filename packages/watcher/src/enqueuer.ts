/**
 * Bounded buffer in front of the BullMQ queue. Reflectors `push` small messages; one flush loop sends
 * them in order with `addBulk` (one queue, FIFO). When Redis is down or slow the buffer grows up to
 * `maxBuffered` messages or `maxBufferedBytes` (whichever comes first); then `full` turns true and
 * reflectors stop reading and relist once `whenWritable()` resolves. A batch is at most `batchSize`
 * messages and `batchBytes`, so one `addBulk` pipeline holds a bounded amount of memory. Messages are never dropped silently: only `close()` with Redis unreachable loses some,
 * with a log line and the `dropped` metric.
 */
import type { ChangeMessage, Clock, Logger, QueuedMessage, WatchMessage } from "@shiplog/core";
import { Backoff, messageBytes } from "@shiplog/core";
import { QueueAddError } from "./errors/queue-add-error.js";
import type { WatcherMetrics } from "./metrics.js";
import type { ResumeStore } from "./resume-store.js";

/** The part of a BullMQ `Queue` the enqueuer uses. */
export interface QueueLike {
  addBulk(jobs: { name: string; data: QueuedMessage; opts?: Record<string, unknown> }[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface EnqueuerOptions {
  readonly queue: QueueLike;
  /** Messages buffered before reflectors are told to stop reading. */
  readonly maxBuffered: number;
  /**
   * Bytes (`messageBytes`) buffered before reflectors are told to stop reading.
   * @defaultValue 64 MiB
   */
  readonly maxBufferedBytes?: number;
  /** Messages per `addBulk`. */
  readonly batchSize: number;
  /** Bytes per `addBulk` (a single larger message goes alone). @defaultValue 1 MiB */
  readonly batchBytes?: number;
  /**
   * Listed objects per job: consecutive `listed` changes of one type go to the queue as one
   * `ListedBatch` job of at most this many items and `LISTED_JOB_BYTES` (1: one job each).
   * @defaultValue LISTED_PER_JOB
   */
  readonly listedPerJob?: number;
  /** Job options of every message (cheap jobs: removed on completion). */
  readonly jobOptions: Record<string, unknown>;
  readonly logger: Logger;
  readonly metrics: WatcherMetrics;
  readonly clock: Clock;
  readonly backoff?: Backoff;
  /** Where `checkpoint`s are saved once their messages are acked; absent: checkpoints are ignored. */
  readonly resume?: Pick<ResumeStore, "save">;
}

/** Listed objects per job by default (see `EnqueuerOptions.listedPerJob`). */
export const LISTED_PER_JOB = 64;
/** Most bytes (`messageBytes` of its items) a batch of listed objects gathers. */
export const LISTED_JOB_BYTES = 64 * 1024;

const isListed = (m: WatchMessage): m is ChangeMessage => m.kind === "change" && m.op === "listed";

/**
 * The jobs of a batch of pending messages, in order: runs of listed objects of one type become
 * `ListedBatch`es of at most `perJob` items and `LISTED_JOB_BYTES`; every other message is a job.
 */
export function jobsOf(
  batch: readonly { readonly msg: WatchMessage; readonly bytes: number }[],
  perJob: number,
): { name: string; data: QueuedMessage }[] {
  const jobs: { name: string; data: QueuedMessage }[] = [];
  let run: ChangeMessage[] = [];
  let runBytes = 0;
  const endRun = (): void => {
    if (run.length === 1) jobs.push({ name: "change", data: run[0] as ChangeMessage });
    else if (run.length > 1)
      jobs.push({ name: "batch", data: { kind: "batch", type: run[0]?.type ?? "", items: run } });
    run = [];
    runBytes = 0;
  };
  for (const { msg, bytes } of batch) {
    if (perJob > 1 && isListed(msg)) {
      if (
        run.length >= perJob ||
        (run.length > 0 && (run[0]?.type !== msg.type || runBytes + bytes > LISTED_JOB_BYTES))
      )
        endRun();
      run.push(msg);
      runBytes += bytes;
      continue;
    }
    endRun();
    jobs.push({ name: msg.kind, data: msg });
  }
  endRun();
  return jobs;
}

/** The `type` label of a message's metrics: a types message concerns no single type. */
function metricType(msg: WatchMessage): string {
  return msg.kind === "types" ? "" : msg.type;
}

/** A type's resourceVersion, due once every message up to `seq` is acked. */
interface Checkpoint {
  readonly seq: number;
  readonly type: string;
  readonly rv: string;
}

interface Pending {
  readonly msg: WatchMessage;
  readonly seq: number;
  readonly at: number;
  readonly bytes: number;
}

export class Enqueuer {
  readonly #o: EnqueuerOptions;
  readonly #backoff: Backoff;
  /** Slots before `#head` are sent and emptied; from `#head` on, every slot holds a message. */
  #buf: (Pending | undefined)[] = [];
  #head = 0;
  #seq = 0;
  #acked = 0;
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #batchBytes: number;
  #failing = false;
  #closing = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #stopLoop = new AbortController();
  #ackWaiters: { seq: number; resolve: () => void }[] = [];
  #writableWaiters: { below: number; done: () => void }[] = [];
  #checkpoints: Checkpoint[] = [];
  #saving: Promise<void> | undefined;
  #saveAgain = false;
  #saveFailedLogged = false;

  constructor(o: EnqueuerOptions) {
    this.#o = o;
    this.#backoff = o.backoff ?? new Backoff({ initialMs: 200, maxMs: 5000 });
    this.#maxBytes = o.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.#batchBytes = o.batchBytes ?? 1024 * 1024;
  }

  get buffered(): number {
    return this.#buf.length - this.#head;
  }

  /** Bytes (`messageBytes`) of the messages Redis has not accepted yet. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** True when the buffer reached a bound: stop reading, relist after `whenWritable()`. */
  get full(): boolean {
    return this.buffered >= this.#o.maxBuffered || this.#bytes >= this.#maxBytes;
  }

  /** Redis rejected the last attempt and has not accepted one since. */
  get failing(): boolean {
    return this.#failing;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Buffer messages in order; returns the sequence number of the last one (see `whenAcked`). */
  push(msgs: readonly WatchMessage[]): number {
    const at = this.#o.clock.now();
    // Counted once per type and op of this push (a list page is one), not once per message.
    const counts = new Map<string, { type: string; op: string; n: number }>();
    for (const msg of msgs) {
      const bytes = messageBytes(msg);
      this.#bytes += bytes;
      this.#buf.push({ msg, seq: ++this.#seq, at, bytes });
      const op = msg.kind === "change" ? msg.op : msg.kind;
      const type = metricType(msg);
      const k = `${type}\u0000${op}`;
      const c = counts.get(k);
      if (c) c.n++;
      else counts.set(k, { type, op, n: 1 });
    }
    for (const { type, op, n } of counts.values()) this.#o.metrics.enqueued.inc({ type, op }, n);
    this.#o.metrics.buffered.set(this.buffered);
    this.#o.metrics.bufferedBytes.set(this.#bytes);
    this.#wake?.();
    return this.#seq;
  }

  /**
   * Records that `type` has queued everything up to resourceVersion `rv`: saved to the resume store
   * only after Redis acked every message pushed so far, so a stored resourceVersion is never ahead of
   * the queue. The save is a separate HSET after the addBulk: a process killed between the two
   * re-delivers at most that last batch on resume, which the committer finds unchanged (a no-op).
   */
  checkpoint(type: string, rv: string): void {
    if (this.#o.resume === undefined || rv === "") return;
    const last = this.#checkpoints[this.#checkpoints.length - 1];
    // a run of events that pushed nothing (unchanged objects, bookmarks) keeps one entry per type
    if (last !== undefined && last.seq === this.#seq && last.type === type) this.#checkpoints.pop();
    this.#checkpoints.push({ seq: this.#seq, type, rv });
    if (this.#seq <= this.#acked) void this.#saveDue();
  }

  /**
   * Saves every checkpoint whose messages are acked, one HSET, last per type wins. One save at a
   * time: a call while one is in flight makes that one go round again.
   */
  #saveDue(): Promise<void> {
    if (this.#saving !== undefined) {
      this.#saveAgain = true;
      return this.#saving;
    }
    this.#saving = (async () => {
      do {
        this.#saveAgain = false;
        await this.#saveOnce();
      } while (this.#saveAgain);
    })().finally(() => {
      this.#saving = undefined;
    });
    return this.#saving;
  }

  async #saveOnce(): Promise<void> {
    const due = new Map<string, string>();
    const keep: Checkpoint[] = [];
    for (const c of this.#checkpoints) {
      if (c.seq <= this.#acked) due.set(c.type, c.rv);
      else keep.push(c);
    }
    this.#checkpoints = keep;
    if (due.size === 0 || this.#o.resume === undefined) return;
    try {
      await this.#o.resume.save(due);
      this.#saveFailedLogged = false;
    } catch (err) {
      // The queue is the truth: a stale checkpoint only means duplicates after a restart.
      this.#o.metrics.errors.inc({ type: "", kind: "resume-save" });
      if (!this.#saveFailedLogged) {
        this.#saveFailedLogged = true;
        this.#o.logger.warn(
          { err },
          "saving watch resume checkpoints failed; a restart may relist or re-send",
        );
      }
    }
  }

  /** Resolves once Redis accepted every message up to `seq`. */
  whenAcked(seq: number): Promise<void> {
    if (this.#acked >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#ackWaiters.push({ seq, resolve }));
  }

  /** Resolves when the buffer drained to half its bound (or at once if it is below), or on abort. */
  whenWritable(signal: AbortSignal): Promise<void> {
    return this.whenBelow(this.#o.maxBuffered / 2, signal);
  }

  /**
   * Resolves when at most `below` messages and half of `maxBufferedBytes` wait (or on abort). Lists use
   * a low bound so that a fast list does not pile up messages that Redis has not taken yet (they would
   * all outlive the young generation and inflate the heap).
   */
  whenBelow(below: number, signal: AbortSignal): Promise<void> {
    if (this.#isBelow(below) || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      this.#writableWaiters.push({ below, done });
    });
  }

  /**
   * Flush what is buffered for at most `timeoutMs`, then stop and close the queue. Whatever could not
   * be sent is counted as dropped and logged.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    const deadline = this.#o.clock.now() + timeoutMs;
    while (this.buffered > 0 && this.#o.clock.now() < deadline && this.#loop) {
      await this.#o.clock.sleep(Math.min(50, Math.max(1, deadline - this.#o.clock.now())));
    }
    this.#stopLoop.abort();
    this.#wake?.();
    // An addBulk waiting for a connection that never comes must not hold the shutdown.
    const grace = new AbortController();
    await Promise.race([
      this.#loop,
      this.#o.clock.sleep(Math.max(100, deadline - this.#o.clock.now()), grace.signal),
    ]);
    grace.abort();
    if (this.#saving !== undefined) {
      // the last checkpoints: a restart resumes from them (bounded like the flush)
      const saveGrace = new AbortController();
      await Promise.race([this.#saving, this.#o.clock.sleep(500, saveGrace.signal)]);
      saveGrace.abort();
    }
    const lost = this.#buf.slice(this.#head) as Pending[];
    if (lost.length > 0) {
      const byType = new Map<string, number>();
      for (const p of lost) byType.set(metricType(p.msg), (byType.get(metricType(p.msg)) ?? 0) + 1);
      for (const [type, n] of byType) this.#o.metrics.dropped.inc({ type, reason: "shutdown" }, n);
      this.#o.logger.error(
        { lost: lost.length, byType: Object.fromEntries(byType) },
        "watcher stopped with messages Redis did not confirm; the next start resumes from before them or relists",
      );
      this.#buf = [];
      this.#head = 0;
      this.#bytes = 0;
    }
    for (const w of this.#writableWaiters.splice(0)) w.done();
    const closing = this.#o.queue.close().catch((err: unknown) => {
      this.#o.logger.warn({ err }, "closing the queue failed");
    });
    const closeGrace = new AbortController();
    await Promise.race([closing, this.#o.clock.sleep(1000, closeGrace.signal)]);
    closeGrace.abort();
  }

  #isBelow(below: number): boolean {
    return this.buffered <= below && this.#bytes <= this.#maxBytes / 2;
  }

  /** The next batch: up to `batchSize` messages and `batchBytes`, at least one. */
  #nextBatch(): Pending[] {
    const end = Math.min(this.#buf.length, this.#head + this.#o.batchSize);
    let bytes = 0;
    let i = this.#head;
    for (; i < end; i++) {
      const b = (this.#buf[i] as Pending).bytes;
      if (i > this.#head && bytes + b > this.#batchBytes) break;
      bytes += b;
    }
    return this.#buf.slice(this.#head, i) as Pending[];
  }

  async #run(): Promise<void> {
    const signal = this.#stopLoop.signal;
    while (!signal.aborted) {
      if (this.buffered === 0) {
        if (this.#closing) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      // In its own frame: a suspended async frame can keep its last batch alive in a register.
      await this.#sendNextBatch(signal);
    }
  }

  /** Sends one batch, or backs off after a failed attempt; then wakes whoever waits for acks or room. */
  async #sendNextBatch(signal: AbortSignal): Promise<void> {
    const batch = this.#nextBatch();
    const started = this.#o.clock.now();
    try {
      await this.#o.queue
        .addBulk(
          jobsOf(batch, this.#o.listedPerJob ?? LISTED_PER_JOB).map((j) => ({
            ...j,
            opts: this.#o.jobOptions,
          })),
        )
        .catch((err: unknown) => {
          throw new QueueAddError(`adding ${batch.length} messages failed`, batch.length, { cause: err });
        });
    } catch (err) {
      this.#o.metrics.errors.inc({ type: "", kind: "queue" });
      if (!this.#failing) {
        this.#o.logger.warn(
          { err, buffered: this.buffered, maxBuffered: this.#o.maxBuffered },
          "queue unreachable: buffering messages and retrying",
        );
      }
      this.#failing = true;
      await this.#o.clock.sleep(this.#backoff.next(this.#o.clock.now()), signal);
      return;
    }
    const now = this.#o.clock.now();
    if (this.#failing) {
      this.#o.logger.info({ buffered: this.buffered, downForMs: now - started }, "queue reachable again");
      this.#failing = false;
    }
    this.#backoff.reset();
    for (const p of batch)
      this.#o.metrics.queueAddLatency.observe({ type: metricType(p.msg) }, (now - p.at) / 1000);
    // Let go of what Redis accepted now: kept until the next compaction, up to thousands of sent
    // messages (a list's worth of content and sync key sets) stayed on the heap, outside the bound.
    this.#buf.fill(undefined, this.#head, this.#head + batch.length);
    this.#head += batch.length;
    for (const p of batch) this.#bytes -= p.bytes;
    if (this.#head > 1024 && this.#head * 2 > this.#buf.length) {
      this.#buf = this.#buf.slice(this.#head);
      this.#head = 0;
    }
    this.#acked = batch[batch.length - 1]?.seq ?? this.#acked;
    this.#o.metrics.buffered.set(this.buffered);
    this.#o.metrics.bufferedBytes.set(this.#bytes);
    if (this.#checkpoints.length > 0) await this.#saveDue();
    if (this.#ackWaiters.length > 0) {
      const ready = this.#ackWaiters.filter((w) => w.seq <= this.#acked);
      this.#ackWaiters = this.#ackWaiters.filter((w) => w.seq > this.#acked);
      for (const w of ready) w.resolve();
    }
    if (this.#writableWaiters.length > 0) {
      const ready = this.#writableWaiters.filter((w) => this.#isBelow(w.below));
      this.#writableWaiters = this.#writableWaiters.filter((w) => !this.#isBelow(w.below));
      for (const w of ready) w.done();
    }
  }
}
