import type { ChangeMessage, ChangeOp, WatchMessage } from "@shiplog/core";
import { Defaults, parsePath, sameContent, summarizeChange } from "@shiplog/core";
import { shiplogAuthor } from "./attribution.js";
import { commitMessage, commitSubject, TYPE_GONE_TEXT } from "./commit-message.js";
import type { MessageChange } from "./commit-message.js";
import { RefMovedError } from "./errors/ref-moved-error.js";
import { invalidPathReason } from "./git/paths.js";
import { objectId, PackTypes } from "./git/pack-writer.js";
import type { GitRepo } from "./git/repo.js";
import { TreeStore } from "./git/tree-store.js";
import type { TypeGoneReason } from "./window-plan.js";
import { planWindow } from "./window-plan.js";

export interface SnapshotOptions {
  /** Cluster name for the `Shiplog-Cluster` trailer. */
  readonly cluster: string;
  /** @defaultValue `Defaults.authorDomain` ("shiplog.local") */
  readonly authorDomain?: string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /**
   * Times the snapshot is rebuilt on a branch that moved meanwhile (a running committer committed)
   * before it gives up with `RefMovedError`. @defaultValue 5
   */
  readonly maxRebuilds?: number;
  /**
   * New blobs are written to the object store (one packfile per batch) once this many bytes of them
   * are pending, so a snapshot holds at most this much content. @defaultValue 8 MiB
   */
  readonly flushBytes?: number;
}

export interface SnapshotInput extends SnapshotOptions {
  /**
   * A full listing: `listed` change messages, then one sync message per listed type (files of that
   * type not in its key set are deleted as vanished).
   */
  readonly messages: readonly WatchMessage[];
}

/** One file the snapshot commit changes (the same facts as a line of its message). */
export interface SnapshotChange {
  readonly op: ChangeOp;
  readonly type: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
  readonly summary: string;
  readonly vanished?: boolean;
  readonly typeGone?: TypeGoneReason;
}

export interface SnapshotCommit {
  readonly sha: string;
  readonly subject: string;
  readonly committedAt: string;
  readonly changes: readonly SnapshotChange[];
}

export interface SnapshotResult {
  /** The new commit, or undefined when the listing equals the branch. */
  readonly commit: SnapshotCommit | undefined;
  readonly head: string | null;
  /** Listed objects whose file already held the same content. */
  readonly unchanged: number;
  /** Messages not used, with why (`seq` is the order in which they were added). */
  readonly skipped: readonly { readonly seq: number; readonly reason: string }[];
}

const DEFAULT_FLUSH_BYTES = 8 * 1024 * 1024;

/**
 * A snapshot written as the listing streams in (ADR 0039): each listed object's content becomes a
 * blob at once (pending blobs are flushed as a packfile every `flushBytes`), and only its path and blob
 * id are kept. `finish` deletes what the sync messages say vanished, writes the trees and one commit
 * (authored by shiplog) and moves the branch by compare-and-swap. Memory is bounded by the number of
 * paths (about 150 bytes each), not by the content.
 *
 * Safe while a committer runs on the same branch: if the branch moved, the snapshot is compared again
 * with the new head from the kept blob ids (the content is read back from the object store only for
 * files that differ) and committed on top of it.
 */
