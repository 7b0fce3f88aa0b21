import type { PublishedCommit, WatchMessage } from "@shiplog/core";
import { Defaults } from "@shiplog/core";
import { shiplogAuthor } from "./attribution.js";
import { RefMovedError } from "./errors/ref-moved-error.js";
import type { GitRepo } from "./git/repo.js";
import { TreeStore } from "./git/tree-store.js";
import { planWindow } from "./window-plan.js";
import { WindowWriter } from "./window-writer.js";

export interface SnapshotInput {
  /** Cluster name for the `Shiplog-Cluster` trailer. */
  readonly cluster: string;
  /**
   * A full listing: `listed` change messages, then one sync message per listed type (files of that
   * type not in its key set are deleted as vanished).
   */
  readonly messages: readonly WatchMessage[];
  /** @defaultValue `Defaults.authorDomain` ("shiplog.local") */
  readonly authorDomain?: string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** @defaultValue 200 */
  readonly diffMaxLines?: number;
  /**
   * Times the snapshot is rebuilt on a branch that moved meanwhile (a running committer committed)
   * before it gives up with `RefMovedError`. @defaultValue 5
   */
  readonly maxRebuilds?: number;
}

export interface SnapshotResult {
  /** The new commit, or undefined when the listing equals the branch. */
  readonly commit: Omit<PublishedCommit, "cluster" | "branch"> | undefined;
  readonly head: string | null;
  readonly unchanged: number;
  readonly skipped: readonly { readonly seq: number; readonly reason: string }[];
}

/**
 * Write one commit (authored by shiplog) that makes the branch equal a full listing, without Redis.
 * Used by `shiplog snapshot`. Safe while a committer runs on the same branch: both move it only with a
 * compare-and-swap, and whoever loses re-reads the branch and rebuilds on the new head.
 */
export async function commitSnapshot(repo: GitRepo, input: SnapshotInput): Promise<SnapshotResult> {
  const maxRebuilds = input.maxRebuilds ?? 5;
  for (let rebuilds = 0; ; rebuilds++) {
    try {
      return await snapshotOnce(repo, input);
    } catch (err) {
      if (!(err instanceof RefMovedError) || rebuilds >= maxRebuilds) throw err;
    }
  }
}

/** One attempt on the branch head as it is now; throws `RefMovedError` if it moved before the swap. */
async function snapshotOnce(repo: GitRepo, input: SnapshotInput): Promise<SnapshotResult> {
  const domain = input.authorDomain ?? Defaults.authorDomain;
  const shiplog = shiplogAuthor(domain);
  const now = input.now ?? Date.now;
  const head = await repo.head();
  const tree = new TreeStore(repo.objects, await repo.treeOf(head));
  const plan = await planWindow(
    input.messages.map((message, seq) => ({ seq, message })),
    tree,
  );
  const writer = new WindowWriter(repo, tree, {
    cluster: input.cluster,
    committer: { name: shiplog.name, email: shiplog.email },
    shiplog,
    attribution: { authorFor: () => shiplog },
    diffMaxLines: input.diffMaxLines ?? 200,
    now,
  });
  const result = await writer.write(plan, head);
  if (result.head !== null && result.head !== head) {
    await repo.updateRef(result.head, head, "shiplog: snapshot");
  }
  return { commit: result.commits[0], head: result.head, unchanged: result.unchanged, skipped: plan.skipped };
}
