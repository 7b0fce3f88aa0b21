/**
 * Identity records in Redis, kept briefly so the committer can ask "who made this change?".
 *
 * One sorted set per object, `<prefix>:attribution:<apiGroup>/<resource>/<namespace>/<name>`, scored by
 * the record's time in ms; its members are the records as JSON (nothing but the `IdentityRecord`
 * fields). `deletecollection` records, and creates whose name was still to be generated, live under
 * the name `""`. Every write refreshes the key's expiry and trims records older than the expiry and
 * beyond `maxPerObject`, so a flood into one object cannot grow without bound. The same record written
 * twice (an apiserver retrying a batch) is the same member, so retries do not duplicate.
 */
import type { Redis } from "ioredis";
import type { ChangeOp, Clock, Logger } from "@shiplog/core";
import { isRecord, optionChecks, silentLogger, systemClock } from "@shiplog/core";
import { IdentityStoreError } from "./errors/identity-store-error.js";
import type { IdentityRecord, IdentitySource, IdentityVerb } from "./record.js";
import { IdentitySources, IdentityVerbs } from "./record.js";

export interface IdentityStoreOptions {
  /** A connection the caller owns (and closes). */
  readonly redis: Redis;
  /** The deployment's key prefix; keys are `<prefix>:attribution:...`. */
  readonly prefix: string;
  /**
   * How long a record is kept after the last write to its object.
   * @defaultValue 900000 (15 min)
   */
  readonly ttlMs?: number;
  /**
   * Most records kept per object (the newest win).
   * @defaultValue 256
   */
  readonly maxPerObject?: number;
  /**
   * How far after a change's `observedAt` a record may be timed and still match it (clock skew between
   * the apiserver and shiplog; admission records are timed on arrival).
   * @defaultValue 2000
   */
  readonly skewMs?: number;
  /** @defaultValue core's `systemClock` */
  readonly clock?: Clock;
  /** @defaultValue core's `silentLogger` */
  readonly logger?: Logger;
}

