import { inflateSync } from "node:zlib";
import NodeGit from "nodegit";
import { GitWriteError } from "../errors/git-write-error.js";
import type { ObjectType } from "./object-types.js";
import { ObjectTypes } from "./object-types.js";
import { mapChunked } from "../map-chunked.js";
import { writeLooseObject } from "./loose-object.js";
import { objectId, PackTypes, writePack } from "./pack-writer.js";
import type { PackObject } from "./pack-writer.js";
import type { DirEntries } from "./tree-format.js";
import { encodeTree } from "./tree-format.js";

/** From this many new blobs on, a batch is written as one packfile rather than one file per blob. */
export const PACK_MIN_OBJECTS = 128;

/**
 * A blob whose id and deflated form were worked out ahead (`ChangePrep`); only these are kept, not
 * its data (an open window of 10,000 updates would hold it twice).
 */
export interface PreparedBlob {
  /** Its object id, `objectId(PackTypes.blob, data)`. */
  readonly oid: string;
  /** `data.length`. */
  readonly size: number;
  /** `deflateObject(data)`. */
  readonly deflated: Buffer;
}

/**
 * From this many entries on, a directory's tree is encoded here, not built by a Treebuilder: a new
 * directory is written as a one-object pack (one libgit2 insert per entry cost a first snapshot of
 * 90,000 files in one directory 45 MB of peak memory, ADR 0039), a changed one as a loose object
 * (the builder copies the previous tree's every entry into native memory; loose-object.ts).
 */
export const TREE_PACK_MIN_ENTRIES = 1000;

/** A commit object this large (its message) is written as a one-object pack too. */
const LARGE_COMMIT_BYTES = 1024 * 1024;

/**
 * Raw object reads and writes through libgit2. Object ids are 40-hex strings. nodegit's `Odb.write`
 * takes a UTF-8 string, so binary objects go through the typed calls: blobs through
 * `Blob.createFromBuffer`, trees through a `Treebuilder`; commits (text) through `Odb.write`.
 */
export class ObjectDb {
  constructor(
    private readonly repo: NodeGit.Repository,
    private readonly odb: NodeGit.Odb,
  ) {}

  async write(type: ObjectType, data: Buffer): Promise<string> {
    try {
      switch (type) {
        case ObjectTypes.blob:
          return (await NodeGit.Blob.createFromBuffer(this.repo, data, data.length)).tostrS();
        case ObjectTypes.commit:
          if (data.length >= LARGE_COMMIT_BYTES) {
            // a first snapshot's message (a line per object): no string copy, no copy into libgit2
            const oid = objectId(PackTypes.commit, data);
            await writePack(this.repo.path(), [{ oid, type: PackTypes.commit, data }]);
            return oid;
          }
          return (await this.odb.write(data.toString("utf8"), data.length, type)).tostrS();
        case ObjectTypes.tree:
          throw new Error("trees are written with writeTree");
      }
    } catch (cause) {
      throw new GitWriteError(`write object (type ${type}, ${data.length} bytes)`, { cause });
    }
  }

  /**
   * Write many blobs; returns their ids in order. A large batch becomes one packfile (see
   * pack-writer.ts); a small one goes through libgit2, one loose object each.
   */
  async writeBlobs(blobs: readonly (Buffer | PreparedBlob)[]): Promise<string[]> {
    if (blobs.length < PACK_MIN_OBJECTS)
      return mapChunked(blobs, (b) =>
        this.write(ObjectTypes.blob, Buffer.isBuffer(b) ? b : inflateSync(b.deflated)),
      );
    const objects: PackObject[] = blobs.map((b) =>
      Buffer.isBuffer(b)
        ? { oid: objectId(PackTypes.blob, b), type: PackTypes.blob, data: b }
        : { oid: b.oid, type: PackTypes.blob, size: b.size, deflated: b.deflated },
    );
    try {
      await writePack(this.repo.path(), objects);
    } catch (cause) {
      throw new GitWriteError(`write a pack of ${objects.length} blobs`, { cause });
    }
    return objects.map((o) => o.oid);
  }

  /**
   * Write one directory as a tree object. Large directories are encoded here (see
   * `TREE_PACK_MIN_ENTRIES`). Otherwise, with `base` (the directory's previous tree), the builder
   * starts from it and only the entries that differ are inserted or removed: libgit2 checks each
   * inserted id, so re-inserting unchanged entries would cost one lookup each.
   */
  async writeTree(entries: DirEntries, base?: { oid: string; entries: DirEntries }): Promise<string> {
    if (base !== undefined && entries.size >= TREE_PACK_MIN_ENTRIES) {
      try {
        return await writeLooseObject(this.repo.path(), PackTypes.tree, encodeTree(entries));
      } catch (cause) {
        throw new GitWriteError(`write tree (${entries.size} entries) as a loose object`, { cause });
      }
    }
    if (base === undefined && entries.size >= TREE_PACK_MIN_ENTRIES) {
      const data = encodeTree(entries);
      const oid = objectId(PackTypes.tree, data);
      try {
        await writePack(this.repo.path(), [{ oid, type: PackTypes.tree, data }]);
      } catch (cause) {
        throw new GitWriteError(`write tree (${entries.size} entries) as a pack`, { cause });
      }
      return oid;
    }
    try {
      const source = base ? await NodeGit.Tree.lookup(this.repo, NodeGit.Oid.fromString(base.oid)) : null;
      const builder = await NodeGit.Treebuilder.create(this.repo, source);
      if (base) {
        for (const name of base.entries.keys()) if (!entries.has(name)) builder.remove(name);
      }
      for (const [name, e] of entries) {
        const old = base?.entries.get(name);
        if (old && old.oid === e.oid && old.mode === e.mode) continue;
        builder.insert(name, e.oid, parseInt(e.mode, 8));
      }
      const oid = (await builder.write()).tostrS();
      return oid;
    } catch (cause) {
      throw new GitWriteError(`write tree (${entries.size} entries)`, { cause });
    }
  }

  async read(oid: string): Promise<Buffer> {
    try {
      const obj = await this.odb.read(NodeGit.Oid.fromString(oid));
      // Copy: the native buffer is owned by the odb object.
      const data = Buffer.from(obj.data().toBuffer(obj.size()));
      return data;
    } catch (cause) {
      throw new GitWriteError(`read object ${oid}`, { cause });
    }
  }
}
