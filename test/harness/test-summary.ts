// The one-line summary of a test run. node:test's spec reporter ends each run with counter lines such
// as `ℹ pass 12`, `ℹ fail 0`, `ℹ cancelled 0` and `ℹ skipped 1` (turbo puts `<package>:test: ` before
// each line); a run over several workspaces adds them up. A cancelled test (its suite's `before` hook
// failed, or it timed out) did not pass: it counts as failed.
import { stripVTControlCharacters } from "node:util";

const COUNTER = /ℹ (pass|fail|cancelled|skipped) (\d+)\s*$/;

export class TestSummary {
  passed = 0;
  failed = 0;
  skipped = 0;

  /** Counts `line` when it is one of the reporter's counters; any other line is ignored. */
  add(line: string): void {
    const m = COUNTER.exec(stripVTControlCharacters(line));
    if (!m) return;
    const n = Number(m[2]);
    if (m[1] === "pass") this.passed += n;
    else if (m[1] === "fail" || m[1] === "cancelled") this.failed += n;
    else this.skipped += n;
  }

  /** Something ran and nothing failed. */
  get ok(): boolean {
    return this.passed > 0 && this.failed === 0;
  }

  /** `tests: N passed, N failed, N skipped` */
  line(): string {
    return `tests: ${this.passed} passed, ${this.failed} failed, ${this.skipped} skipped`;
  }
}
