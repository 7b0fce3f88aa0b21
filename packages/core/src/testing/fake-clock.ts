/**
 * A `Clock` whose time moves only when a test says so. Sleeps and timers fire in due order when
 * `advance()` passes their time; `advance()` lets pending promise callbacks run between firings, so
 * code that awaits a sleep and then schedules another one behaves as it would in real time.
 */
import type { Clock, Timer } from "../clock.js";

interface Scheduled {
  readonly id: number;
  at: number;
  readonly fn: () => void;
  readonly every?: number;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #queue: Scheduled[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        timer.cancel();
        resolve();
      };
      const timer = this.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#schedule(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.#schedule(fn, ms, Math.max(1, ms));
  }

  /** Timers and sleeps not yet fired. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Moves time forward by `ms`, firing everything due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (;;) {
      const next = this.#queue.reduce<Scheduled | undefined>(
        (a, s) => (a === undefined || s.at < a.at || (s.at === a.at && s.id < a.id) ? s : a),
        undefined,
      );
      if (next === undefined || next.at > end) break;
      this.#now = Math.max(this.#now, next.at);
      if (next.every !== undefined) next.at += next.every;
      else this.#queue = this.#queue.filter((s) => s !== next);
      next.fn();
      await flush();
    }
    this.#now = end;
    await flush();
  }

  /** Fires whatever is due now (a zero-length advance). */
  tick(): Promise<void> {
    return this.advance(0);
  }

  #schedule(fn: () => void, ms: number, every: number | undefined): Timer {
    const s: Scheduled = {
      id: ++this.#seq,
      at: this.#now + Math.max(0, ms),
      fn,
      ...(every !== undefined ? { every } : {}),
    };
    this.#queue.push(s);
    return {
      cancel: () => {
        this.#queue = this.#queue.filter((x) => x !== s);
      },
    };
  }
}

/** Lets queued promise callbacks (and the ones they queue) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
