/**
 * When a change window closes: after a quiet period with no new events, or at a maximum length,
 * whichever comes first. Pure: the caller supplies the time.
 *
 * Two clocks: `now` (when the committer received an item) decides when an open window is due, and
 * an item's event time (when the change happened) decides whether it still belongs to the window
 * (`splitsAt`). Live, they agree. For a backlog (after a crash, a Redis outage, a slow commit) the
 * items arrive all at once, and event times still cut them into the windows live processing made;
 * once the backlog is taken (`caughtUp`), the last window is due by its event times too.
 */
export class ChangeWindow<T> {
  private readonly items: T[] = [];
  private openedAt = 0;
  private lastAt = 0;
  private firstEventAt: number | undefined;
  private lastEventAt: number | undefined;

  constructor(
    private readonly quietPeriodMs: number,
    private readonly maxWindowMs: number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get isOpen(): boolean {
    return this.items.length > 0;
  }

  /** When the window was opened (time of its first item). */
  get startedAt(): number {
    return this.openedAt;
  }

  /** `eventAt`: when the item's change happened (ms), if it says. */
  add(item: T, now: number, eventAt?: number): void {
    if (this.items.length === 0) {
      this.openedAt = now;
      this.firstEventAt = undefined;
      this.lastEventAt = undefined;
    }
    this.lastAt = now;
    if (eventAt !== undefined && Number.isFinite(eventAt)) {
      this.firstEventAt = Math.min(this.firstEventAt ?? eventAt, eventAt);
      this.lastEventAt = Math.max(this.lastEventAt ?? eventAt, eventAt);
    }
    this.items.push(item);
  }

  /**
   * True when an item that happened at `eventAt` belongs to a later window: it came a quiet period
   * or more after the window's latest event, or a maximum length after its first.
   */
  splitsAt(eventAt: number | undefined): boolean {
    if (this.items.length === 0 || eventAt === undefined || !Number.isFinite(eventAt)) return false;
    if (this.firstEventAt === undefined || this.lastEventAt === undefined) return false;
    return (
      eventAt >= this.lastEventAt + this.quietPeriodMs || eventAt >= this.firstEventAt + this.maxWindowMs
    );
  }

  /**
   * The time at which the window closes if nothing else arrives; Infinity when empty.
   *
   * `caughtUp` (the queue had nothing more at the last look) adds the event-time rule: the window is
   * also due a quiet period after its latest event, but no sooner than `graceMs` after its latest
   * arrival. A window that opened late, behind a commit of the previous one, then closes when live
   * processing would have closed it, instead of a quiet period after the committer caught up.
   */
  dueAt(caughtUp = false, graceMs = 0): number {
    if (this.items.length === 0) return Number.POSITIVE_INFINITY;
    const byArrival = Math.min(this.lastAt + this.quietPeriodMs, this.openedAt + this.maxWindowMs);
    if (!caughtUp || this.lastEventAt === undefined) return byArrival;
    const byEvent = Math.max(this.lastEventAt + this.quietPeriodMs, this.lastAt + graceMs);
    return Math.min(byArrival, byEvent);
  }

  isDue(now: number, caughtUp = false, graceMs = 0): boolean {
    return now >= this.dueAt(caughtUp, graceMs);
  }

  /** Take all items and empty the window. */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }
}
