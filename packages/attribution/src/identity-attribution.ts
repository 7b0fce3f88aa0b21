/**
 * The committer's author for a change, from the identity store: the real user behind the request
 * that made it, else (after a bounded grace) the fallback, today the field manager. It has the shape
 * of the committer's `AttributionSource` (`authorFor(change)`), so `new Committer({ attribution })`
 * takes it; this package does not import the committer.
 *
 * The wait is bounded per change by an absolute deadline, `observedAt + graceMs`: a window whose
 * changes all miss waits at most `graceMs` past its newest change, not `graceMs` per change.
 */
import type { Author, ChangeMessage, ChangeOp, Clock, Logger } from "@shiplog/core";
import { formatDuration, optionChecks, silentLogger, systemClock } from "@shiplog/core";
import type { IdentityStore, ObjectRef, ObservedChange } from "./identity-store.js";
import type { IdentityRecord } from "./record.js";
import { actingUser } from "./record.js";

export interface IdentityAttributionOptions {
  /** `settle` (optional for stubs) records each outcome so a later change cannot reuse an identity. */
  readonly store: Pick<IdentityStore, "lookup"> & Partial<Pick<IdentityStore, "settle">>;
  /** Who is credited when no identity arrives within the grace (the field manager). */
  readonly fallback: { authorFor(change: ChangeMessage): Author | Promise<Author> };
  /** Email domain for usernames that are not email addresses (`repo.authorDomain`). */
  readonly domain: string;
  /**
   * How long after the watcher observed a change its identity may still arrive (the audit webhook's
   * batch wait plus delivery). @defaultValue 5000
   */
  readonly graceMs?: number;
  /** How often the store is asked again while waiting. @defaultValue 100 */
  readonly pollMs?: number;
  /** How far before `observedAt` a request may lie and still match by time. @defaultValue 30000 */
  readonly windowMs?: number;
  /** Git name and email for a username (the configured mapping); undefined uses the username. */
  readonly mapUser?: (username: string) => { name: string; email: string } | undefined;
  /** Told of every attribution, for metrics. */
  readonly onAttributed?: (result: { source: Author["source"]; matched: boolean; delayMs: number }) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** `listed` (found by a list, made while nobody watched) has no request to wait for. */
const OPS: Readonly<Record<ChangeMessage["op"], ChangeOp | undefined>> = {
  listed: undefined,
  added: "create",
  modified: "update",
  deleted: "delete",
};

/** `alice@example.com` as it is; anything else as a readable, valid local part at `domain`. */
export function emailFor(username: string, domain: string): string {
  if (/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(username)) return username;
  const local = username
    .replace(/^system:serviceaccount:/, "sa.")
    .replace(/[^A-Za-z0-9._+-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 64);
  return `${local === "" ? "unknown" : local}@${domain}`;
}

export class IdentityAttribution {
  private readonly graceMs: number;
  private readonly pollMs: number;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly o: IdentityAttributionOptions) {
    const check = optionChecks("attribution");
    this.graceMs = check.int("graceMs", o.graceMs, 5000, 0);
    this.pollMs = check.int("pollMs", o.pollMs, 100, 1);
    this.windowMs = check.int("windowMs", o.windowMs, 30_000, 0);
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger ?? silentLogger;
  }

  /** Best effort: a failure only means a later change might reuse this one's identity. */
  private async settle(
    ref: ObjectRef,
    observed: ObservedChange,
    path: string,
    record?: IdentityRecord,
  ): Promise<void> {
    try {
      await this.o.store.settle?.(ref, observed, record);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, path }, "recording an attribution outcome failed");
    }
  }

  /**
   * `effect.op === "create"`: the window folded the object's creation and later events into one
   * change; the creator is its author (the later events are often a controller's, written through
   * the status subresource, which no source reports).
   */
  async authorFor(change: ChangeMessage, effect?: { readonly op: ChangeOp }): Promise<Author> {
    const folded = effect?.op === "create" && change.op === "modified";
    const op = folded ? "create" : OPS[change.op];
    if (op === undefined) return this.o.fallback.authorFor(change);
    const observedAt = Date.parse(change.observedAt);
    const deadline = (Number.isFinite(observedAt) ? observedAt : this.clock.now()) + this.graceMs;
    const ref = {
      apiGroup: change.key.group,
      resource: change.key.resource,
      namespace: change.key.namespace,
      name: change.key.name,
    };
    const observed = {
      op,
      resourceVersion: change.resourceVersion,
      observedAt: Number.isFinite(observedAt) ? observedAt : this.clock.now(),
    };
    // A folded create is found by its creation, whose resourceVersion is not the last event's.
    const wanted: ObservedChange = folded ? { op, observedAt: observed.observedAt } : observed;
    let reason = `no identity within ${formatDuration(this.graceMs)}`;
    let storeFailed = false;
    for (;;) {
      let match;
      try {
        match = await this.o.store.lookup(ref, wanted, this.windowMs);
      } catch (err) {
        // Redis down: the change is still committed, under its field manager.
        this.logger.warn({ err: (err as Error).message, path: change.path }, "identity lookup failed");
        reason = "the identity store (Redis) could not be read";
        storeFailed = true;
        break;
      }
      if (match !== undefined) {
        await this.settle(ref, observed, change.path, match.record);
        const { user, impersonator } = actingUser(match.record);
        const mapped = this.o.mapUser?.(user);
        const source = match.record.source;
        this.o.onAttributed?.({
          source,
          matched: true,
          delayMs: Math.max(0, this.clock.now() - observed.observedAt),
        });
        return {
          name: mapped?.name ?? user,
          email: mapped?.email ?? emailFor(user, this.o.domain),
          source,
          username: user,
          ...(impersonator !== undefined ? { impersonator } : {}),
          ...(match.record.userAgent !== undefined ? { userAgent: match.record.userAgent } : {}),
          // A deleted object's last field manager is not its deleter.
          ...(change.op !== "deleted" && change.manager !== undefined && change.manager !== ""
            ? { fieldManager: change.manager }
            : {}),
        };
      }
      if (this.clock.now() >= deadline) break;
      await this.clock.sleep(Math.min(this.pollMs, Math.max(1, deadline - this.clock.now())));
    }
    if (!storeFailed) await this.settle(ref, observed, change.path);
    const fallback: Author = { ...(await this.o.fallback.authorFor(change)), fallbackReason: reason };
    this.o.onAttributed?.({
      source: fallback.source,
      matched: false,
      delayMs: Math.max(0, this.clock.now() - observed.observedAt),
    });
    this.logger.debug(
      { path: change.path, author: fallback.name },
      "no identity within the grace; the field manager is credited",
    );
    return fallback;
  }
}
