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

/** Git's tree order: byte-wise by name, where a subtree sorts as if its name ended in `/`. */
function sortKey(name: string, mode: string): Buffer {
  return Buffer.from(mode === FileModes.tree ? `${name}/` : name, "utf8");
}

export function isTree(e: TreeEntry | undefined): boolean {
  return e?.mode === FileModes.tree;
}

export function encodeTree(entries: DirEntries): Buffer {
  const sorted = [...entries].map(([name, e]) => ({ name, e, key: sortKey(name, e.mode) }));
  sorted.sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [];
  for (const { name, e } of sorted) {
    parts.push(Buffer.from(`${e.mode} ${name}\0`, "utf8"), Buffer.from(e.oid, "hex"));
  }
  return Buffer.concat(parts);
}

export function decodeTree(raw: Buffer): DirEntries {
  const out: DirEntries = new Map();
  let i = 0;
  while (i < raw.length) {
    const space = raw.indexOf(0x20, i);
    const nul = raw.indexOf(0x00, space);
    if (space < 0 || nul < 0 || nul + 21 > raw.length) throw new Error(`malformed tree object at byte ${i}`);
    const mode = raw.toString("latin1", i, space);
    const name = raw.toString("utf8", space + 1, nul);
    const oid = raw.toString("hex", nul + 1, nul + 21);
    out.set(name, { mode, oid });
    i = nul + 21;
  }
  return out;
}