/** The object a change is about, as the watcher keys it (`ResourceKey.group` is `apiGroup`). */
export interface ObjectRef {
  readonly apiGroup: string;
  readonly resource: string;
  /** `""` for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

/** A change as the committer recorded it. */
export interface ObservedChange {
  readonly op: ChangeOp;
  /** The object's resourceVersion in the watch event (for a delete: the deletion's). */
  readonly resourceVersion?: string;
  /** When the watcher observed the change, ms since the epoch. */
  readonly observedAt: number;
}

export const MatchRules = { resourceVersion: "resourceVersion", time: "time" } as const;
export type MatchRule = (typeof MatchRules)[keyof typeof MatchRules];

export interface IdentityMatch {
  readonly record: IdentityRecord;
  /** `resourceVersion`: the record names exactly this write. `time`: the latest compatible request. */
  readonly matchedBy: MatchRule;
}

/** The verbs that can have produced a change of each kind. `scale` writes are updates. */
const COMPATIBLE: Readonly<Record<ChangeOp, ReadonlySet<IdentityVerb>>> = {
  create: new Set<IdentityVerb>(["create"]),
  update: new Set<IdentityVerb>(["update", "patch"]),
  delete: new Set<IdentityVerb>(["delete", "deletecollection"]),
};

export class IdentityStore {
  private readonly redis: Redis;
  private readonly base: string;
  private readonly ttlMs: number;
  private readonly maxPerObject: number;
  private readonly skewMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(opts: IdentityStoreOptions) {
    const check = optionChecks("attribution.store");
    check.require(
      typeof opts.redis === "object" && opts.redis !== null,
      "redis",
      "must be an ioredis client",
    );
    this.redis = opts.redis;
    this.base = `${check.nonEmpty("prefix", opts.prefix)}:attribution:`;
    this.ttlMs = check.int("ttlMs", opts.ttlMs, 15 * 60_000, 1000);
    this.maxPerObject = check.int("maxPerObject", opts.maxPerObject, 256, 1, 100_000);
    this.skewMs = check.int("skewMs", opts.skewMs, 2000, 0, 10 * 60_000);
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * When each source last delivered a record (ms since the epoch), or undefined when none did within
   * the retention. `shiplog doctor` reports it. Throws `IdentityStoreError` when Redis cannot be read.
   */
  async lastSeen(): Promise<Readonly<Record<IdentitySource, number | undefined>>> {
    const sources = Object.values(IdentitySources);
    let values: Array<string | null>;
    try {
      values = await this.redis.mget(...sources.map((s) => this.lastSeenKey(s)));
    } catch (err) {
      throw new IdentityStoreError("reading identity records failed", { cause: err });
    }
    const out: Partial<Record<IdentitySource, number | undefined>> = {};
    sources.forEach((s, i) => {
      const n = Number(values[i] ?? NaN);
      out[s] = Number.isFinite(n) ? n : undefined;
    });
    return out as Record<IdentitySource, number | undefined>;
  }

  /** Not an object key: those always contain "/". */
  private lastSeenKey(source: IdentitySource): string {
    return `${this.base}last:${source}`;
  }

  /**
   * What was already decided about an object's changes (a hash beside its records): `c:<requestId>`
   * = the resourceVersion a record was credited to, `f:<resourceVersion>` = when that change was seen.
   * A record credited to one change is never credited to another, and a record older than an earlier
   * change of the object cannot have made a later one (see `lookup`).
   */
  private claimsKey(ref: ObjectRef): string {
    return `${this.base}claims:${ref.apiGroup}/${ref.resource}/${ref.namespace}/${ref.name}`;
  }

  /**
   * Records the outcome of one change (credited to `record`, or to nobody) so that later changes of
   * the object do not reuse it. Idempotent: the committer may decide a change again after a crash.
   * A change without a resourceVersion is not recorded. Throws `IdentityStoreError` when Redis fails.
   */
  async settle(ref: ObjectRef, change: ObservedChange, record?: IdentityRecord): Promise<void> {
    const rv = change.resourceVersion;
    if (rv === undefined || rv === "") return;
    const key = this.claimsKey(ref);
    const fields: Record<string, string> = { [`f:${rv}`]: String(change.observedAt) };
    // A deletecollection deletes many objects: it is credited to each, never claimed by one.
    if (record !== undefined && record.verb !== "deletecollection") fields[`c:${record.requestId}`] = rv;
    try {
      await this.redis.multi().hset(key, fields).pexpire(key, this.ttlMs).exec();
    } catch (err) {
      throw new IdentityStoreError("storing an attribution outcome failed", { cause: err });
    }
  }

  /** The sorted set of one object (`name: ""` = deletecollection and not-yet-named creates). */
  keyOf(ref: ObjectRef): string {
    return `${this.base}${ref.apiGroup}/${ref.resource}/${ref.namespace}/${ref.name}`;
  }

  /** Writes records (in one MULTI). Throws `IdentityStoreError` when Redis does not take them. */
  async add(records: readonly IdentityRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byKey = new Map<string, Array<[number, string]>>();
    for (const r of records) {
      const score = Date.parse(r.at);
      if (!Number.isFinite(score))
        throw new TypeError(`IdentityStore.add: record ${r.requestId} has no valid time`);
      const key = this.keyOf(r);
      let entries = byKey.get(key);
      if (entries === undefined) byKey.set(key, (entries = []));
      entries.push([score, encodeRecord(r)]);
    }
    const now = this.clock.now();
    const oldest = now - this.ttlMs;
    const tx = this.redis.multi();
    for (const source of new Set(records.map((r) => r.source))) {
      tx.set(this.lastSeenKey(source), String(now), "PX", this.ttlMs);
    }
    for (const [key, entries] of byKey) {
      tx.zadd(key, ...entries.flat());
      tx.zremrangebyscore(key, "-inf", `(${oldest}`);
      tx.zremrangebyrank(key, 0, -(this.maxPerObject + 1));
      tx.pexpire(key, this.ttlMs);
    }
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await tx.exec();
    } catch (err) {
      throw new IdentityStoreError("storing identity records failed", { cause: err });
    }
    if (results === null)
      throw new IdentityStoreError("storing identity records failed: transaction aborted");
    const failed = results.find(([e]) => e !== null);
    if (failed !== undefined)
      throw new IdentityStoreError("storing identity records failed", { cause: failed[0] });
  }

