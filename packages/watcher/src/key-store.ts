/**
 * What a reflector remembers per object: only the key, uid, resourceVersion and a digest of the
 * canonical content (never the object), so that 100,000 objects fit in a small heap. Keys are
 * `namespace/name`. To stay small, the repo path is stored only when it differs from the type's
 * default path for the key, numeric resourceVersions are kept as numbers, and a hex content hash is
 * kept as its first 52 bits (a number): a change is missed only if two versions of one object collide
 * on 52 bits.
 */
export interface KeyEntry {
  uid: string;
  resourceVersion: string;
  path: string;
}

interface Packed {
  uid: string;
  rv: string | number;
  hash: string | number;
  path: string | undefined;
}

const HEX13 = /^[0-9a-f]{13}/;
const NUMERIC_RV = /^[1-9]\d{0,14}$/;

function packHash(h: string): string | number {
  return HEX13.test(h) ? parseInt(h.slice(0, 13), 16) : h;
}

function packRv(rv: string): string | number {
  return NUMERIC_RV.test(rv) ? Number(rv) : rv;
}

export class KeyStore {
  readonly #entries = new Map<string, Packed>();
  readonly #defaultPath: (namespace: string, name: string) => string;

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
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get(key: string): KeyEntry | undefined {
    const p = this.#entries.get(key);
    return p ? this.#unpack(key, p) : undefined;
  }

  /** True when `key` is tracked with this uid, path and content hash (then its resourceVersion is updated). */
  unchanged(key: string, uid: string, contentHash: string, path: string, resourceVersion: string): boolean {
    const p = this.#entries.get(key);
    if (!p || p.uid !== uid || p.hash !== packHash(contentHash) || this.#pathOf(key, p) !== path)
      return false;
    p.rv = packRv(resourceVersion);
    return true;
  }

  set(key: string, uid: string, contentHash: string, path: string, resourceVersion: string): void {
    const { namespace, name } = KeyStore.splitKey(key);
    this.#entries.set(key, {
      uid,
      rv: packRv(resourceVersion),
      hash: packHash(contentHash),
      path: path === this.#defaultPath(namespace, name) ? undefined : path,
    });
  }

  delete(key: string): KeyEntry | undefined {
    const p = this.#entries.get(key);
    if (!p) return undefined;
    this.#entries.delete(key);
    return this.#unpack(key, p);
  }

  /** Remove every entry whose key is not in `keep`; returns the removed ones (vanished during a relist). */
  retainOnly(keep: ReadonlySet<string>): [string, KeyEntry][] {
    const gone: [string, KeyEntry][] = [];
    for (const [k, p] of this.#entries) {
      if (!keep.has(k)) gone.push([k, this.#unpack(k, p)]);
    }
    for (const [k] of gone) this.#entries.delete(k);
    return gone;
  }

  /** Every tracked repo path, sorted (the sync message's key set). */
  paths(): string[] {
    const out: string[] = [];
    for (const [k, p] of this.#entries) out.push(this.#pathOf(k, p));
    return out.sort();
  }

  clear(): void {
    this.#entries.clear();
  }

  #pathOf(key: string, p: Packed): string {
    if (p.path !== undefined) return p.path;
    const { namespace, name } = KeyStore.splitKey(key);
    return this.#defaultPath(namespace, name);
  }

  #unpack(key: string, p: Packed): KeyEntry {
    return { uid: p.uid, resourceVersion: String(p.rv), path: this.#pathOf(key, p) };
  }
}
