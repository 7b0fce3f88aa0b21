import { execFile } from "node:child_process";

/** Id of the empty tree (the parent tree of a root commit). */
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** Result of a local, read-only git plumbing command. */
export interface LocalGitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs plumbing in a local repository with the git binary, no shell: read-only commands (`rev-list`,
 * `merge-base`, `diff-tree`) and the fenced ref transaction (`update-ref --stdin`, fed `input`).
 * Objects are written only through nodegit.
 */
export function localGit(gitDir: string, args: readonly string[], input?: string): Promise<LocalGitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      ["--git-dir", gitDir, ...args],
      {
        encoding: "utf8",
        maxBuffer: 1 << 28,
        env: { ...process.env, LC_ALL: "C", GIT_CONFIG_NOSYSTEM: "1" },
      },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stdout, stderr });
        if (typeof err.code === "number") return resolve({ code: err.code, stdout, stderr });
        reject(new Error(`git ${args[0] ?? ""} could not run: ${err.message}`, { cause: err }));
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** One file changed between two trees: its old and new blob ids (undefined when absent). */
export interface TreeDiffEntry {
  readonly path: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

/** Files that differ between two trees (`git diff-tree -r`), with no rename detection. */
export async function diffTrees(gitDir: string, from: string, to: string): Promise<TreeDiffEntry[]> {
  const r = await localGit(gitDir, ["diff-tree", "-r", "-z", "--no-renames", from, to]);
  if (r.code !== 0) throw new Error(`git diff-tree ${from} ${to} failed: ${r.stderr.trim()}`);
  const parts = r.stdout.split("\0");
  const out: TreeDiffEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i] ?? "";
    const path = parts[i + 1] ?? "";
    const [, , oldOid, newOid, status] = meta.replace(/^:/, "").split(" ");
    out.push({
      path,
      before: status === "A" ? undefined : oldOid,
      after: status === "D" ? undefined : newOid,
    });
  }
  return out;
}
