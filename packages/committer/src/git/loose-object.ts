/**
 * One object written as a loose file (`objects/ab/cdef...`, zlib of `<type> <size>\0<data>`), the way
 * git writes one. Used for a large directory's tree when it changes: libgit2's Treebuilder copies
 * every entry of the previous tree into native memory to change a few (about 20 MB per commit for a
 * 90,000-file directory), where encoding the tree here costs one buffer of its size. A pack per
 * commit would leave a packfile behind for every window; loose objects are what `git gc` expects.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDeflate } from "node:zlib";
import { objectId, TYPE_NAMES, type PackType } from "./pack-writer.js";

/** Writes the object unless it exists; returns its id. */
export async function writeLooseObject(gitDir: string, type: PackType, data: Buffer): Promise<string> {
  const oid = objectId(type, data);
  const dir = join(gitDir, "objects", oid.slice(0, 2));
  const file = join(dir, oid.slice(2));
  if (await exists(file)) return oid;
  const header = Buffer.from(`${TYPE_NAMES[type]} ${data.length}\0`, "latin1");
  await mkdir(dir, { recursive: true });
  // git's own temporary names (tmp_obj_*) are skipped by readers scanning the directory
  const tmp = join(dir, `tmp_obj_shiplog_${process.pid}_${oid.slice(2, 12)}`);
  try {
    // streamed: neither the header + data nor the compressed object is held as one more copy
    await pipeline(
      Readable.from([header, data]),
      createDeflate({ level: 1 }),
      createWriteStream(tmp, { mode: 0o444 }),
    );
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
  return oid;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