export class SnapshotWriter {
  /** Path -> blob id of its listed content (or of the committed blob it is equivalent to). */
  private readonly listed = new Map<string, string>();
  /** What `add` found changed against the head it started from: path -> op and summary. */
  private readonly changed = new Map<string, { op: ChangeOp; summary: string }>();
  private readonly others: { seq: number; message: WatchMessage }[] = [];
  private readonly skipped: { seq: number; reason: string }[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private firstObserved: string | undefined;
  private lastObserved: string | undefined;
  private finished = false;

  private constructor(
    private readonly repo: GitRepo,
    private readonly opts: SnapshotOptions,
    private readonly startHead: string | null,
    private readonly tree: TreeStore,
  ) {}

  /** Begin a snapshot on the branch head as it is now. */
  static async start(repo: GitRepo, opts: SnapshotOptions): Promise<SnapshotWriter> {
    const head = await repo.head();
    return new SnapshotWriter(repo, opts, head, new TreeStore(repo.objects, await repo.treeOf(head)));
  }

  /** Listed objects so far. */
  get objects(): number {
    return this.listed.size;
  }

  /** Add one message: a listed object (change) now, a sync or types message at `finish`. */
  async add(message: WatchMessage): Promise<void> {
    if (this.finished) throw new Error("SnapshotWriter: add after finish");
    const seq = this.seq++;
    if (message.kind !== "change") {
      this.others.push({ seq, message });
      return;
    }
    const problem = changeProblem(message);
    if (problem !== undefined) {
      this.skipped.push({ seq, reason: problem });
      return;
    }
    this.observe(message);
    const path = message.path;
    if (message.op === "deleted") {
      // a listing has no deletions; a deleted object is absent from the sync's key set
      this.listed.delete(path);
      this.changed.delete(path);
      return;
    }
    const text = message.content ?? "";
    const data = Buffer.from(text, "utf8");
    const oid = objectId(PackTypes.blob, data);
    const prevOid = await this.tree.fileOid(path);
    this.changed.delete(path);
    if (oid === prevOid) {
      this.listed.set(path, oid);
      return;
    }
    const prevText = prevOid === undefined ? undefined : await this.readText(prevOid);
    if (prevOid !== undefined && prevText !== undefined && sameContent(prevText, text)) {
      // re-encrypted, same values: the committed blob stands for the listed content
      this.listed.set(path, prevOid);
      return;
    }
    this.listed.set(path, oid);
    this.changed.set(path, summarize(prevText, text));
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= (this.opts.flushBytes ?? DEFAULT_FLUSH_BYTES)) await this.flush();
  }

  /** Write the commit and move the branch; throws `RefMovedError` after `maxRebuilds` lost races. */
  async finish(): Promise<SnapshotResult> {
    if (this.finished) throw new Error("SnapshotWriter: finish called twice");
    this.finished = true;
    await this.flush();
    const maxRebuilds = this.opts.maxRebuilds ?? 5;
    let tree = this.tree;
    let head = this.startHead;
    let changed = this.changed;
    for (let rebuilds = 0; ; rebuilds++) {
      const now = await this.repo.head();
      if (now !== head) {
        head = now;
        tree = new TreeStore(this.repo.objects, await this.repo.treeOf(head));
        changed = await this.compare(tree);
      }
      try {
        return await this.commitOn(head, tree, changed);
      } catch (err) {
        if (!(err instanceof RefMovedError) || rebuilds >= maxRebuilds) throw err;
      }
    }
  }

