import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import NodeGit from "nodegit";
import type { Logger } from "@shiplog/core";
import { Defaults, silentLogger } from "@shiplog/core";
import { FencedOutError } from "../errors/fenced-out-error.js";
import { GitWriteError } from "../errors/git-write-error.js";
import { RefMovedError } from "../errors/ref-moved-error.js";
import { encodeCommit, treeOfCommit } from "./commit-object.js";
import type { CommitFields } from "./commit-object.js";
import { localGit } from "./local-git.js";
import { ObjectDb } from "./object-db.js";
import { ObjectTypes } from "./object-types.js";

export interface OpenRepoOptions {
  /** Directory of the repository. Created (bare) if absent or empty; an existing repo is continued. */
  readonly path: string;
  /** @defaultValue `Defaults.branch` ("main") */
  readonly branch?: string;
  readonly logger?: Logger;
}

/**
 * The ref holding the fencing token of the committer term allowed to move the branch: a blob with the
 * token in decimal. A term claims it when it starts; every branch update of that term verifies it in
 * the same ref transaction (ADR 0037).
 */
export const FENCE_REF = "refs/shiplog/fence";
const ZERO_OID = "0".repeat(40);
/** A ref lock file older than this is left over from a killed writer (a transaction takes milliseconds). */
const STALE_LOCK_MS = 30_000;

/** The committer's handle on one branch of a local repository. No working tree is ever touched. */
export class GitRepo {
  readonly refName: string;
  /** The fence this handle's branch updates verify, once `claimFence` succeeded. */
  private fence: { readonly oid: string; readonly token: number } | undefined;

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

  /** The fencing token the repository holds (0 when no term has claimed it yet). */
  async fenceToken(): Promise<number> {
    const oid = await this.resolveRef(FENCE_REF);
    return oid === null ? 0 : parseFence(await this.objects.read(oid));
  }

  /**
   * Make `token` the repository's fence, so that from now on only branch updates of this term succeed.
   * Throws `FencedOutError` when the repository already holds a newer token (another term started).
   * A ref lock file left by a writer killed inside its transaction is removed once it is old.
   */
  async claimFence(token: number): Promise<void> {
    const next = await this.objects.write(ObjectTypes.blob, Buffer.from(`${token}\n`));
    for (let attempt = 1; ; attempt++) {
      const oid = await this.resolveRef(FENCE_REF);
      const current = oid === null ? 0 : parseFence(await this.objects.read(oid));
      if (current > token) throw new FencedOutError(this.refName, token, current);
      if (oid === next) break;
      const r = await localGit(
        this.gitDir,
        ["update-ref", "-m", `shiplog: committer term ${token}`, "--stdin"],
        `start\nupdate ${FENCE_REF} ${next} ${oid ?? ZERO_OID}\nprepare\ncommit\n`,
      );
      if (r.code === 0) break;
      if (attempt >= 3)
        throw new GitWriteError(`claim ${FENCE_REF} for term ${token}`, {
          cause: new Error(r.stderr.trim()),
        });
      this.breakStaleLock(FENCE_REF);
    }
    this.fence = { oid: next, token };
  }

  /**
   * Move the branch from `expected` to `next`, atomically: fails if someone else moved it meanwhile.
   * This is the moment a window becomes durable; jobs are acknowledged only after it returns. Once a
   * fence is claimed, the same ref transaction verifies it: a term that lost its lease cannot move the
   * branch. Throws `FencedOutError` when a newer term holds the fence, `RefMovedError` when the branch
   * is not at `expected` (re-read it and rebuild), else `GitWriteError`.
   */
  async updateRef(next: string, expected: string | null, logMessage: string): Promise<void> {
    if (this.fence !== undefined) return this.updateFenced(this.fence, next, expected, logMessage);
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

  private async updateFenced(
    fence: { readonly oid: string; readonly token: number },
    next: string,
    expected: string | null,
    logMessage: string,
  ): Promise<void> {
    const r = await localGit(
      this.gitDir,
      ["update-ref", "-m", logMessage, "--stdin"],
      `start\nverify ${FENCE_REF} ${fence.oid}\nupdate ${this.refName} ${next} ${expected ?? ZERO_OID}\nprepare\ncommit\n`,
    );
    if (r.code === 0) return;
    const cause = new Error(r.stderr.trim());
    const fenceNow = await this.resolveRef(FENCE_REF);
    if (fenceNow !== fence.oid) {
      const current = fenceNow === null ? undefined : parseFence(await this.objects.read(fenceNow));
      throw new FencedOutError(this.refName, fence.token, current);
    }
    const actual = await this.head();
    if (actual !== expected) throw new RefMovedError(this.refName, expected, actual, { cause });
    this.breakStaleLock(this.refName);
    throw new GitWriteError(`update ${this.refName} ${expected ?? "(unborn)"} -> ${next}`, { cause });
  }

  /** Removes `<ref>.lock` when it is older than any live transaction could be; true if it did. */
  private breakStaleLock(ref: string): boolean {
    const lock = join(this.gitDir, `${ref}.lock`);
    try {
      if (Date.now() - statSync(lock).mtimeMs < STALE_LOCK_MS) return false;
      rmSync(lock, { force: true });
      return true;
    } catch {
      return false;
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

function parseFence(content: Buffer): number {
  const n = Number.parseInt(content.toString("utf8").trim(), 10);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
