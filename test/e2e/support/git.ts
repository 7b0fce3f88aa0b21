// Git on the host, for reading what shiplog recorded and for writing repos a test starts from.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run, runOk, type RunResult } from "../../harness/index.js";

/** Git on the host; `safe.directory` because some repos are written by another uid (the image's). */
export async function git(repo: string, args: string[]): Promise<RunResult> {
  return run("git", ["-c", "safe.directory=*", "-C", repo, ...args]);
}

/** Content of `path` at `rev` (default `main`), or undefined. */
export async function fileAt(repo: string, path: string, rev = "main"): Promise<string | undefined> {
  const r = await git(repo, ["show", `${rev}:${path}`]);
  return r.code === 0 ? r.stdout : undefined;
}

/**
 * Writes `files` (repo-relative path -> content) into `repo` and commits them all on `main` as `t <t@t>`;
 * the repo is created first when it does not exist yet.
 */
export async function commitFiles(
  repo: string,
  files: Record<string, string>,
  message: string,
): Promise<void> {
  if (!existsSync(join(repo, ".git"))) await runOk("git", ["init", "-q", "-b", "main", repo]);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  await runOk("git", ["-C", repo, "add", "."]);
  await runOk("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message]);
}
