import type { Author, Logger } from "@shiplog/core";
import { PushError } from "./errors/push-error.js";
import { RefMovedError } from "./errors/ref-moved-error.js";
import type { GitTransport } from "./git-transport.js";
import { diffTrees, EMPTY_TREE, localGit } from "./git/local-git.js";
import { ObjectTypes } from "./git/object-types.js";
import type { GitRepo } from "./git/repo.js";
import { TreeStore } from "./git/tree-store.js";

export const CatchUpResults = {
  /** The remote has no such branch (yet): nothing to continue. */
  remoteEmpty: "remote-empty",
  /** Local history already contains the remote's. */
  upToDate: "up-to-date",
  /** Local was empty or behind: the branch now points at the remote's head. */
  fastForward: "fast-forward",
  /** Both had commits of their own: local ones were replayed on top of the remote's. */
  rebased: "rebased",
} as const;
export type CatchUpResult = (typeof CatchUpResults)[keyof typeof CatchUpResults];

/** Times the replay is redone when the committer moved the branch meanwhile. */
const MAX_REPLAYS = 5;

/**
 * Brings the local branch up to the remote's history, never rewriting the remote: an empty (lost)
 * local clone continues the remote's history; when someone else pushed, shiplog's unpushed commits are
 * replayed on top of the remote's head. Each replayed commit re-applies exactly the files it changed
 * (shiplog owns the paths it records), so files only the remote touched are kept; a file both changed
 * gets the cluster's state and the commit says so in a `Shiplog-Conflict` trailer.
 */
export class RemoteSync {
  readonly trackingRef: string;

  constructor(
    private readonly repo: GitRepo,
    private readonly transport: GitTransport,
    private readonly shownUrl: string,
    private readonly committer: Author,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    this.trackingRef = `refs/shiplog/remote/${repo.branch}`;
  }

  /** Fetch the remote branch and integrate it. Throws PushError when the remote cannot be fetched. */
  async catchUp(): Promise<CatchUpResult> {
    const fetched = await this.transport.fetch([`+${this.repo.refName}:${this.trackingRef}`]);
    if (!fetched.ok) {
      if (/couldn't find remote ref/i.test(fetched.output)) return CatchUpResults.remoteEmpty;
      throw new PushError(this.shownUrl, { cause: new Error(fetched.output) });
    }
    const remote = await this.repo.resolveRef(this.trackingRef);
    if (remote === null) return CatchUpResults.remoteEmpty;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.integrate(remote);
      } catch (err) {
        if (!(err instanceof RefMovedError) || attempt >= MAX_REPLAYS) throw err;
      }
    }
  }

  private async integrate(remote: string): Promise<CatchUpResult> {
    const local = await this.repo.head();
    if (local === remote || (local !== null && (await this.repo.contains(local, remote))))
      return CatchUpResults.upToDate;
    if (local === null || (await this.repo.contains(remote, local))) {
      await this.repo.updateRef(remote, local, "shiplog: continue the remote's history");
      this.logger.info({ remote: this.shownUrl, head: remote }, "continued the remote's history");
      return CatchUpResults.fastForward;
    }
    const head = await this.replay(local, remote);
    await this.repo.updateRef(head, local, "shiplog: replayed local commits onto the remote");
    this.logger.warn(
      { remote: this.shownUrl, remoteHead: remote, head },
      "the remote had commits of its own: replayed local commits on top of them",
    );
    return CatchUpResults.rebased;
  }

  /** Replays `local`'s commits that the remote lacks onto `remote`; returns the new head. */
  private async replay(local: string, remote: string): Promise<string> {
    const { gitDir, objects } = this.repo;
    const list = await localGit(gitDir, ["rev-list", "--reverse", "--first-parent", local, `^${remote}`]);
    if (list.code !== 0) throw new Error(`git rev-list failed: ${list.stderr.trim()}`);
    const tree = new TreeStore(objects, await this.repo.treeOf(remote));
    let head = remote;
    for (const sha of list.stdout.split("\n").filter((l) => l !== "")) {
      const raw = (await objects.read(sha)).toString("utf8");
      const commit = parseCommit(raw);
      const changes = await diffTrees(gitDir, commit.parent ?? EMPTY_TREE, commit.tree);
      const conflicts: string[] = [];
      for (const c of changes) {
        const theirs = await tree.fileOid(c.path);
        if (theirs !== c.before && theirs !== c.after) conflicts.push(c.path);
      }
      const staged = await tree.stage(new Map(changes.map((c) => [c.path, c.after ?? null])));
      if (staged.rootOid === tree.rootOid) continue; // the remote already has exactly these files
      const message =
        conflicts.length === 0
          ? commit.message
          : `${commit.message.replace(/\n+$/, "")}\n${conflicts
              .map((p) => `Shiplog-Conflict: ${p} also changed on the remote; kept the cluster's state`)
              .join("\n")}\n`;
      const secs = Math.floor(this.now() / 1000);
      const body = [
        `tree ${staged.rootOid}`,
        `parent ${head}`,
        commit.authorLine,
        `committer ${this.committer.name} <${this.committer.email}> ${secs} +0000`,
      ].join("\n");
      head = await objects.write(ObjectTypes.commit, Buffer.from(`${body}\n\n${message}`, "utf8"));
      tree.adopt(staged);
      if (conflicts.length > 0)
        this.logger.warn(
          { commit: head, paths: conflicts },
          "a recorded file was also changed on the remote",
        );
    }
    return head;
  }
}

interface ParsedCommit {
  readonly tree: string;
  /** First parent, or undefined for a root commit. */
  readonly parent: string | undefined;
  readonly authorLine: string;
  readonly message: string;
}

function parseCommit(raw: string): ParsedCommit {
  const split = raw.indexOf("\n\n");
  const headers = (split < 0 ? raw : raw.slice(0, split)).split("\n");
  const message = split < 0 ? "" : raw.slice(split + 2);
  const tree = headers.find((h) => h.startsWith("tree "))?.slice(5);
  const parent = headers.find((h) => h.startsWith("parent "))?.slice(7);
  const authorLine = headers.find((h) => h.startsWith("author "));
  if (tree === undefined || authorLine === undefined) throw new Error("malformed commit object");
  return { tree, parent, authorLine, message };
}
