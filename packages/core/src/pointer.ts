/**
 * JSON pointers (RFC 6901) with one extension: a `*` segment matches every key of an object or every
 * index of an array. Updates are copy-on-write along the path, so inputs (e.g. the watcher's cache) are
 * never mutated.
 */

export type Pointer = readonly string[];

/** Splits `/spec/template/~1x` into unescaped segments. `""` is the whole document (no segments). */
export function parsePointer(p: string): Pointer {
  if (p === "") return [];
  if (!p.startsWith("/")) throw new RangeError(`not a JSON pointer: ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** Escapes one segment for a pointer. */
export function escapeSegment(s: string): string {
  return s.replaceAll("~", "~0").replaceAll("/", "~1");
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === "object" && v !== null;
}

function childKeys(v: Record<string, unknown> | unknown[], seg: string): string[] {
  if (seg !== "*") return Object.hasOwn(v, seg) ? [seg] : [];
  return Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
}

/**
 * Returns `root` with the value at each matched location replaced by `fn(value, concretePath)`
 * (`undefined` deletes it from an object; in arrays it is set to null). Copies only what changes.
 */
export function updateAt(
  root: unknown,
  ptr: Pointer,
  fn: (value: unknown, path: readonly string[]) => unknown,
  at: readonly string[] = [],
): unknown {
  if (ptr.length === 0) return fn(root, at);
  if (!isContainer(root)) return root;
  const [seg, ...rest] = ptr as [string, ...string[]];
  let copy: Record<string, unknown> | unknown[] | undefined;
  for (const k of childKeys(root, seg)) {
    const cur = (root as Record<string, unknown>)[k];
    const next = updateAt(cur, rest, fn, [...at, k]);
    if (next === cur && !(next === undefined && rest.length === 0)) continue;
    copy ??= Array.isArray(root) ? [...root] : { ...root };
    if (next === undefined && !Array.isArray(copy)) delete copy[k];
    else (copy as Record<string, unknown>)[k] = next === undefined ? null : next;
  }
  return copy ?? root;
}

/** All concrete (path, value) pairs a pointer matches. */
export function collect(root: unknown, ptr: Pointer, at: readonly string[] = []): Array<[string[], unknown]> {
  if (ptr.length === 0) return [[[...at], root]];
  if (!isContainer(root)) return [];
  const [seg, ...rest] = ptr as [string, ...string[]];
  const out: Array<[string[], unknown]> = [];
  for (const k of childKeys(root, seg))
    out.push(...collect((root as Record<string, unknown>)[k], rest, [...at, k]));
  return out;
}

/** Sets `value` at a concrete path, creating objects on the way; copy-on-write. */
export function setAt(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [seg, ...rest] = path as [string, ...string[]];
  const base: Record<string, unknown> | unknown[] = isContainer(root) ? root : {};
  const copy: Record<string, unknown> | unknown[] = Array.isArray(base) ? [...base] : { ...base };
  (copy as Record<string, unknown>)[seg] = setAt((base as Record<string, unknown>)[seg], rest, value);
  return copy;
}
