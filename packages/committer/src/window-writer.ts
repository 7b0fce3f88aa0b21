import type { Author, ChangeOp, PublishedChange } from "@shiplog/core";
import { parsePath, sameContent, summarizeChange, unifiedDiff } from "@shiplog/core";
import type { AttributionSource } from "./attribution.js";
import type { ChangePrep } from "./change-prep.js";
import { commitMessage, commitSubject, TYPE_GONE_TEXT } from "./commit-message.js";
import type { MessageChange } from "./commit-message.js";
import { objectId, PackTypes } from "./git/pack-writer.js";
import { mapChunked } from "./map-chunked.js";
import { DEFAULT_PUBLISHED_DIFF_BYTES, DIFF_OMITTED } from "./published-size.js";
import type { PreparedBlob } from "./git/object-db.js";
import type { GitRepo } from "./git/repo.js";
import type { TreeStore } from "./git/tree-store.js";
import type { CollapsedChange, WindowPlan } from "./window-plan.js";

/** A commit written (not yet on the branch: the caller moves the ref once for the whole window). */
export interface WrittenCommit {
  readonly sha: string;
  readonly author: Author;
  readonly subject: string;
  readonly committedAt: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly changes: PublishedChange[];
}

export interface WindowWriteResult {
  readonly commits: WrittenCommit[];
  /** Head after the window (unchanged if nothing differed from the tree). */
  readonly head: string | null;
  /** Changes that turned out identical to what is committed (replays, relists). */
  readonly unchanged: number;
}

export interface WindowWriterOptions {
  readonly cluster: string;
  readonly committer: { readonly name: string; readonly email: string };
  readonly shiplog: Author;
  readonly attribution: AttributionSource;
  readonly diffMaxLines: number;
  readonly now: () => number;
  /** Updates worked out while the window was open (`ChangePrep`); absent: none. */
  readonly prepared?: Pick<ChangePrep, "take">;
}

interface Effective {
  readonly change: CollapsedChange;
  readonly op: ChangeOp;
  readonly blob: string | null;
  /** Content of `blob`, still to be written (worked out ahead for a prepared update). */
  readonly data: Buffer | PreparedBlob | undefined;
  /** The committed blob this change replaces (its diff's old side). */
  readonly prevOid: string | undefined;
  /** Its content, read once for the comparison and kept for the diff. */
  readonly prevText: string | undefined;
  /** The diff, when it was worked out ahead. */
  readonly diff: string | undefined;
  readonly nextText: string | undefined;
  readonly published: PublishedChange;
  readonly message: MessageChange;
  readonly author: Author;
  readonly eventTimeMs: number;
}

function eventTime(c: CollapsedChange, fallback: number): number {
  const t = Date.parse(c.last?.changedAt ?? c.last?.observedAt ?? "");
  return Number.isFinite(t) ? t : fallback;
}

/**
 * Turns a planned window into commits: one per author, ordered by each author's first event. Writes
 * blobs, trees (through the TreeStore, which adopts each commit's tree) and commit objects; does not
 * move the branch.
 */
export class WindowWriter {
  constructor(
    private readonly repo: GitRepo,
    private readonly tree: TreeStore,
    private readonly opts: WindowWriterOptions,
  ) {}

  async write(plan: WindowPlan, head: string | null): Promise<WindowWriteResult> {
    const now = this.opts.now();
    const effective = (await mapChunked(plan.changes, (c) => this.evaluate(c, now))).filter(
      (e): e is Effective => e !== undefined,
    );
    const unchanged = plan.changes.length - effective.length;
    if (effective.length === 0) return { commits: [], head, unchanged };
    // All of the window's new blobs at once: a large window becomes one packfile.
    const pending = effective.flatMap((e) => (e.data === undefined ? [] : [e.data]));
    await this.repo.objects.writeBlobs(pending);

    const groups = new Map<string, Effective[]>();
    for (const e of effective) {
      const key = `${e.author.name}\0${e.author.email}`;
      const g = groups.get(key);
      if (g) g.push(e);
      else groups.set(key, [e]);
    }
    const ordered = [...groups.values()].sort(
      (a, b) => (a[0]?.change.firstSeq ?? 0) - (b[0]?.change.firstSeq ?? 0),
    );
    const windowStart = plan.firstObserved ?? new Date(now).toISOString();
    const windowEnd = plan.lastObserved ?? new Date(now).toISOString();
    const commits: WrittenCommit[] = [];
    let parent = head;
    for (const group of ordered) {
      const first = group[0];
      if (!first) continue;
      const staged = await this.tree.stage(new Map(group.map((e) => [e.change.path, e.blob])));
      const messages = group.map((e) => e.message);
      const message = commitMessage(messages, {
        cluster: this.opts.cluster,
        windowStart,
        windowEnd,
        // shiplog's own commits (vanished objects, snapshots) name no person.
        authors: group.map((e) => e.author).filter((a) => a !== this.opts.shiplog),
      });
      const committedAt = this.opts.now();
      const sha = await this.repo.writeCommit({
        tree: staged.rootOid,
        parents: parent === null ? [] : [parent],
        author: {
          name: first.author.name,
          email: first.author.email,
          timeMs: Math.max(...group.map((e) => e.eventTimeMs)),
        },
        committer: { ...this.opts.committer, timeMs: committedAt },
        message,
      });
      this.tree.adopt(staged);
      parent = sha;
      commits.push({
        sha,
        author: first.author,
        subject: commitSubject(messages),
        committedAt: new Date(committedAt).toISOString(),
        windowStart,
        windowEnd,
        changes: this.withDiffs(group),
      });
    }
    return { commits, head: parent, unchanged };
  }

