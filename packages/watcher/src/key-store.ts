/**
 * What a reflector remembers per object: only the key, uid, resourceVersion and a digest of the
 * canonical content (never the object), so that 100,000 objects fit in a small heap. Keys are
 * `namespace/name`.
 *
 * Each tracked key owns a slot in flat typed arrays rather than an object of its own: the uid as 16
 * bytes when it is a UUID (as the apiserver makes them), a numeric resourceVersion as a number, and a
 * hex content hash as its first 52 bits (a number). A change is missed only if two versions of one
 * object collide on 52 bits. The rare value that does not fit (a uid that is not a UUID, a
 * resourceVersion that is not a decimal integer, a hash that is not hex, a path other than the type's
 * default for the key) is kept as a string in a side map for that slot. Measured with 100,000 entries
 * (keys like `bench/cm-12345`, UUID uids): 71 bytes of heap per entry, key included, against 202 when
 * each entry was a small object holding the uid string.
 */
export interface KeyEntry {
  uid: string;
  resourceVersion: string;
  path: string;
}

const HEX13 = /^[0-9a-f]{13}/;
const NUMERIC_RV = /^[1-9]\d{0,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Marks an rv or hash slot whose value is in the side map. Packed values are never negative. */
const ASIDE = -1;
const UID_ASIDE = 1;
const PATH_ASIDE = 2;
const UUID_BYTES = 16;
/** Offsets in a UUID string of the first hex digit of each of its 16 bytes. */
const UUID_OFFSETS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const INITIAL_CAPACITY = 64;

function hexValue(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

function packHash(h: string): number | undefined {
  return HEX13.test(h) ? parseInt(h.slice(0, 13), 16) : undefined;
}

function packRv(rv: string): number | undefined {
  return NUMERIC_RV.test(rv) ? Number(rv) : undefined;
}

export class KeyStore {
  readonly #defaultPath: (namespace: string, name: string) => string;
  readonly #slots = new Map<string, number>();
  #free: number[] = [];
  #capacity = 0;
  #next = 0;
  #uid = new Uint8Array(0);
  #rv = new Float64Array(0);
  #hash = new Float64Array(0);
  #flags = new Uint8Array(0);
  readonly #uidAside = new Map<number, string>();
  readonly #rvAside = new Map<number, string>();
  readonly #hashAside = new Map<number, string>();
  readonly #pathAside = new Map<number, string>();

  /** `defaultPath` gives the repo path core would choose for an object of this type. */
  constructor(defaultPath: (namespace: string, name: string) => string) {
    this.#defaultPath = defaultPath;
  }

  static keyOf(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  static splitKey(key: string): { namespace: string; name: string } {
    const slash = key.indexOf("/");
    return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
  }

  /** The path core would choose for `key` (a recorded object may have another, see `get`). */
  defaultPathOf(key: string): string {
    const { namespace, name } = KeyStore.splitKey(key);
    return this.#defaultPath(namespace, name);
  }

  get size(): number {
    return this.#slots.size;
  }

  has(key: string): boolean {
    return this.#slots.has(key);
  }

  get(key: string): KeyEntry | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined ? undefined : this.#unpack(key, slot);
  }

  /** True when `key` is tracked with this uid, path and content hash (then its resourceVersion is updated). */
  unchanged(key: string, uid: string, contentHash: string, path: string, resourceVersion: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    if (!this.#uidEquals(slot, uid) || !this.#hashEquals(slot, contentHash)) return false;
    if (this.#pathOf(key, slot) !== path) return false;
    this.#writeRv(slot, resourceVersion);
    return true;
  }

  set(key: string, uid: string, contentHash: string, path: string, resourceVersion: string): void {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#allocate();
      this.#slots.set(key, slot);
    }
    this.#flags[slot] = 0;
    this.#uidAside.delete(slot);
    this.#pathAside.delete(slot);
    this.#writeUid(slot, uid);
    this.#writeRv(slot, resourceVersion);
    this.#writeHash(slot, contentHash);
    if (path !== this.defaultPathOf(key)) {
      this.#flags[slot] = this.#flags[slot]! | PATH_ASIDE;
      this.#pathAside.set(slot, path);
    }
  }

  delete(key: string): KeyEntry | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    const entry = this.#unpack(key, slot);
    this.#release(key, slot);
    return entry;
  }

  /** Remove every entry whose key is not in `keep`; returns the removed ones (vanished during a relist). */
  retainOnly(keep: ReadonlySet<string>): [string, KeyEntry][] {
    const gone: [string, KeyEntry][] = [];
    for (const [k, slot] of this.#slots) {
      if (!keep.has(k)) gone.push([k, this.#unpack(k, slot)]);
    }
    for (const [k] of gone) this.#release(k, this.#slots.get(k)!);
    return gone;
  }

  /** Every tracked repo path, sorted (the sync message's key set). */
  paths(): string[] {
    const out: string[] = [];
    for (const [k, slot] of this.#slots) out.push(this.#pathOf(k, slot));
    return out.sort();
  }

  clear(): void {
    this.#slots.clear();
    this.#free = [];
    this.#capacity = 0;
    this.#next = 0;
    this.#uid = new Uint8Array(0);
    this.#rv = new Float64Array(0);
    this.#hash = new Float64Array(0);
    this.#flags = new Uint8Array(0);
    this.#uidAside.clear();
    this.#rvAside.clear();
    this.#hashAside.clear();
    this.#pathAside.clear();
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#next === this.#capacity) this.#grow();
    return this.#next++;
  }

  #grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.#capacity * 2);
    const uid = new Uint8Array(capacity * UUID_BYTES);
    uid.set(this.#uid);
    const rv = new Float64Array(capacity);
    rv.set(this.#rv);
    const hash = new Float64Array(capacity);
    hash.set(this.#hash);
    const flags = new Uint8Array(capacity);
    flags.set(this.#flags);
    this.#uid = uid;
    this.#rv = rv;
    this.#hash = hash;
    this.#flags = flags;
    this.#capacity = capacity;
  }

  #release(key: string, slot: number): void {
    this.#slots.delete(key);
    this.#uidAside.delete(slot);
    this.#rvAside.delete(slot);
    this.#hashAside.delete(slot);
    this.#pathAside.delete(slot);
    this.#flags[slot] = 0;
    this.#free.push(slot);
  }

  #writeUid(slot: number, uid: string): void {
    if (!UUID.test(uid)) {
      this.#flags[slot] = this.#flags[slot]! | UID_ASIDE;
      this.#uidAside.set(slot, uid);
      return;
    }
    const base = slot * UUID_BYTES;
    for (let i = 0; i < UUID_BYTES; i++) {
      const at = UUID_OFFSETS[i]!;
      this.#uid[base + i] = (hexValue(uid.charCodeAt(at)) << 4) | hexValue(uid.charCodeAt(at + 1));
    }
  }

  #writeRv(slot: number, resourceVersion: string): void {
    const packed = packRv(resourceVersion);
    if (packed === undefined) {
      this.#rv[slot] = ASIDE;
      this.#rvAside.set(slot, resourceVersion);
    } else {
      this.#rv[slot] = packed;
      this.#rvAside.delete(slot);
    }
  }

  #writeHash(slot: number, contentHash: string): void {
    const packed = packHash(contentHash);
    if (packed === undefined) {
      this.#hash[slot] = ASIDE;
      this.#hashAside.set(slot, contentHash);
    } else {
      this.#hash[slot] = packed;
      this.#hashAside.delete(slot);
    }
  }

  #uidEquals(slot: number, uid: string): boolean {
    if (this.#flags[slot]! & UID_ASIDE) return this.#uidAside.get(slot) === uid;
    if (!UUID.test(uid)) return false;
    const base = slot * UUID_BYTES;
    for (let i = 0; i < UUID_BYTES; i++) {
      const at = UUID_OFFSETS[i]!;
      const byte = (hexValue(uid.charCodeAt(at)) << 4) | hexValue(uid.charCodeAt(at + 1));
      if (this.#uid[base + i] !== byte) return false;
    }
    return true;
  }

  #hashEquals(slot: number, contentHash: string): boolean {
    const packed = packHash(contentHash);
    const stored = this.#hash[slot]!;
    if (packed === undefined) return stored === ASIDE && this.#hashAside.get(slot) === contentHash;
    return stored === packed;
  }

  #uidOf(slot: number): string {
    if (this.#flags[slot]! & UID_ASIDE) return this.#uidAside.get(slot)!;
    const base = slot * UUID_BYTES;
    let out = "";
    for (let i = 0; i < UUID_BYTES; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out += "-";
      out += this.#uid[base + i]!.toString(16).padStart(2, "0");
    }
    return out;
  }

  #rvOf(slot: number): string {
    const rv = this.#rv[slot]!;
    return rv === ASIDE ? this.#rvAside.get(slot)! : String(rv);
  }

  #pathOf(key: string, slot: number): string {
    if (this.#flags[slot]! & PATH_ASIDE) return this.#pathAside.get(slot)!;
    return this.defaultPathOf(key);
  }

  #unpack(key: string, slot: number): KeyEntry {
    return { uid: this.#uidOf(slot), resourceVersion: this.#rvOf(slot), path: this.#pathOf(key, slot) };
  }
}