  /**
   * The request that most likely made `change` to `ref`:
   * 1. a record whose resourceVersion is the change's (any verb: a delete of an object with finalizers
   *    shows up as an update with the delete's resourceVersion);
   * 2. else the latest record of the object with a compatible verb (create: create; update: update or
   *    patch, `scale` included; delete: delete, or a deletecollection in the object's namespace) timed
   *    within [observedAt - windowMs, observedAt + skewMs], leaving out records that name another
   *    resourceVersion than a known one of the change, records already credited to another change of
   *    the object, and records timed before the object's latest earlier change that was settled
   *    (`settle`): without them, a change whose own identity never came would be credited to the
   *    previous writer;
   * 3. else undefined.
   * Throws `IdentityStoreError` when Redis cannot be read.
   */
  async lookup(ref: ObjectRef, change: ObservedChange, windowMs: number): Promise<IdentityMatch | undefined> {
    if (!Number.isFinite(windowMs) || windowMs < 0)
      throw new TypeError("IdentityStore.lookup: windowMs must be >= 0");
    const keys = ref.name === "" ? [this.keyOf(ref)] : [this.keyOf(ref), this.keyOf({ ...ref, name: "" })];
    let raw: string[][];
    let claims: Record<string, string>;
    try {
      const pipe = this.redis.pipeline();
      for (const k of keys) pipe.zrange(k, 0, -1);
      pipe.hgetall(this.claimsKey(ref));
      const results = (await pipe.exec()) ?? [];
      const values = results.map(([err, v]) => {
        if (err !== null) throw err;
        return v;
      });
      claims = (values.pop() ?? {}) as Record<string, string>;
      raw = values as string[][];
    } catch (err) {
      throw new IdentityStoreError("reading identity records failed", { cause: err });
    }
    const own = this.decodeAll(raw[0] ?? []);
    const collection = ref.name === "" ? [] : this.decodeAll(raw[1] ?? []);

    const rv =
      change.resourceVersion === undefined || change.resourceVersion === ""
        ? undefined
        : change.resourceVersion;
    if (rv !== undefined) {
      const exact = latest([...own, ...collection].filter((r) => r.resourceVersion === rv));
      if (exact !== undefined) return { record: exact, matchedBy: "resourceVersion" };
    }

    // The latest earlier change of this object that was already decided: a request timed before it
    // made that change or an older one, never this one.
    let fence = -Infinity;
    for (const [field, value] of Object.entries(claims)) {
      if (!field.startsWith("f:") || field === `f:${rv ?? ""}`) continue;
      const seen = Number(value);
      if (Number.isFinite(seen) && seen < change.observedAt && seen > fence) fence = seen;
    }
    const claimedElsewhere = (r: IdentityRecord): boolean => {
      const to = claims[`c:${r.requestId}`];
      return to !== undefined && to !== rv;
    };
    const from = change.observedAt - windowMs;
    const to = change.observedAt + this.skewMs;
    const verbs = COMPATIBLE[change.op];
    const inTime = (r: IdentityRecord): boolean => {
      const t = Date.parse(r.at);
      return t >= from && t > fence && t <= to && (rv === undefined || r.resourceVersion === undefined);
    };
    const candidates = own.filter((r) => verbs.has(r.verb) && inTime(r) && !claimedElsewhere(r));
    if (change.op === "delete")
      candidates.push(...collection.filter((r) => r.verb === "deletecollection" && inTime(r)));
    const best = latest(candidates);
    return best === undefined ? undefined : { record: best, matchedBy: "time" };
  }

  private decodeAll(members: readonly string[]): IdentityRecord[] {
    const out: IdentityRecord[] = [];
    for (const m of members) {
      const r = decodeRecord(m);
      if (r === undefined)
        this.logger.warn({ bytes: m.length }, "attribution: skipped an unreadable identity record");
      else out.push(r);
    }
    return out;
  }
}

/** The latest record by time; on a tie the one stored last. */
function latest(records: readonly IdentityRecord[]): IdentityRecord | undefined {
  let best: IdentityRecord | undefined;
  let bestAt = -Infinity;
  for (const r of records) {
    const t = Date.parse(r.at);
    if (t >= bestAt) {
      best = r;
      bestAt = t;
    }
  }
  return best;
}

/**
 * The record's fields in a fixed order, and nothing else (a caller's extra properties are dropped):
 * the same record always encodes to the same member.
 */
export function encodeRecord(r: IdentityRecord): string {
  const out: IdentityRecord = {
    source: r.source,
    username: r.username,
    groups: [...r.groups],
    ...(r.impersonatedUser === undefined ? {} : { impersonatedUser: r.impersonatedUser }),
    verb: r.verb,
    apiGroup: r.apiGroup,
    resource: r.resource,
    subresource: r.subresource,
    namespace: r.namespace,
    name: r.name,
    ...(r.resourceVersion === undefined ? {} : { resourceVersion: r.resourceVersion }),
    ...(r.userAgent === undefined ? {} : { userAgent: r.userAgent }),
    at: r.at,
    requestId: r.requestId,
  };
  return JSON.stringify(out);
}

const SOURCES: ReadonlySet<unknown> = new Set(Object.values(IdentitySources));
const VERBS: ReadonlySet<unknown> = new Set(Object.values(IdentityVerbs));
const STRINGS = [
  "username",
  "apiGroup",
  "resource",
  "subresource",
  "namespace",
  "name",
  "at",
  "requestId",
] as const;
const OPTIONAL_STRINGS = ["impersonatedUser", "resourceVersion", "userAgent"] as const;

/** A stored member back to a record, or undefined when it is not one. */
function decodeRecord(member: string): IdentityRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(member);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || !SOURCES.has(v["source"]) || !VERBS.has(v["verb"])) return undefined;
  if (!STRINGS.every((k) => typeof v[k] === "string")) return undefined;
  if (!OPTIONAL_STRINGS.every((k) => v[k] === undefined || typeof v[k] === "string")) return undefined;
  const groups = v["groups"];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string")) return undefined;
  if (!Number.isFinite(Date.parse(v["at"] as string))) return undefined;
  return v as unknown as IdentityRecord;
}
