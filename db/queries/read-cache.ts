/**
 * A small in-process read-through cache for the read side (pages and the REST API).
 *
 * Why: in embedded mode every read goes through the one PGlite connection that the in-process worker also writes
 * through, so repeated identical reads (a popular leaderboard view, a model page being refreshed) would queue behind
 * each other. Entries live `ttlMs` (default 2 s), so progress bars lag by at most that much; concurrent misses for the
 * same key share one query. A finished analysis may call {@link invalidateReads} to drop entries at once.
 * Bounded: beyond MAX_ENTRIES the oldest entries are evicted (Map keeps insertion order).
 */

interface Entry {
  expires: number;
  tags: readonly string[];
  value: Promise<unknown>;
}

const MAX_ENTRIES = 1000;
const KEY = Symbol.for('alphaboard.read-cache');
const store: Map<string, Entry> = ((globalThis as any)[KEY] ??= new Map<string, Entry>());

/** Default lifetime; `READ_CACHE_TTL_MS=0` turns the cache off (tests that write between reads). */
function envTtl(): number | undefined {
  const v = process.env.READ_CACHE_TTL_MS;
  return v === undefined || v === '' ? undefined : Number(v);
}

export async function readThrough<T>(params: {
  key: string;
  tags: readonly string[];
  ttlMs?: number;
  load: () => Promise<T>;
}): Promise<T> {
  const env = envTtl();
  const ttl = env === 0 ? 0 : (params.ttlMs ?? env ?? 2000);
  if (!(ttl > 0)) return params.load();
  const now = Date.now();
  const hit = store.get(params.key);
  if (hit && hit.expires > now) return hit.value as Promise<T>;
  const value = params.load();
  store.set(params.key, { expires: now + ttl, tags: params.tags, value });
  // A failed read must not be served from the cache.
  value.catch(() => {
    if (store.get(params.key)?.value === value) store.delete(params.key);
  });
  if (store.size > MAX_ENTRIES) {
    const oldest = store.keys().next().value;
    if (oldest !== undefined) store.delete(oldest);
  }
  return value;
}

/** Drop cached reads carrying `tag` (e.g. `models`, `layers`), or all of them when no tag is given. */
export function invalidateReads(tag?: string): void {
  for (const [key, entry] of store) {
    if (!tag || entry.tags.includes(tag)) store.delete(key);
  }
}
