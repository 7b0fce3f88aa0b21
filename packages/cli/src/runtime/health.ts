/**
 * Liveness of a pipeline process: is each stage making progress while it has work? `/healthz` answers
 * 503 with the reason when a stage has been stuck for longer than `stuckAfterMs`, so that Kubernetes
 * restarts a wedged process instead of leaving it green while the queue grows.
 */
import type { CommitterStatus } from "@shiplog/committer";
import type { WatcherStatus } from "@shiplog/watcher";
import { Defaults } from "@shiplog/core";

/** 5 minutes: longer than any window, lock expiry or backoff step, short enough to restart a wedge. */
export const DEFAULT_STUCK_AFTER_MS = Defaults.stuckAfterMs;

/** What the committer stage looks like from outside; `CommitterStatus` plus the queue's backlog. */
export interface CommitterProbe {
  readonly status: Pick<
    CommitterStatus,
    "state" | "windowEvents" | "lastProgressAt" | "lastError" | "loopFailed"
  >;
  /** Events waiting in (or held from) the queue, as last counted; undefined when unknown. */
  readonly queued: number | undefined;
}

export interface HealthInput {
  readonly now: number;
  readonly committer?: CommitterProbe | undefined;
  readonly watcher?: Pick<WatcherStatus, "types"> | undefined;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Why not, when not healthy. */
  readonly reason?: string;
}

/** Reflector states in which a type makes no progress of its own (listing that never ends, backoff). */
const STALLED_REFLECTOR_STATES: ReadonlySet<string> = new Set(["pending", "listing", "backoff"]);

function minutes(ms: number): string {
  return `${Math.round(ms / 6000) / 10} min`;
}

/**
 * Remembers since when each stage has been without progress and judges health from one observation.
 * Pure apart from that memory: `now` comes in with the statuses, nothing reads a clock.
 */
export class HealthTracker {
  /** When work was first seen waiting with no committer progress since. */
  #committerWaitingSince: number | undefined;
  /** type -> when it was first seen in a stalled state (reset by any other state). */
  readonly #stalledSince = new Map<string, number>();

  constructor(private readonly stuckAfterMs: number = DEFAULT_STUCK_AFTER_MS) {
    if (!Number.isSafeInteger(stuckAfterMs) || stuckAfterMs <= 0)
      throw new RangeError(`stuckAfterMs must be a positive integer (got ${stuckAfterMs})`);
  }

  observe(input: HealthInput): HealthVerdict {
    const reasons = [this.#committer(input), ...this.#watcher(input)].filter(
      (r): r is string => r !== undefined,
    );
    return reasons.length === 0 ? { healthy: true } : { healthy: false, reason: reasons.join("; ") };
  }

  #committer({ now, committer }: HealthInput): string | undefined {
    if (!committer) return undefined;
    const s = committer.status;
    if (s.loopFailed) return `committer stopped committing: ${s.lastError ?? "its loop ended"}`;
    // Waiting for the lock is a standby's normal state; another instance does the work.
    const work = s.state === "running" && (s.windowEvents > 0 || (committer.queued ?? 0) > 0);
    if (!work) {
      this.#committerWaitingSince = undefined;
      return undefined;
    }
    const progress = s.lastProgressAt === undefined ? Number.NaN : Date.parse(s.lastProgressAt);
    this.#committerWaitingSince ??= now;
    const since = Number.isFinite(progress)
      ? Math.max(progress, this.#committerWaitingSince)
      : this.#committerWaitingSince;
    if (now - since <= this.stuckAfterMs) return undefined;
    const waiting = committer.queued ?? s.windowEvents;
    const error = s.lastError !== undefined ? ` (last error: ${s.lastError})` : "";
    return `committer made no progress for ${minutes(now - since)} with ${waiting} events waiting${error}`;
  }

  #watcher({ now, watcher }: HealthInput): string[] {
    if (!watcher) return [];
    const seen = new Set<string>();
    const out: string[] = [];
    for (const t of watcher.types) {
      seen.add(t.type);
      if (!STALLED_REFLECTOR_STATES.has(t.state)) {
        this.#stalledSince.delete(t.type);
        continue;
      }
      const since = this.#stalledSince.get(t.type) ?? now;
      this.#stalledSince.set(t.type, since);
      if (now - since > this.stuckAfterMs) {
        const error = t.lastError !== undefined ? ` (last error: ${t.lastError})` : "";
        out.push(`watcher: ${t.type} ${t.state} for ${minutes(now - since)}${error}`);
      }
    }
    for (const type of this.#stalledSince.keys()) if (!seen.has(type)) this.#stalledSince.delete(type);
    return out;
  }
}
