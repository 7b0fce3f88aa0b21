/**
 * Where a watcher keeps, per type, the resourceVersion it has queued up to, so that a restarted
 * watcher can resume its watches instead of relisting. One Redis hash `<prefix>:shiplog-watch-resume`:
 * a field per type id, plus `@scope`, a fingerprint of the watcher's selection (include/exclude,
 * labelSelector...). Checkpoints taken under another selection describe other objects, so `load`
 * ignores them when the fingerprint differs. The hash holds only resourceVersions (no content).
 */
import type { ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";

/** The hash field that holds the selection fingerprint (type ids never start with "@"). */
const SCOPE_FIELD = "@scope";

export class ResumeStore {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #scope: string;

  /**
   * `connection`: the queue's connection (ioredis options or an instance, as BullMQ takes it; an
   * instance is duplicated so that closing this store never closes the caller's client).
   * `scope`: the fingerprint of the selection the checkpoints are valid for.
   */
  constructor(connection: ConnectionOptions, prefix: string, scope: string) {
    this.#redis =
      connection instanceof Redis
        ? connection.duplicate()
        : new Redis({ ...(connection as object), maxRetriesPerRequest: 1, lazyConnect: true });
    // A failed load or save rejects, and its caller counts and logs it; without a listener ioredis
    // would print every reconnect attempt while Redis is down.
    this.#redis.on("error", () => undefined);
    this.#key = `${prefix}:shiplog-watch-resume`;
    this.#scope = scope;
  }

  /** The stored resourceVersion per type id; empty when nothing is stored or it was taken under another scope. */
  async load(): Promise<Map<string, string>> {
    const all = await this.#redis.hgetall(this.#key);
    const out = new Map<string, string>();
    if (all[SCOPE_FIELD] !== this.#scope) return out;
    for (const [field, rv] of Object.entries(all)) if (field !== SCOPE_FIELD && rv !== "") out.set(field, rv);
    return out;
  }

  /** Stores these resourceVersions (and the scope) in one HSET. */
  async save(entries: ReadonlyMap<string, string>): Promise<void> {
    if (entries.size === 0) return;
    await this.#redis.hset(this.#key, SCOPE_FIELD, this.#scope, ...[...entries].flat());
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
