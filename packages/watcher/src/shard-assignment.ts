import { createHash } from "node:crypto";

/**
 * Which watcher replica owns which unit of work (a type, or one server-side shard of a type), as ADR
 * 0047 proposes: rendezvous hashing with bounded loads. Every replica computes the same answer from
 * the same inputs, with no coordinator: the live members and each unit's weight.
 *
 * Units are placed heaviest first (ties by id). Each goes to the first member in its rendezvous order
 * (highest `score(member, unit)`) whose load stays within `loadFactor` times the average load; a unit
 * that fits nowhere goes to the least loaded member (ties again by rendezvous order). When no unit
 * weighs more than `(loadFactor - 1)` times the average, every member ends within the bound: placing
 * a unit of weight w could only fail if every member already held more than `bound - w`, which is more
 * than the total. With an unbounded `loadFactor` this is plain rendezvous hashing, where a member that
 * leaves moves only its own units and a member that joins takes units only from others.
 */
export interface Unit {
  readonly id: string;
  /** Work it stands for, e.g. `weightClass` of its object count; at least 1. */
  readonly weight: number;
}

export interface AssignmentOptions {
  /** Largest load as a multiple of the average (default 1.25); Infinity for plain rendezvous hashing. */
  readonly loadFactor?: number;
}

export const DEFAULT_LOAD_FACTOR = 1.25;

/** Unit id -> member id. Empty when there are no members. */
export function assignUnits(
  members: readonly string[],
  units: readonly Unit[],
  options: AssignmentOptions = {},
): Map<string, string> {
  const loadFactor = options.loadFactor ?? DEFAULT_LOAD_FACTOR;
  if (!(loadFactor >= 1)) throw new RangeError(`loadFactor must be at least 1, got ${loadFactor}`);
  const out = new Map<string, string>();
  const ids = [...new Set(members)].sort();
  if (ids.length === 0) return out;
  const byId = new Map<string, number>();
  for (const u of units) {
    if (!(u.weight >= 1) || !Number.isFinite(u.weight))
      throw new RangeError(`unit ${u.id}: weight must be a finite number of at least 1, got ${u.weight}`);
    byId.set(u.id, u.weight);
  }
  const order = [...byId].sort(([a, wa], [b, wb]) => wb - wa || (a < b ? -1 : a > b ? 1 : 0));
  let total = 0;
  for (const [, w] of order) total += w;
  const bound = (loadFactor * total) / ids.length;
  const load = new Map(ids.map((m) => [m, 0]));
  for (const [unit, weight] of order) {
    const ranked = rank(ids, unit);
    const loadOf = (m: string): number => load.get(m) ?? 0;
    const owner =
      ranked.find((m) => loadOf(m) + weight <= bound) ??
      ranked.reduce((best, m) => (loadOf(m) < loadOf(best) ? m : best));
    load.set(owner, loadOf(owner) + weight);
    out.set(unit, owner);
  }
  return out;
}

/**
 * A unit's weight from its object count, rounded up to a power of two, so that ordinary churn in a
 * type's size does not move it between members.
 */
export function weightClass(objects: number): number {
  if (!(objects > 1)) return 1;
  return 2 ** Math.ceil(Math.log2(objects));
}

/** Members in the unit's rendezvous order: highest score first, ties by member id. */
function rank(members: readonly string[], unit: string): string[] {
  const scored = members.map((m) => ({ m, s: score(m, unit) }));
  scored.sort((a, b) => b.s - a.s || (a.m < b.m ? -1 : a.m > b.m ? 1 : 0));
  return scored.map((x) => x.m);
}

/** 48 bits of SHA-256 over both ids: the same on every replica and every platform. */
function score(member: string, unit: string): number {
  return createHash("sha256").update(member).update("\0").update(unit).digest().readUIntBE(0, 6);
}
