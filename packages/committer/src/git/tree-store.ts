import { decodeTree, FileModes, isTree } from "./tree-format.js";
import type { DirEntries } from "./tree-format.js";
import { baseOf, depthOf, dirOf } from "./paths.js";

/** The object store a TreeStore reads and writes; `ObjectDb` in production. */
export interface TreeObjects {
  read(oid: string): Promise<Buffer>;
  /** `base`: the directory's previous tree, which the implementation may use to write only the difference. */
  writeTree(entries: DirEntries, base?: { oid: string; entries: DirEntries }): Promise<string>;
}

/** Files to change: path -> new blob id, or null to delete. */
export type TreeChanges = ReadonlyMap<string, string | null>;

/** A tree written but not yet adopted as the current state. */
export interface StagedTree {
  readonly rootOid: string;
  /** Directories rewritten by this stage: path -> entries, or null if the directory vanished. */
  readonly dirs: ReadonlyMap<string, DirEntries | null>;
  /** Tree ids of the rewritten directories. */
  readonly oids: ReadonlyMap<string, string>;
}

/**
 * The tree of the branch head, as a cache of directories keyed by path. Directories are read lazily
 * from the object store and kept; a commit rewrites only the directories along its changed paths
 * (copy-on-write), so its cost depends on the changed paths and the size of those directories, never on
 * the number of files in the repo.
 */
export class TreeStore {
  private readonly dirs = new Map<string, DirEntries>();
  private readonly oids = new Map<string, string>();
  private root: string | null;

  constructor(
    private readonly objects: TreeObjects,
    rootOid: string | null,
  ) {
    this.root = rootOid;
  }

  get rootOid(): string | null {
    return this.root;
  }

  /** Forget everything cached and start again from `rootOid` (e.g. after a failed ref update). */
  reset(rootOid: string | null): void {
    this.dirs.clear();
    this.oids.clear();
    this.root = rootOid;
  }

  /** Entries of a directory (`""` is the root), or undefined if it does not exist. */
  async dir(path: string): Promise<DirEntries | undefined> {
    const cached = this.dirs.get(path);
    if (cached) return cached;
    let oid: string | null;
    if (path === "") {
      oid = this.root;
    } else {
      const parent = await this.dir(dirOf(path));
      const entry = parent?.get(baseOf(path));
      oid = entry && isTree(entry) ? entry.oid : null;
    }
    if (oid === null) return undefined;
    const entries = decodeTree(await this.objects.read(oid));
    this.dirs.set(path, entries);
    this.oids.set(path, oid);
    return entries;
  }

  /** Blob id of a file, or undefined if absent. */
  async fileOid(path: string): Promise<string | undefined> {
    const entry = (await this.dir(dirOf(path)))?.get(baseOf(path));
    return entry && !isTree(entry) ? entry.oid : undefined;
  }

  /** Names of the files (not subdirectories) directly in `dir`. */
  async fileNames(dir: string): Promise<string[]> {
    const entries = await this.dir(dir);
    if (!entries) return [];
    return [...entries].filter(([, e]) => !isTree(e)).map(([name]) => name);
  }

  /** Names of the subdirectories directly in `dir`. */
  async dirNames(dir: string): Promise<string[]> {
    const entries = await this.dir(dir);
    if (!entries) return [];
    return [...entries].filter(([, e]) => isTree(e)).map(([name]) => name);
  }

  /** Write the trees for `changes` on top of the current state, without adopting them. */
  async stage(changes: TreeChanges): Promise<StagedTree> {
    const touched = new Map<string, DirEntries>();
    const mutable = async (dir: string): Promise<DirEntries> => {
      let m = touched.get(dir);
      if (!m) {
        m = new Map(await this.dir(dir));
        touched.set(dir, m);
      }
      return m;
    };
    await mutable("");
    for (const [path, oid] of changes) {
      const dir = dirOf(path);
      const m = await mutable(dir);
      if (oid === null) m.delete(baseOf(path));
      else m.set(baseOf(path), { mode: FileModes.blob, oid });
      for (let d = dir; d !== "";) {
        d = dirOf(d);
        if (touched.has(d)) break;
        await mutable(d);
      }
    }
    // Deepest first, so that every parent sees its children's new ids. Directories at the same depth
    // are independent and are written concurrently.
    const byDepth = new Map<number, string[]>();
    for (const dir of touched.keys()) {
      const depth = depthOf(dir);
      byDepth.set(depth, [...(byDepth.get(depth) ?? []), dir]);
    }
    const out = new Map<string, DirEntries | null>();
    const outOids = new Map<string, string>();
    let rootOid = "";
    for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) {
      const level = byDepth.get(depth) ?? [];
      const ids = await Promise.all(
        level.map(async (dir) => {
          const entries: DirEntries = touched.get(dir) ?? new Map<string, never>();
          if (entries.size === 0 && dir !== "") return null;
          const baseEntries = this.dirs.get(dir);
          const baseOid = this.oids.get(dir);
          return this.objects.writeTree(
            entries,
            baseEntries && baseOid ? { oid: baseOid, entries: baseEntries } : undefined,
          );
        }),
      );
      level.forEach((dir, i) => {
        const id = ids[i] ?? null;
        out.set(dir, id === null ? null : (touched.get(dir) ?? null));
        if (id !== null) outOids.set(dir, id);
        if (dir === "") {
          rootOid = id ?? "";
          return;
        }
        const parent = touched.get(dirOf(dir));
        if (!parent) throw new Error(`internal: parent of ${dir} not staged`);
        if (id === null) parent.delete(baseOf(dir));
        else parent.set(baseOf(dir), { mode: FileModes.tree, oid: id });
      });
    }
    return { rootOid, dirs: out, oids: outOids };
  }

  /** Make a staged tree the current state. */
  adopt(staged: StagedTree): void {
    for (const [dir, entries] of staged.dirs) {
      if (entries === null) this.forgetUnder(dir);
      else this.dirs.set(dir, entries);
    }
    for (const [dir, oid] of staged.oids) this.oids.set(dir, oid);
    this.root = staged.rootOid;
  }

  private forgetUnder(dir: string): void {
    this.dirs.delete(dir);
    this.oids.delete(dir);
    const prefix = `${dir}/`;
    for (const key of this.dirs.keys()) if (key.startsWith(prefix)) this.dirs.delete(key);
    for (const key of this.oids.keys()) if (key.startsWith(prefix)) this.oids.delete(key);
  }
}
