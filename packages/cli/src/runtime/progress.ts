/** A one-line progress bar for TTYs; silent otherwise (logs and CI output stay clean). */
import type { OutputStream } from "../cli-io.js";

export class ProgressBar {
  #last = 0;
  constructor(
    private readonly out: OutputStream,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.out.isTTY === true;
  }

  update(done: number, total: number, label: string, force = false): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.#last < 100) return;
    this.#last = t;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * width);
    const cols = this.out.columns ?? 100;
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${label}`;
    this.out.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 10))}`);
  }

  finish(): void {
    if (this.enabled) this.out.write("\n");
  }
}
