/**
 * Git tree objects, encoded and decoded in JS. The committer keeps directories as small maps and writes
 * each changed directory as one raw object, so the cost of a commit follows the changed paths, not the
 * size of the repo (see docs/adr/0030-committer-git-writes-in-memory.md).
 */

export const FileModes = { blob: "100644", tree: "40000" } as const;
export type FileMode = (typeof FileModes)[keyof typeof FileModes];

export interface TreeEntry {
  /** Git file mode as written in the tree (`100644`, `40000`; others are kept as found). */
  readonly mode: string;
  /** 40-hex object id. */
  readonly oid: string;
}

/** name -> entry, for one directory. */
export type DirEntries = Map<string, TreeEntry>;

/** Git's tree order as a string: a subtree sorts as if its name ended in `/`. */
function sortName(name: string, e: TreeEntry): string {
  return e.mode === FileModes.tree ? `${name}/` : name;
}

/**
 * Git compares names byte-wise in UTF-8. JS compares UTF-16 code units, which orders the same except
 * where a character above U+FFFF (a surrogate pair) meets one in U+E000-U+FFFF; only a directory with
 * such a name is sorted byte-wise.
 */
function sortGitOrder(keys: string[]): void {
  if (keys.some((k) => HIGH.test(k)))
    keys.sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
  else if (!isSorted(keys)) keys.sort();
}
const HIGH = /[\uD800-\uFFFF]/;

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

export function isTree(e: TreeEntry | undefined): boolean {
  return e?.mode === FileModes.tree;
}

/**
 * The raw tree object. Written into one buffer sized up front: a Buffer per name and per id (two per
 * entry) cost a 90,000-file directory about 30 MB of short-lived objects per commit.
 */
export function encodeTree(entries: DirEntries): Buffer {
  // Sort keys, not entries: a name cannot hold "/", so a key ending in one is a subtree's.
  const keys: string[] = [];
  let size = 0;
  for (const [name, e] of entries) {
    keys.push(sortName(name, e));
    size += e.mode.length + Buffer.byteLength(name) + 22;
  }
  sortGitOrder(keys);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const k of keys) {
    const name = k.endsWith("/") ? k.slice(0, -1) : k;
    const e = entries.get(name) as TreeEntry;
    at += out.write(e.mode, at, "latin1");
    out[at++] = 0x20;
    at += out.write(name, at, "utf8");
    out[at++] = 0;
    at += out.write(e.oid, at, "hex");
  }
  if (at !== size)
    throw new Error(`internal: tree of ${keys.length} entries encoded to ${at} of ${size} bytes`);
  return out;
}

/**
 * The mode of an entry, as one shared string for the two modes the committer writes: a 90,000-file
 * directory would otherwise hold 90,000 copies of "100644" (about 2 MB) in its cache.
 */
function modeAt(raw: Buffer, start: number, end: number): string {
  if (bytesAre(raw, start, end, BLOB_MODE)) return FileModes.blob;
  if (bytesAre(raw, start, end, TREE_MODE)) return FileModes.tree;
  return raw.toString("latin1", start, end);
}
const BLOB_MODE = Buffer.from(FileModes.blob, "latin1");
const TREE_MODE = Buffer.from(FileModes.tree, "latin1");

function bytesAre(raw: Buffer, start: number, end: number, want: Buffer): boolean {
  if (end - start !== want.length) return false;
  for (let j = 0; j < want.length; j++) if (raw[start + j] !== want[j]) return false;
  return true;
}

export function decodeTree(raw: Buffer): DirEntries {
  const out: DirEntries = new Map();
  let i = 0;
  while (i < raw.length) {
    const space = raw.indexOf(0x20, i);
    const nul = raw.indexOf(0x00, space);
    if (space < 0 || nul < 0 || nul + 21 > raw.length) throw new Error(`malformed tree object at byte ${i}`);
    const mode = modeAt(raw, i, space);
    const name = raw.toString("utf8", space + 1, nul);
    const oid = raw.toString("hex", nul + 1, nul + 21);
    out.set(name, { mode, oid });
    i = nul + 21;
  }
  return out;
}
