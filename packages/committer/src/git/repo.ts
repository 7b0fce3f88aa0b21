import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import NodeGit from "nodegit";
import type { Logger } from "@shiplog/core";
import { Defaults, silentLogger } from "@shiplog/core";
import { GitWriteError } from "../errors/git-write-error.js";
import { RefMovedError } from "../errors/ref-moved-error.js";
import { encodeCommit, treeOfCommit } from "./commit-object.js";
import type { CommitFields } from "./commit-object.js";
import { ObjectDb } from "./object-db.js";
import { ObjectTypes } from "./object-types.js";

export interface OpenRepoOptions {
  /** Directory of the repository. Created (bare) if absent or empty; an existing repo is continued. */
  readonly path: string;
  /** @defaultValue `Defaults.branch` ("main") */
  readonly branch?: string;
  readonly logger?: Logger;
}

/** The committer's handle on one branch of a local repository. No working tree is ever touched. */
export class GitRepo {
  readonly refName: string;

  constructor(
    readonly path: string,
    readonly branch: string,
    readonly native: NodeGit.Repository,
    readonly objects: ObjectDb,
  ) {
    this.refName = `refs/heads/${branch}`;
  }

  /** The commit the branch points at, or null for an unborn branch. */
  async head(): Promise<string | null> {
    return this.resolveRef(this.refName);
  }

  /** The commit a ref points at, or null when the ref does not exist. */
  async resolveRef(name: string): Promise<string | null> {
    try {
      return (await NodeGit.Reference.nameToId(this.native, name)).tostrS();
    } catch (cause) {
      if (isNotFound(cause)) return null;
      throw new GitWriteError(`resolve ${name}`, { cause });
    }
  }

  /** The git directory (for the git binary's `--git-dir`). */
  get gitDir(): string {
    return this.native.path();
  }

  /** Root tree of a commit, or null for no commit. */
  async treeOf(commit: string | null): Promise<string | null> {
    if (commit === null) return null;
    return treeOfCommit(await this.objects.read(commit));
  }

  async writeCommit(fields: CommitFields): Promise<string> {
    return this.objects.write(ObjectTypes.commit, encodeCommit(fields));
  }

  /**
   * Move the branch from `expected` to `next`, atomically: fails if someone else moved it meanwhile.
   * This is the moment a window becomes durable; jobs are acknowledged only after it returns. Throws
   * `RefMovedError` when the branch is not at `expected` (re-read it and rebuild), else `GitWriteError`.
   */
  async updateRef(next: string, expected: string | null, logMessage: string): Promise<void> {
    try {
      const id = NodeGit.Oid.fromString(next);
      if (expected === null) await NodeGit.Reference.create(this.native, this.refName, id, 0, logMessage);
      else
        await NodeGit.Reference.createMatching(
          this.native,
          this.refName,
          id,
          1,
          NodeGit.Oid.fromString(expected),
          logMessage,
        );
    } catch (cause) {
      const actual = await this.head();
      if (actual !== expected) throw new RefMovedError(this.refName, expected, actual, { cause });
      throw new GitWriteError(`update ${this.refName} ${expected ?? "(unborn)"} -> ${next}`, { cause });
    }
  }

  /** True if `ancestor` is reachable from `descendant` (or equal). */
  async contains(descendant: string, ancestor: string): Promise<boolean> {
    if (descendant === ancestor) return true;
    const d = NodeGit.Oid.fromString(descendant);
    const a = NodeGit.Oid.fromString(ancestor);
    return Boolean(await NodeGit.Graph.descendantOf(this.native, d, a));
  }

  close(): void {
    this.native.cleanup();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { errno?: number; message?: string } | undefined;
  return e?.errno === -3 || /not found|no reference|cannot locate/i.test(e?.message ?? "");
}

function isEmptyDir(path: string): boolean {
  return statSync(path).isDirectory() && readdirSync(path).length === 0;
}

function looksLikeRepo(path: string): boolean {
  return existsSync(join(path, "HEAD")) || existsSync(join(path, ".git"));
}

/**
 * Open the repository at `path`, or create a bare one there if the directory is absent or empty.
 * A non-empty directory that is not a repository is an error: we never overwrite anything.
 */
export async function openRepo(options: OpenRepoOptions): Promise<GitRepo> {
  const branch = options.branch ?? Defaults.branch;
  const logger = options.logger ?? silentLogger;
  let native: NodeGit.Repository;
  if (existsSync(options.path) && looksLikeRepo(options.path)) {
    try {
      native = await NodeGit.Repository.open(options.path);
    } catch (cause) {
      throw new GitWriteError(`open repository ${options.path}`, { cause });
    }
    logger.info({ repo: options.path, branch }, "continuing existing repository");
  } else if (!existsSync(options.path) || isEmptyDir(options.path)) {
    try {
      native = await NodeGit.Repository.init(options.path, 1);
      await native.setHead(`refs/heads/${branch}`);
    } catch (cause) {
      throw new GitWriteError(`init bare repository ${options.path}`, { cause });
    }
    logger.info({ repo: options.path, branch }, "created bare repository");
  } else {
    throw new GitWriteError(`open repository ${options.path}`, {
      cause: new Error(
        "directory exists, is not empty and is not a git repository; refusing to overwrite it",
      ),
    });
  }
  const odb = await native.odb();
  return new GitRepo(options.path, branch, native, new ObjectDb(native, odb));
}
