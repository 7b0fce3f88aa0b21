/**
 * When a change window closes: after a quiet period with no new events, or at a maximum length,
 * whichever comes first. Pure: the caller supplies the time.
 */
export class ChangeWindow<T> {
  private readonly items: T[] = [];
  private openedAt = 0;
  private lastAt = 0;

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

  add(item: T, now: number): void {
    if (this.items.length === 0) this.openedAt = now;
    this.lastAt = now;
    this.items.push(item);
  }

  /** The time at which the window closes if nothing else arrives; Infinity when empty. */
  dueAt(): number {
    if (this.items.length === 0) return Number.POSITIVE_INFINITY;
    return Math.min(this.lastAt + this.quietPeriodMs, this.openedAt + this.maxWindowMs);
  }

  isDue(now: number): boolean {
    return now >= this.dueAt();
  }

  /** Take all items and empty the window. */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }
}