  /**
   * The group's published changes with their unified diffs, in order, while they fit the published
   * commit's budget (`limitDiffs`' rule); the rest carry the omitted note and are never computed, so
   * a window of 50,000 changes builds ~1 MiB of diffs per commit, not 50,000 diffs.
   */
  private withDiffs(group: readonly Effective[]): PublishedChange[] {
    let left = DEFAULT_PUBLISHED_DIFF_BYTES;
    let over = false;
    const out: PublishedChange[] = [];
    for (const e of group) {
      if (over) {
        out.push({ ...e.published, diff: DIFF_OMITTED });
        continue;
      }
      // unifiedDiff compares the redacted diff views: never ciphertext or plaintext secret values.
      const diff =
        e.diff ??
        unifiedDiff(e.prevText ?? "", e.nextText ?? "", e.change.path, { maxLines: this.opts.diffMaxLines });
      if (diff.length <= left) {
        left -= diff.length;
        out.push({ ...e.published, diff });
      } else {
        over = true;
        out.push({ ...e.published, diff: DIFF_OMITTED });
      }
    }
    return out;
  }

  /** Compare one collapsed change with the committed tree; undefined if it changes nothing. */
  private async evaluate(change: CollapsedChange, now: number): Promise<Effective | undefined> {
    const prevOid = await this.tree.fileOid(change.path);
    const prepared = change.deleted ? undefined : this.opts.prepared?.take(change.last, prevOid);
    if (prepared?.unchanged === true) return undefined;
    const prevText =
      prevOid === undefined || prepared !== undefined
        ? undefined
        : (await this.repo.objects.read(prevOid)).toString("utf8");
    let op: ChangeOp;
    let blob: string | null;
    let data: Buffer | PreparedBlob | undefined;
    let nextText: string | undefined;
    if (change.deleted) {
      if (prevOid === undefined) return undefined;
      op = "delete";
      blob = null;
    } else {
      nextText = change.last?.content ?? "";
      if (prevText !== undefined && sameContent(prevText, nextText)) return undefined;
      if (prepared?.blob) {
        data = prepared.blob;
        blob = prepared.blob.oid;
      } else {
        const bytes = Buffer.from(nextText, "utf8");
        data = bytes;
        blob = objectId(PackTypes.blob, bytes);
      }
      if (blob === prevOid) return undefined;
      op = prevOid === undefined ? "create" : "update";
    }
    const where = parsePath(change.path);
    const namespace = where?.namespace ?? change.last?.key.namespace ?? "";
    const name = where?.name ?? change.last?.key.name ?? change.path;
    const type = where?.type ?? change.type;
    // Only an update needs both files parsed: a create or delete says so (for 50,000 created files
    // parsing them was most of a window's commit time, issue 14).
    const summary =
      change.typeGone !== undefined
        ? TYPE_GONE_TEXT[change.typeGone]
        : change.vanished
          ? "vanished while not watched"
          : op === "create"
            ? "created"
            : op === "delete"
              ? "deleted"
              : (prepared?.summary ?? summarizeChange(prevText, nextText).summary);
    const author =
      change.vanished || change.last === undefined
        ? this.opts.shiplog
        : await this.opts.attribution.authorFor(change.last, { op });
    const labels = change.last?.labels;
    const published: PublishedChange = {
      op,
      type,
      kind: change.last?.key.kind ?? "",
      namespace,
      name,
      path: change.path,
      ...(labels ? { labels } : {}),
      summary,
      updates: change.updates,
      // filled in by `withDiffs`, within the published commit's budget
      diff: "",
      ...(change.vanished ? { vanished: true } : {}),
    };
    return {
      change,
      op,
      blob,
      data,
      prevOid,
      prevText,
      diff: prepared?.diff,
      nextText,
      published,
      message: {
        op,
        type,
        namespace,
        name,
        updates: change.updates,
        summary,
        vanished: change.vanished,
        typeGone: change.typeGone,
        gap: change.gap,
      },
      author,
      eventTimeMs: eventTime(change, now),
    };
  }
}
