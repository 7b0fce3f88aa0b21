/**
 * Reads an object's file at a revision, or, when the object was deleted by then, as it was just
 * before the commit that deleted it: what a user restoring a deleted object wants back.
 */
import { git, showFile } from "../git/git-cli.js";

export interface Deletion {
  /** Abbreviated id of the commit (at or before the revision asked for) that deleted the file. */
  commit: string;
  /** That commit's committer date (ISO 8601). */
  date: string;
}

export interface RecordedFile {
  text: string;
  /** The revision the text was read at: the one asked for, or the deleting commit's parent. */
  readAt: string;
  /** Set when the file is not in the revision's tree because a commit deleted it. */
  deletedIn?: Deletion;
}

/**
 * The file at `path` in `rev`; else its last content on `rev`'s first-parent history (the parent of the
 * commit that deleted it); `undefined` when it was never there.
 */
export async function readRecordedFile(
  repo: string,
  rev: string,
  path: string,
): Promise<RecordedFile | undefined> {
  const text = await showFile(repo, rev, path);
  if (text !== undefined) return { text, readAt: rev };
  // The last first-parent commit that changed the file: since the file is not in `rev`, it deleted it.
  const out = await git(repo, [
    "log",
    "--first-parent",
    "-1",
    "--format=%H%x09%h%x09%cI%x09%p",
    rev,
    "--",
    path,
  ]);
  const [sha, commit, date, parents] = out.trim().split("\t");
  const parent = parents?.split(" ")[0];
  if (sha === undefined || commit === undefined || date === undefined || !parent) return undefined;
  const before = await showFile(repo, `${sha}^`, path);
  if (before === undefined) return undefined;
  return { text: before, readAt: parent, deletedIn: { commit, date } };
}
