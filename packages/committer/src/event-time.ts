/**
 * When a change happened, as the change window cuts windows by it (ADR 0037). Live, the watcher's
 * observation time is the best clock we have (milliseconds, and the window's own clock). A message
 * observed well after the apiserver's own timestamp of the change (`changedAt`, the newest
 * managedFields time, whole seconds) was delivered late: a resumed watch replaying what happened
 * while shiplog was down. Its observation times are all "now", so the server's time is used instead,
 * and the backlog splits into the windows live recording would have made. Listed objects keep their
 * observation time (the list's).
 */
import type { QueuedMessage, WatchMessage } from "@shiplog/core";
import { queuedMessages } from "@shiplog/core";

/** A message observed this much after its `changedAt` counts as delivered late (changedAt is truncated to seconds). */
export const LATE_DELIVERY_MS = 2000;

export function eventTimeOf(m: WatchMessage): number | undefined {
  if (m.kind !== "change") return undefined;
  const observed = Date.parse(m.observedAt);
  // A listed object is the state seen by a list, not a change delivered late: its changedAt is when it
  // was last written (any time in the past), and a list in name order jumps between old and new ones.
  // Cut by those, the initial list of 100,000 objects made 2,678 windows instead of a few.
  if (m.op === "listed") return Number.isFinite(observed) ? observed : undefined;
  const changed = m.changedAt !== undefined ? Date.parse(m.changedAt) : NaN;
  if (Number.isFinite(changed) && (!Number.isFinite(observed) || observed - changed > LATE_DELIVERY_MS))
    return changed;
  return Number.isFinite(observed) ? observed : undefined;
}

/** When a job's change happened: a batch of listed objects (one list page) at its latest item's time. */
export function jobEventTime(m: QueuedMessage): number | undefined {
  if (m.kind !== "batch") return eventTimeOf(m);
  let latest: number | undefined;
  for (const item of queuedMessages(m)) {
    const t = eventTimeOf(item);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}
