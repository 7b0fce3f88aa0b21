import type { Redis } from "ioredis";
import type { PublishedCommit } from "@shiplog/core";
import { isRecord } from "@shiplog/core";

/** The first parents walked back from the head to order the outbox (ADR 0034). */
export const OUTBOX_WALK_LIMIT = 1000;

/** The part of the repository the outbox needs: the parents of a commit, and reachability. */
export interface CommitGraph {
  /** Raw commit objects (`parent <sha>` lines are read from them). */
  readonly objects: { read(sha: string): Promise<Buffer> };
  /** True if `ancestor` is reachable from `descendant` (or equal). */
  contains(descendant: string, ancestor: string): Promise<boolean>;
}

/** The first parent of a raw commit object, or null for a root commit. */
export function firstParent(raw: Buffer): string | null {
  const header = raw.toString("latin1", 0, Math.min(raw.length, 200));
  const m = /\nparent ([0-9a-f]{40})\n/.exec(header);
  return m?.[1] ?? null;
}

/**
 * Commits on the branch whose alert is not yet on the notifier's queue: a Redis hash `sha -> payload`
 * written once the commit is on the branch and before its jobs are acknowledged, and emptied once the
 * commit is on the queue (see docs/adr/0034-no-lost-alert.md). Survives a crash of the committer.
 */
export class CommitOutbox {
  constructor(
    private readonly redis: Redis,
    /** Redis hash, under the deployment's prefix and per repo and branch. */
    readonly key: string,
  ) {}

  async put(commits: readonly PublishedCommit[]): Promise<void> {
    if (commits.length === 0) return;
    await this.redis.hset(this.key, Object.fromEntries(commits.map((c) => [c.sha, JSON.stringify(c)])));
  }

  async remove(shas: readonly string[]): Promise<void> {
    if (shas.length > 0) await this.redis.hdel(this.key, ...shas);
  }

  /** The newest commit known to be on the notifier's queue (or the head at the first run), if any. */
  async lastPublished(): Promise<string | null> {
    return this.redis.get(`${this.key}:last-published`);
  }

  async setLastPublished(sha: string): Promise<void> {
    await this.redis.set(`${this.key}:last-published`, sha);
  }

  /** Every entry; a malformed one is returned as undefined (and dropped by `pending`). */
  async all(): Promise<Map<string, PublishedCommit | undefined>> {
    const raw = await this.redis.hgetall(this.key);
    const out = new Map<string, PublishedCommit | undefined>();
    for (const [sha, json] of Object.entries(raw)) out.set(sha, parseEntry(sha, json));
    return out;
  }

  /**
   * The entries to publish after a restart, oldest first: those reachable from `head`. Entries that are
   * not (a ref update that failed or was rebuilt on a moved branch) are removed and reported in
   * `dropped`. Order: first parents walked back from `head` (at most `OUTBOX_WALK_LIMIT`), then any
   * older reachable entry by commit time.
   */
  async pending(
    graph: CommitGraph,
    head: string | null,
  ): Promise<{ commits: PublishedCommit[]; dropped: string[] }> {
    const entries = await this.all();
    if (entries.size === 0) return { commits: [], dropped: [] };
    const order = new Map<string, number>();
    let at = head;
    for (let i = 0; at !== null && i < OUTBOX_WALK_LIMIT && order.size < entries.size; i++) {
      if (entries.has(at)) order.set(at, i);
      at = firstParent(await graph.objects.read(at));
    }
    const keep: PublishedCommit[] = [];
    const dropped: string[] = [];
    for (const [sha, commit] of entries) {
      const reachable =
        commit !== undefined &&
        head !== null &&
        (order.has(sha) || (await graph.contains(head, sha).catch(() => false)));
      if (reachable) keep.push(commit);
      else dropped.push(sha);
    }
    await this.remove(dropped);
    const depth = (c: PublishedCommit) => order.get(c.sha) ?? Number.MAX_SAFE_INTEGER;
    keep.sort((a, b) => depth(b) - depth(a) || a.committedAt.localeCompare(b.committedAt));
    return { commits: keep, dropped };
  }
}

function parseEntry(sha: string, json: string): PublishedCommit | undefined {
  try {
    const v: unknown = JSON.parse(json);
    return isRecord(v) && v["sha"] === sha && Array.isArray(v["changes"])
      ? (v as unknown as PublishedCommit)
      : undefined;
  } catch {
    return undefined;
  }
}
