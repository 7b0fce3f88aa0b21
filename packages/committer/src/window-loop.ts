import type { Clock } from "@shiplog/core";
import { ChangeWindow } from "./change-window.js";
import { FetchAhead } from "./fetch-ahead.js";

/** Where jobs come from (the `EventConsumer`, whose jobs are `HeldJob`s). */
export interface JobSource<J> {
  /** The next job, locked with `token`; with `block`, waits a while (about a second) for one. */
  next(token: string, block: boolean): Promise<J | undefined>;
}

export interface WindowHooks<J> {
  /** A job joined the open window. */
  received(job: J): void;
  /** The window closed: commit its jobs. Resolves when they are on the branch (or were given up). */
  commit(jobs: J[]): Promise<void>;
}

export interface WindowLoopOptions<J = unknown> {
  readonly quietPeriodMs: number;
  readonly maxWindowMs: number;
  readonly maxWindowEvents: number;
  /**
   * Jobs that record no change of their own (sync and types messages). A window of only such jobs
   * closes as soon as the queue has nothing more, without a quiet period: there is no later change it
   * could be grouped with, and a restart's first window is often just that. Absent: none.
   */
  readonly housekeeping?: (job: J) => boolean;
  /** A window closes once its jobs' `jobBytes` reach this. Absent: no byte bound. */
  readonly maxWindowBytes?: number;
  /** What a job costs in memory (its message's content and paths). */
  readonly jobBytes?: (job: J) => number;
  /** Events a job carries (counted against `maxWindowEvents`). Absent: one each. */
  readonly jobEvents?: (job: J) => number;
  /** With a window open and the queue empty, look again after at most this long. */
  readonly pollIntervalMs: number;
  /** Most fetches in flight at once (see `FetchAhead`). */
  readonly fetchAhead: number;
  readonly clock: Clock;
  /** Prefix of the jobs' lock tokens: one token per window, unique per instance. */
  readonly instanceId: string;
  /**
   * When a job's change happened (ms since the epoch), if it says: windows are cut by these times, so
   * a backlog becomes the commits live processing would have made. Undefined: by arrival only.
   */
  readonly eventTime?: (job: J) => number | undefined;
}

/**
 * Jobs -> change windows. A window opens with its first job and closes after `quietPeriodMs` without
 * a new one, at `maxWindowMs` of age, at `maxWindowEvents` events (`jobEvents`) or `maxWindowBytes`, whichever comes
 * first, or as soon as the queue is empty when it holds only `housekeeping` jobs (fetches in flight may add up to `fetchAhead` jobs past a bound); then it is
 * committed before newer jobs are fetched. Time is the injected clock's; and a fetched job whose event
 * time lies a quiet period after the window's latest event (or a maximum length after its first)
 * closes the window there and opens the next one, so that jobs taken from a backlog are grouped as
 * they were made, not as they were fetched. Once the queue is empty, the window is also due a quiet
 * period after its latest event time (`ChangeWindow.dueAt`): the last window of a burst that
 * outran the committer closes when live processing would have closed it.
 */
export class WindowLoop<J> {
  private tokenSeq = 0;
  private events = 0;

  constructor(private readonly o: WindowLoopOptions<J>) {}

  /** Jobs in the open window (still counted while it is being committed). */
  get windowEvents(): number {
    return this.events;
  }

  /**
   * Run windows until `stop` aborts (the open window is committed first) or `lost` aborts (throws its
   * reason; the open window is abandoned unacknowledged).
   */
  async run(
    source: JobSource<J>,
    hooks: WindowHooks<J>,
    lost: AbortSignal,
    stop: AbortSignal,
  ): Promise<void> {
    const { clock, maxWindowEvents } = this.o;
    const window = new ChangeWindow<J>(this.o.quietPeriodMs, this.o.maxWindowMs);
    const fetch = new FetchAhead(this.o.fetchAhead);
    const maxBytes = this.o.maxWindowBytes ?? Number.POSITIVE_INFINITY;
    // With the queue empty, a window is due a quiet period after its latest event, but no sooner than
    // this after its latest arrival: a margin for a watcher clock behind ours (ADR 0031).
    const grace = Math.min(1000, this.o.quietPeriodMs);
    let bytes = 0;
    /** Events (`jobEvents`) in the open window. */
    let events = 0;
    let onlyHousekeeping = true;
    /** The last fetch found the queue empty. */
    let drained = false;
    let token = this.nextToken();
    try {
      for (;;) {
        lost.throwIfAborted();
        const full = events >= maxWindowEvents || bytes >= maxBytes;
        const settled = drained && onlyHousekeeping; // nothing a later change could join
        if (window.isOpen && (stop.aborted || window.isDue(clock.now(), drained, grace) || full || settled)) {
          await hooks.commit(window.drain());
          bytes = 0;
          events = 0;
          onlyHousekeeping = true;
          drained = false;
          this.events = 0;
          token = this.nextToken();
          continue;
        }
        if (stop.aborted) return;
        const want = fetch.want(window.isOpen, maxWindowEvents - events);
        const block = !window.isOpen;
        const jobs = await Promise.all(Array.from({ length: want }, () => source.next(token, block)));
        let got = 0;
        const fetched = jobs.filter((j): j is NonNullable<typeof j> => j !== undefined);
        for (const job of fetched) hooks.received(job); // all held (locks kept) from now on
        for (const job of fetched) {
          got++;
          const at = this.o.eventTime?.(job);
          if (window.splitsAt(at)) {
            // The rest of this fetch keeps the locks (and tokens) it was taken with.
            await hooks.commit(window.drain());
            bytes = 0;
            events = 0;
            onlyHousekeeping = true;
            lost.throwIfAborted();
            token = this.nextToken();
          }
          window.add(job, clock.now(), at);
          bytes += this.o.jobBytes?.(job) ?? 0;
          events += this.o.jobEvents?.(job) ?? 1;
          if (onlyHousekeeping && this.o.housekeeping?.(job) !== true) onlyHousekeeping = false;
        }
        this.events = events;
        fetch.record(got, want);
        drained = got === 0;
        if (drained && window.isOpen && !onlyHousekeeping) {
          const wait = Math.max(1, Math.min(this.o.pollIntervalMs, window.dueAt(true, grace) - clock.now()));
          await clock.sleep(wait, stop);
        }
      }
    } finally {
      this.events = 0;
    }
  }

  private nextToken(): string {
    return `${this.o.instanceId}:${++this.tokenSeq}`;
  }
}
