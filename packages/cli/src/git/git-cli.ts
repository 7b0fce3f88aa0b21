/**
 * Read-only git queries for `history` and `restore`, through the git CLI: `log -p --follow` and
 * `blame` are what users know, and the CLI formats diffs exactly as they expect. The committer writes
 * with nodegit; reading with git(1) needs no shared state with it.
 */
import { execFile } from "node:child_process";
import { GitError } from "./git-error.js";

export interface GitRunOptions {
  /** @defaultValue "git" */
  gitBinary?: string;
  /** @defaultValue 64 MiB */
  maxBuffer?: number;
  /** Extra environment for git (credentials for a remote). */
  env?: Readonly<Record<string, string>>;
  /** Kill git after this long. @defaultValue no limit */
  timeoutMs?: number;
}

export function git(repo: string, args: readonly string[], opts: GitRunOptions = {}): Promise<string> {
  const full = ["-C", repo, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      opts.gitBinary ?? "git",
      full,
      {
        maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 0,
        env: { ...process.env, GIT_PAGER: "cat", LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", ...opts.env },
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === "number" ? err.code : undefined;
          const first = stderr.split("\n").find((l) => l.trim() !== "") ?? err.message;
          reject(
            new GitError(`git ${args[0] ?? ""}: ${first.replace(/^fatal: /, "")}`, full, code, {
              cause: err,
            }),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** True if `repo` is a git repository with at least one commit on HEAD or `branch`. */
export async function hasCommits(repo: string, branch?: string): Promise<boolean> {
  try {
    await git(repo, ["rev-parse", "--verify", "--quiet", `${branch ?? "HEAD"}^{commit}`]);
    return true;
  } catch (err) {
    if (err instanceof GitError) return false;
    throw err;
  }
}

export interface HistoryOptions {
  /** Branch or rev to start from. @defaultValue "HEAD" */
  rev?: string;
  /** Show at most this many commits. */
  maxCount?: number;
  /** Include patches. @defaultValue true */
  patch?: boolean;
  /** ANSI colours. @defaultValue false */
  color?: boolean;
}

/** `git log --follow -p` of one file, formatted for reading. */
export function fileHistory(repo: string, path: string, opts: HistoryOptions = {}): Promise<string> {
  const args = [
    "log",
    "--follow",
    opts.color === true ? "--color=always" : "--no-color",
    "--format=%C(yellow)commit %H%C(reset)%nAuthor: %an <%ae>%nDate:   %aI%n%n    %s%n%w(0,4,4)%b",
    ...(opts.patch === false ? ["--stat"] : ["-p"]),
    ...(opts.maxCount !== undefined ? [`--max-count=${opts.maxCount}`] : []),
    opts.rev ?? "HEAD",
    "--",
    path,
  ];
  return git(repo, args);
}

/** Number of commits that touched `path`. */
export async function fileCommitCount(repo: string, path: string, rev = "HEAD"): Promise<number> {
  const out = await git(repo, ["log", "--follow", "--format=%H", rev, "--", path]);
  return out.split("\n").filter((l) => l !== "").length;
}

/** Content of `path` at `rev`, or `undefined` if the file does not exist there. */
export async function showFile(repo: string, rev: string, path: string): Promise<string | undefined> {
  await git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).catch((err: unknown) => {
    throw new GitError(`revision "${rev}" does not exist in ${repo}`, [rev], undefined, { cause: err });
  });
  try {
    return await git(repo, ["show", `${rev}:${path}`]);
  } catch (err) {
    if (err instanceof GitError) return undefined;
    throw err;
  }
}

/** Paths of all files in `rev`'s tree. */
export async function listFiles(repo: string, rev = "HEAD"): Promise<string[]> {
  const out = await git(repo, ["ls-tree", "-r", "--name-only", "-z", rev]);
  return out.split("\0").filter((p) => p !== "");
}
