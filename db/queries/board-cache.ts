import { boardWatch, type BoardWatch } from './board-watch';
import { readThrough } from './read-cache';

/**
 * A read cache without a time-to-live, kept exact by the board watch (board-watch.ts): each entry names the models
 * it depends on and is served only while none of them changed since it was loaded. A done analysis never changes,
 * so its layer rows and page data stay until evicted; a model's detail stays until anything about the model (or a
 * model it lists) is written. Bounded by an approximate byte budget, least recently used first out. Concurrent
 * misses for the same key share one load.
 *
 * Without a live watch (BOARD_CACHE=off, or the subscription is down) reads fall back to the short-lived
 * read-through cache of read-cache.ts.
 */

export interface Loaded<T> {
  value: T;
  /** Model ids whose change makes the value stale. */
  deps: readonly string[];
  /** False for values that also depend on the clock (a running analysis' ETA): never kept. */
  keep: boolean;
  /** Approximate size in bytes (strings: their length). */
  bytes: number;
}

interface Entry<T> {
  value: T;
  deps: readonly string[];
  generation: number;
  bytes: number;
}

interface Store {
  watch: BoardWatch | null;
  entries: Map<string, Entry<unknown>>;
  loading: Map<string, Promise<unknown>>;
  bytes: number;
}

const KEY = Symbol.for('alphaboard.board-cache');
const stores: Map<string, Store> = ((globalThis as any)[KEY] ??= new Map());

/** Total budget across caches, in MB (`BOARD_CACHE_MB`, default 256). */
function budgetBytes(share: number): number {
  const mb = Number(process.env.BOARD_CACHE_MB ?? 256);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 256) * 1024 * 1024 * share;
}

export class BoardCache<T> {
  constructor(
    private readonly name: string,
    /** This cache's share of BOARD_CACHE_MB. */
    private readonly share: number,
  ) {}

  private store(watch: BoardWatch): Store {
    let s = stores.get(this.name);
    if (!s) stores.set(this.name, (s = { watch, entries: new Map(), loading: new Map(), bytes: 0 }));
    if (s.watch !== watch) {
      s.watch = watch;
      s.entries.clear();
      s.bytes = 0;
    }
    return s;
  }

  async get(key: string, load: () => Promise<Loaded<T>>, fallbackTags: readonly string[] = ['models']): Promise<T> {
    const watch = await boardWatch();
    if (!watch) {
      return readThrough({ key: `${this.name}:${key}`, tags: fallbackTags, load: async () => (await load()).value });
    }
    const s = this.store(watch);
    const hit = s.entries.get(key) as Entry<T> | undefined;
    if (hit) {
      if (watch.unchangedSince(hit.generation, hit.deps)) {
        // Most recently used last.
        s.entries.delete(key);
        s.entries.set(key, hit);
        return hit.value;
      }
      s.entries.delete(key);
      s.bytes -= hit.bytes;
    }
    const pending = s.loading.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const generation = watch.generation;
    const loading = load().then((res) => {
      if (res.keep && watch.unchangedSince(generation, res.deps) && s.watch === watch) this.put(s, key, { value: res.value, deps: res.deps, generation, bytes: res.bytes });
      return res.value;
    });
    s.loading.set(key, loading);
    try {
      return await loading;
    } finally {
      s.loading.delete(key);
    }
  }

  private put(s: Store, key: string, entry: Entry<T>): void {
    const budget = budgetBytes(this.share);
    if (entry.bytes > budget / 4) return;
    const old = s.entries.get(key);
    if (old) s.bytes -= old.bytes;
    s.entries.set(key, entry);
    s.bytes += entry.bytes;
    for (const [k, e] of s.entries) {
      if (s.bytes <= budget) break;
      s.entries.delete(k);
      s.bytes -= e.bytes;
    }
  }

  /** Entries and bytes held (tests, metrics). */
  stats(): { entries: number; bytes: number } {
    const s = stores.get(this.name);
    return { entries: s?.entries.size ?? 0, bytes: s?.bytes ?? 0 };
  }
}
