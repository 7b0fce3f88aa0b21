// Git remotes for e2e tests: bare repositories that refuse non-fast-forward pushes and log every ref
// update (so a force push fails loudly and any rewrite shows), commits "someone else" makes on them
// with plain git, and the committer's real servers: git http-backend behind TLS and sshd on loopback.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { run, runOk } from "../../harness/index.js";
import type { Sandbox } from "./cli.js";
import { git } from "./git.js";

export {
  httpBackendPath,
  sshdPath,
  startHttpsGitServer,
  startSshGitServer,
  type HttpsGitServer,
  type SshGitServer,
} from "@shiplog/committer/testing";

/**
 * `git init --bare -b main <path>` that refuses non-fast-forward pushes and branch deletions, and keeps
 * a reflog of every update of its branches (`refUpdates`).
 */
export async function bareRemote(path: string): Promise<string> {
  await runOk("git", ["init", "--bare", "-q", "-b", "main", path]);
  for (const [k, v] of [
    ["receive.denyNonFastForwards", "true"],
    ["receive.denyDeletes", "true"],
    ["core.logAllRefUpdates", "always"],
  ] as const)
    await runOk("git", ["--git-dir", path, "config", k, v]);
  return path;
}

/** The commit `branch` points at, or undefined while it is unborn. */
export async function headOf(repo: string, branch = "main"): Promise<string | undefined> {
  const r = await git(repo, ["rev-parse", "--verify", "-q", `refs/heads/${branch}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** `git merge-base --is-ancestor ancestor descendant` (true also when they are equal). */
export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await git(repo, ["merge-base", "--is-ancestor", ancestor, descendant]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`git merge-base failed (${r.code}): ${r.stderr}`);
  return r.code === 0;
}

/** Each recorded update of `refs/heads/<branch>` as `[old, new]`, oldest first (old is 0000… on creation). */
export function refUpdates(repo: string, branch = "main"): Array<readonly [string, string]> {
  const log = join(repo, "logs", "refs", "heads", branch);
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [oldSha = "", newSha = ""] = l.split(" ");
      return [oldSha, newSha] as const;
    });
}

/** Subject and body of every commit on `branch`, newest first. */
export async function messagesOf(repo: string, branch = "main"): Promise<string[]> {
  const r = await git(repo, ["log", "--format=%B%x00", branch]);
  if (r.code !== 0) throw new Error(`git log failed (${r.code}): ${r.stderr}`);
  return r.stdout
    .split("\0")
    .map((m) => m.trim())
    .filter(Boolean);
}

/**
 * Commits `files` (path -> content) on top of `branch` of the bare `repo` as someone other than shiplog
 * would, with plain git (a private index, then update-ref); returns the new commit.
 */
export async function foreignCommit(
  repo: string,
  files: Record<string, string>,
  message: string,
  branch = "main",
): Promise<string> {
  const env = {
    GIT_DIR: repo,
    GIT_INDEX_FILE: join(repo, "foreign-index"),
    GIT_AUTHOR_NAME: "someone",
    GIT_AUTHOR_EMAIL: "someone@example.com",
    GIT_COMMITTER_NAME: "someone",
    GIT_COMMITTER_EMAIL: "someone@example.com",
  };
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await run("git", args, { env, ...(input === undefined ? {} : { input }) });
    if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout.trim();
  };
  const parent = await ok(["rev-parse", "--verify", `refs/heads/${branch}`]);
  await ok(["read-tree", parent]);
  for (const [path, content] of Object.entries(files)) {
    const blob = await ok(["hash-object", "-w", "--stdin"], content);
    await ok(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`]);
  }
  const tree = await ok(["write-tree"]);
  const commit = await ok(["commit-tree", tree, "-p", parent, "-m", message]);
  await ok(["update-ref", "-m", "foreign commit", `refs/heads/${branch}`, commit, parent]);
  return commit;
}

/** `repo.remote` settings a test gives shiplog through a config file (the URL goes in with them). */
export interface RemoteSettings {
  url: string;
  /** @defaultValue "200ms": push soon after each commit, so that a test takes seconds */
  pushInterval?: string;
  tokenFile?: string;
  caFile?: string;
  sshKeyFile?: string;
  sshKnownHostsFile?: string;
}

let configFiles = 0;

/**
 * `sb` with `repo.remote` set: a config file in `sb.dir` (SHIPLOG_CONFIG) holds `settings`, so that
 * every command of the sandbox (`run`, `snapshot`, `doctor`) sees the same remote.
 */
export function withRemote(sb: Sandbox, settings: RemoteSettings): Sandbox {
  const file = join(sb.dir, `remote-${++configFiles}.yaml`);
  writeFileSync(file, stringify({ repo: { remote: { pushInterval: "200ms", ...settings } } }));
  return { ...sb, env: { ...sb.env, SHIPLOG_CONFIG: file } };
}
