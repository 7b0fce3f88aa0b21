import type { ChangeMessage, WatchMessage } from "@shiplog/core";
import { sameContent, summarizeChange, unifiedDiff } from "@shiplog/core";
import type { PreparedBlob } from "./git/object-db.js";
import { deflateObject, objectId, PackTypes } from "./git/pack-writer.js";
import type { TreeStore } from "./git/tree-store.js";

/** What committing an update of a committed file needs beyond its message, worked out ahead. */
export interface PreparedUpdate {
  /** The committed blob it was compared with; the result holds only while the tree still has it. */
  readonly prevOid: string;
  /** The new content records the same object (`sameContent`): nothing to commit. */
  readonly unchanged: boolean;
  readonly summary: string;
  readonly diff: string;
  /** The new content as a blob; absent when unchanged. */
  readonly blob: PreparedBlob | undefined;
}

export interface ChangePrepOptions {
  readonly tree: Pick<TreeStore, "fileOid">;
  readonly read: (oid: string) => Promise<Buffer>;
  readonly diffMaxLines: number;
  /** Messages waiting to be prepared; more are not prepared (they are worked out at commit). */
  readonly maxQueued?: number;
  /**
   * Bytes of prepared results (diffs, summaries, deflated blobs) kept for the open window; past it,
   * nothing more is prepared. @defaultValue 8 MiB
   */
  readonly maxPreparedBytes?: number;
}

/** Messages prepared between two yields to the event loop. */
const SLICE = 32;

/**
 * Works out, while a window is still open, the expensive part of committing an update: reading the
 * committed file, comparing it, the field-level summary, the diff, and the new blob's id and
 * deflated pack entry. A window of 5,000-10,000 updates took 0.6-1.7 s to commit, most of it this,
 * and the last change of a burst waited for it (issue 14). While a window fills, the committer
 * mostly waits for Redis (40% idle in the burst's profile), so this runs in time it had spare.
 * Only updates of files the tree has are prepared: a create has nothing to compare (the initial
 * sync of a large cluster is all creates, and its memory stays as it was). Results are keyed by the
 * message object (a WeakMap: they go with the job) and checked against the tree at commit time.
 */
export class ChangePrep {
  readonly #o: ChangePrepOptions;
  readonly #done = new WeakMap<ChangeMessage, PreparedUpdate>();
  /** From `#head` on, messages still to prepare; slots before it are emptied. */
  #queue: (ChangeMessage | undefined)[] = [];
  #head = 0;
  #running = false;
  /** What the open window's prepared results hold (approximately: string lengths and buffer sizes). */
  #bytes = 0;

  constructor(o: ChangePrepOptions) {
    this.#o = o;
  }

  /** A message joined the open window. */
  offer(message: WatchMessage): void {
    if (message.kind !== "change" || message.op === "deleted" || typeof message.content !== "string") return;
    if (this.#queue.length - this.#head >= (this.#o.maxQueued ?? 20_000)) return;
    if (this.#bytes >= (this.#o.maxPreparedBytes ?? 8 * 1024 * 1024)) return;
    this.#queue.push(message);
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#drain());
    }
  }

  /** The prepared update of `message`, if it was compared with `prevOid` (what the tree has now). */
  take(message: ChangeMessage | undefined, prevOid: string | undefined): PreparedUpdate | undefined {
    if (message === undefined || prevOid === undefined) return undefined;
    const p = this.#done.get(message);
    return p?.prevOid === prevOid ? p : undefined;
  }

  /**
   * Drop what is still waiting (a window is being committed: it works its changes out itself). The
   * window's prepared results go with its jobs once it is committed.
   */
  clear(): void {
    this.#drop();
    this.#bytes = 0;
  }

  #drop(): void {
    this.#queue = [];
    this.#head = 0;
  }

  async #drain(): Promise<void> {
    try {
      for (let n = 1; this.#head < this.#queue.length; n++) {
        // Taken before the await: a `clear` meanwhile leaves the new queue untouched.
        const m = this.#queue[this.#head];
        this.#queue[this.#head++] = undefined;
        if (m) await this.#prepare(m);
        if (n % SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.#drop();
    } finally {
      this.#running = false;
    }
  }

  async #prepare(m: ChangeMessage): Promise<void> {
    try {
      const prevOid = await this.#o.tree.fileOid(m.path);
      if (prevOid === undefined) return;
      const prevText = (await this.#o.read(prevOid)).toString("utf8");
      const nextText = m.content ?? "";
      if (sameContent(prevText, nextText)) {
        this.#done.set(m, { prevOid, unchanged: true, summary: "", diff: "", blob: undefined });
        return;
      }
      const data = Buffer.from(nextText, "utf8");
      const prepared: PreparedUpdate = {
        prevOid,
        unchanged: false,
        summary: summarizeChange(prevText, nextText).summary,
        // unifiedDiff compares the redacted diff views: never ciphertext or plaintext secret values.
        diff: unifiedDiff(prevText, nextText, m.path, { maxLines: this.#o.diffMaxLines }),
        blob: { oid: objectId(PackTypes.blob, data), size: data.length, deflated: deflateObject(data) },
      };
      this.#bytes +=
        2 * (prepared.summary.length + prepared.diff.length) + (prepared.blob?.deflated.length ?? 0);
      this.#done.set(m, prepared);
    } catch {
      // Worked out at commit time instead, where a failure is reported.
    }
  }
}
