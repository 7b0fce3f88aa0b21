/**
 * What a reflector remembers per object: only the key, uid, resourceVersion, repo path and content hash
 * (never the object), so that 100,000 objects fit in a small heap. Keys are `namespace/name`.
 */
export interface KeyEntry {
  uid: string;
  resourceVersion: string;
  contentHash: string;
  path: string;
}

export class KeyStore {
  readonly #entries = new Map<string, KeyEntry>();

  static keyOf(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): KeyEntry | undefined {
    return this.#entries.get(key);
  }

  set(key: string, entry: KeyEntry): void {
    this.#entries.set(key, entry);
  }

  delete(key: string): KeyEntry | undefined {
    const e = this.#entries.get(key);
    if (e) this.#entries.delete(key);
    return e;
  }

  /** Remove every entry whose key is not in `keep`; returns the removed ones (vanished during a relist). */
  retainOnly(keep: ReadonlySet<string>): [string, KeyEntry][] {
    const gone: [string, KeyEntry][] = [];
    for (const [k, e] of this.#entries) {
      if (!keep.has(k)) gone.push([k, e]);
    }
    for (const [k] of gone) this.#entries.delete(k);
    return gone;
  }

  /** Every tracked repo path, sorted (the sync message's key set). */
  paths(): string[] {
    const out: string[] = [];
    for (const e of this.#entries.values()) out.push(e.path);
    return out.sort();
  }

  clear(): void {
    this.#entries.clear();
  }
}
