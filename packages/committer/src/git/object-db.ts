import NodeGit from "nodegit";
import { GitWriteError } from "../errors/git-write-error.js";

import type { ObjectType } from "./object-types.js";

/** Raw object reads and writes through libgit2's object database. Object ids are 40-hex strings. */
export class ObjectDb {
  constructor(private readonly odb: NodeGit.Odb) {}

  async write(type: ObjectType, data: Buffer): Promise<string> {
    try {
      const oid = await this.odb.write(data, data.length, type);
      return oid.tostrS();
    } catch (cause) {
      throw new GitWriteError(`write object (type ${type}, ${data.length} bytes)`, { cause });
    }
  }

  async read(oid: string): Promise<Buffer> {
    try {
      const obj = await this.odb.read(NodeGit.Oid.fromString(oid));
      // Copy: the native buffer is owned by the odb object.
      const data = Buffer.from(obj.data().toBuffer(obj.size()));
      obj.free();
      return data;
    } catch (cause) {
      throw new GitWriteError(`read object ${oid}`, { cause });
    }
  }
}
