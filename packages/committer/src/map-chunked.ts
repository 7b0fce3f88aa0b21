/** How many promises `mapChunked` keeps in flight. */
const CHUNK = 64;

/** `fn` over `items`, at most CHUNK at a time, results in order. */
export async function mapChunked<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK)
    out.push(...(await Promise.all(items.slice(i, i + CHUNK).map(fn))));
  return out;
}