  private async commitOn(
    head: string | null,
    tree: TreeStore,
    changed: ReadonlyMap<string, { op: ChangeOp; summary: string }>,
  ): Promise<SnapshotResult> {
    const plan = await planWindow(this.others, tree);
    const files = new Map<string, string | null>();
    // One object per changed file serves as the result's change and as its line in the message.
    const changes: (SnapshotChange & MessageChange)[] = [];
    for (const [path, c] of changed) {
      const oid = this.listed.get(path);
      if (oid === undefined) continue;
      files.set(path, oid);
      changes.push({ ...where(path), path, op: c.op, summary: c.summary, updates: 1, vanished: false });
    }
    for (const c of plan.changes) {
      // only deletions come from sync and types messages; a listed object is never deleted
      if (!c.deleted || this.listed.has(c.path) || (await tree.fileOid(c.path)) === undefined) continue;
      files.set(c.path, null);
      changes.push({
        ...where(c.path, c.type),
        path: c.path,
        op: "delete",
        summary: c.typeGone !== undefined ? TYPE_GONE_TEXT[c.typeGone] : "vanished while not watched",
        updates: 1,
        vanished: c.vanished,
        ...(c.typeGone !== undefined ? { typeGone: c.typeGone } : {}),
      });
    }
    const skipped = [...this.skipped, ...plan.skipped].sort((a, b) => a.seq - b.seq);
    const unchanged = this.listed.size - changed.size;
    if (changes.length === 0) return { commit: undefined, head, unchanged, skipped };

    const now = this.opts.now ?? Date.now;
    const shiplog = shiplogAuthor(this.opts.authorDomain ?? Defaults.authorDomain);
    const at = now();
    const staged = await tree.stage(files);
    const sha = await this.repo.writeCommit({
      tree: staged.rootOid,
      parents: head === null ? [] : [head],
      author: { name: shiplog.name, email: shiplog.email, timeMs: at },
      committer: { name: shiplog.name, email: shiplog.email, timeMs: at },
      message: commitMessage(changes, {
        cluster: this.opts.cluster,
        windowStart: this.firstObserved ?? new Date(at).toISOString(),
        windowEnd: this.lastObserved ?? new Date(at).toISOString(),
      }),
    });
    await this.repo.updateRef(sha, head, "shiplog: snapshot");
    tree.adopt(staged);
    return {
      commit: { sha, subject: commitSubject(changes), committedAt: new Date(at).toISOString(), changes },
      head: sha,
      unchanged,
      skipped,
    };
  }

  /** Compare every listed file with `tree` (a head that moved), reading blobs only where ids differ. */
  private async compare(tree: TreeStore): Promise<Map<string, { op: ChangeOp; summary: string }>> {
    const out = new Map<string, { op: ChangeOp; summary: string }>();
    for (const [path, oid] of this.listed) {
      const prevOid = await tree.fileOid(path);
      if (prevOid === oid) continue;
      const text = await this.readText(oid);
      const prevText = prevOid === undefined ? undefined : await this.readText(prevOid);
      if (prevText !== undefined && sameContent(prevText, text)) continue;
      out.set(path, summarize(prevText, text));
    }
    return out;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const blobs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.repo.objects.writeBlobs(blobs);
  }

  private async readText(oid: string): Promise<string> {
    return (await this.repo.objects.read(oid)).toString("utf8");
  }

  private observe(m: ChangeMessage): void {
    const t = m.observedAt;
    if (typeof t !== "string") return;
    if (this.firstObserved === undefined || t < this.firstObserved) this.firstObserved = t;
    if (this.lastObserved === undefined || t > this.lastObserved) this.lastObserved = t;
  }
}

function summarize(prevText: string | undefined, text: string): { op: ChangeOp; summary: string } {
  if (prevText === undefined) return { op: "create", summary: "created" };
  return { op: "update", summary: summarizeChange(prevText, text).summary };
}

function where(path: string, type = ""): { type: string; namespace: string; name: string } {
  const p = parsePath(path);
  return { type: p?.type ?? type, namespace: p?.namespace ?? "", name: p?.name ?? path };
}

function changeProblem(m: ChangeMessage): string | undefined {
  if (typeof m.path !== "string") return "change.path missing";
  const bad = invalidPathReason(m.path);
  if (bad) return `change.path ${JSON.stringify(m.path)}: ${bad}`;
  if (m.op !== "deleted" && typeof m.content !== "string") return `change.content missing for op ${m.op}`;
  return undefined;
}

/**
 * Write one commit (authored by shiplog) that makes the branch equal a full listing, without Redis:
 * `SnapshotWriter` over a list of messages already in memory (tests, small listings). `shiplog
 * snapshot` streams into a `SnapshotWriter` instead.
 */
export async function commitSnapshot(repo: GitRepo, input: SnapshotInput): Promise<SnapshotResult> {
  const writer = await SnapshotWriter.start(repo, input);
  for (const m of input.messages) await writer.add(m);
  return writer.finish();
}
