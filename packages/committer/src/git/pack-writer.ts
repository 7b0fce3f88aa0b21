/**
 * Writes many new objects as one packfile (version 2, every object stored whole, no deltas) with its
 * version 2 index, instead of one loose file each. Creating a file per object is what bounds a large
 * window (about 0.2 ms per file on the benchmark machine, whether libgit2 or Node writes it); one pack
 * is two files. libgit2 finds a new pack by itself: a lookup that misses refreshes the pack list.
 * Format: gitformat-pack(5).
 */
import { createHash } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

/** Pack object type numbers (not the loose header names). */
export const PackTypes = { commit: 1, tree: 2, blob: 3 } as const;
export type PackType = (typeof PackTypes)[keyof typeof PackTypes];

/** An object to pack: its data, or (worked out ahead) its size and deflated data (`deflateObject`). */
export type PackObject =
  | { readonly oid: string; readonly type: PackType; readonly data: Buffer }
  | { readonly oid: string; readonly type: PackType; readonly size: number; readonly deflated: Buffer };

export const TYPE_NAMES: Record<PackType, string> = { 1: "commit", 2: "tree", 3: "blob" };

/** The object id git gives `data` stored as `type`. */
export function objectId(type: PackType, data: Buffer): string {
  return createHash("sha1").update(`${TYPE_NAMES[type]} ${data.length}\0`).update(data).digest("hex");
}

function entryHeader(type: PackType, size: number): Buffer {
  const bytes: number[] = [];
  let c = (type << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(c | 0x80);
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(c);
  return Buffer.from(bytes);
}

/**
 * An object's data as its pack entry stores it: level-1 deflate, with one output chunk about the
 * object's size (with zlib's default 16 KiB chunk, every small object left a 16 KiB buffer behind for
 * the garbage collector: 200 MB of them for 10,000 objects).
 */
export function deflateObject(data: Buffer): Buffer {
  return deflateSync(data, { level: 1, chunkSize: Math.max(64, data.length + 64) });
}

/** zlib's `deflateBound`: the most deflate can turn `n` bytes into. */
function deflateBound(n: number): number {
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 13;
}

export interface EncodedPack {
  /** The pack's checksum (hex): its name is `pack-<checksum>`. */
  readonly checksum: string;
  readonly pack: Buffer;
  readonly idx: Buffer;
}

/**
 * Encode `objects` (distinct ids) as a pack and its index. The pack is written into one buffer sized
 * for the worst case of level-1 deflate, so a window's 10,000 blobs cost no per-object entry buffers
 * and no concatenated copies of the whole pack (three before, about 9 MB each time at 10,000 blobs).
 */
export function encodePack(objects: readonly PackObject[]): EncodedPack {
  let bound = 12 + 20;
  for (const o of objects) bound += 10 + ("deflated" in o ? o.deflated.length : deflateBound(o.data.length));
  if (bound >= 0x80000000) throw new RangeError("pack would exceed 2 GiB; write fewer objects at once");
  const out = Buffer.allocUnsafe(bound);
  out.write("PACK", 0, "latin1");
  out.writeUInt32BE(2, 4);
  out.writeUInt32BE(objects.length, 8);
  const entries: { oid: Buffer; crc: number; offset: number }[] = [];
  let offset = 12;
  for (const o of objects) {
    const start = offset;
    offset += entryHeader(o.type, "deflated" in o ? o.size : o.data.length).copy(out, offset);
    offset += ("deflated" in o ? o.deflated : deflateObject(o.data)).copy(out, offset);
    entries.push({ oid: Buffer.from(o.oid, "hex"), crc: crc32(out.subarray(start, offset)), offset: start });
  }
  const packSum = createHash("sha1").update(out.subarray(0, offset)).digest();
  offset += packSum.copy(out, offset);
  const pack = out.subarray(0, offset);

  entries.sort((a, b) => Buffer.compare(a.oid, b.oid));
  const n = entries.length;
  const idx = Buffer.alloc(8 + 256 * 4 + n * 20 + n * 4 + n * 4 + 20 + 20);
  idx.writeUInt32BE(0xff744f63, 0);
  idx.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const e of entries) fanout[e.oid[0] ?? 0] = (fanout[e.oid[0] ?? 0] ?? 0) + 1;
  let at = 8;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += fanout[i] ?? 0;
    idx.writeUInt32BE(running, at);
    at += 4;
  }
  for (const e of entries) at += e.oid.copy(idx, at);
  for (const e of entries) at = idx.writeUInt32BE(e.crc >>> 0, at);
  for (const e of entries) at = idx.writeUInt32BE(e.offset, at);
  at += packSum.copy(idx, at);
  createHash("sha1").update(idx.subarray(0, at)).digest().copy(idx, at);
  return { checksum: packSum.toString("hex"), pack, idx };
}

/**
 * Write `objects` into `<gitDir>/objects/pack`: the pack first, then its index (git and libgit2 see a
 * pack only through its index), each through a temporary name and a rename.
 */
export async function writePack(gitDir: string, objects: readonly PackObject[]): Promise<string> {
  const unique = [...new Map(objects.map((o) => [o.oid, o])).values()];
  const { checksum, pack, idx } = encodePack(unique);
  const dir = join(gitDir, "objects", "pack");
  await mkdir(dir, { recursive: true });
  const base = join(dir, `pack-${checksum}`);
  // Temporary names end in neither .pack nor .idx (as git's own tmp_pack_*, tmp_idx_*): a git reading
  // the repository meanwhile opens every *.idx it finds, and a half-written one made it print
  // "index file ... is too small".
  const tmp = join(dir, `tmp_shiplog_${process.pid}_${checksum}`);
  try {
    await writeFile(`${tmp}_pack`, pack, { mode: 0o444 });
    await writeFile(`${tmp}_idx`, idx, { mode: 0o444 });
    await rename(`${tmp}_pack`, `${base}.pack`);
    await rename(`${tmp}_idx`, `${base}.idx`);
  } finally {
    await rm(`${tmp}_pack`, { force: true });
    await rm(`${tmp}_idx`, { force: true });
  }
  return checksum;
}
