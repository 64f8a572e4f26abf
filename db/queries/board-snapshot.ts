import { claimTimings } from '@/jobs/claims';
import type { BoardWatch } from './board-watch';
import { defaultDir, MODEL_TYPES, type LeaderboardParams, type SortKey } from './leaderboard-params';
import type { LeaderboardPage, LeaderboardRow } from './leaderboard';

/**
 * The leaderboard held in memory: one compact entry per model (its row as the page shows it, a few hundred bytes),
 * so any filter, sort and page is a walk over an array instead of a query. Sorted orders are built on first use
 * per sort key and direction and kept until the board changes.
 *
 * Kept exact by the board watch (board-watch.ts): every committed change names its model; before answering, the
 * snapshot re-reads just those models' rows (one query), or everything after '*' (TRUNCATE, lost subscription).
 * Filters and orders mean exactly what leaderboard.ts's SQL means; leaderboard-snapshot.test.ts compares the two on
 * hundreds of random views.
 */

export interface SnapshotEntry {
  row: LeaderboardRow;
  /** The current analysis' last write (ms), for "waiting to resume" at answer time. */
  analysisUpdatedAt: number | null;
  /** The "analysed" time in microseconds (the database's precision), for sorting by it. */
  analysedAtUs: number | null;
}

type Loader = (ids?: readonly string[]) => Promise<SnapshotEntry[]>;

type SortValue = number | string | null;

/** Each sort key's value, as the SQL ORDER BY in leaderboard.ts computes it (null sorts last). */
function sortValue(sort: SortKey, e: SnapshotEntry): SortValue {
  const r = e.row;
  const s = r.summary as Record<string, unknown> | null;
  const fromSummary = (field: string) => {
    const v = s?.[field];
    return typeof v === 'number' ? v : null;
  };
  if (sort.startsWith('bench:')) return r.benchmarks[sort.slice(6)] ?? null;
  switch (sort) {
    case 'model': return r.id;
    case 'family': return r.family;
    case 'architecture': return r.architecture;
    case 'params': return r.parameterCount;
    case 'dtype': return r.dtype;
    case 'license': return r.license;
    case 'gated': return r.gated ? 1 : 0;
    case 'layers': return fromSummary('layers_analyzed');
    case 'alpha': case 'median_alpha': case 'alpha_weighted': case 'log_alpha_norm': case 'log_spectral_norm':
    case 'mean_D': case 'share_alpha_lt_2': case 'share_alpha_gt_6':
      return fromSummary(sort);
    case 'traps': return fromSummary('correlation_traps');
    case 'revision': return r.revision ? r.revision.ref : null;
    case 'analysed_at': return e.analysedAtUs;
    case 'status': return r.status;
    case 'downloads': return r.downloads;
    case 'likes': return r.likes;
    default: return null;
  }
}

/** Code-point order, as COLLATE "C" (model ids and the other sorted texts are ASCII in practice). */
function compareValues(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Lower-cased text the `q` filter searches (ILIKE on id, architecture and family), computed once per entry. */
const searchText = new WeakMap<SnapshotEntry, [string, string, string]>();

function haystack(e: SnapshotEntry): [string, string, string] {
  let h = searchText.get(e);
  if (!h) searchText.set(e, (h = [e.row.id.toLowerCase(), (e.row.architecture ?? '').toLowerCase(), (e.row.family ?? '').toLowerCase()]));
  return h;
}

/** The view's filters as one predicate (what leaderboard.ts's WHERE clause means), built once per request. */
function filterOf(p: LeaderboardParams): (e: SnapshotEntry) => boolean {
  const types: readonly string[] = p.type?.length ? p.type : p.base ? MODEL_TYPES : ['model', 'fine-tune'];
  const typeSet = types.length < MODEL_TYPES.length ? new Set(types) : null;
  const q = p.q ? p.q.toLowerCase() : null;
  const family = p.family?.length ? new Set(p.family) : null;
  const dtype = p.dtype?.length ? new Set(p.dtype) : null;
  const status = p.status?.length ? new Set<string>(p.status) : null;
  return (e) => {
    const r = e.row;
    if (typeSet && !typeSet.has(r.type)) return false;
    if (p.base && (r.baseModel !== p.base || r.id === p.base)) return false;
    if (family && (r.family === null || !family.has(r.family))) return false;
    if (dtype && (r.dtype === null || !dtype.has(r.dtype))) return false;
    if (status && (r.status === null || !status.has(r.status))) return false;
    if (p.gated !== undefined && r.gated !== p.gated) return false;
    if (p.minParams !== undefined && (r.parameterCount === null || r.parameterCount < p.minParams)) return false;
    if (p.maxParams !== undefined && (r.parameterCount === null || r.parameterCount > p.maxParams)) return false;
    if (q) {
      const [id, arch, fam] = haystack(e);
      if (!id.includes(q) && !arch.includes(q) && !fam.includes(q)) return false;
    }
    return true;
  };
}

export class BoardSnapshot {
  private entries = new Map<string, SnapshotEntry>();
  private orders = new Map<string, SnapshotEntry[]>();
  /** Row count per filter (sort and page left out): a page then stops walking once it is full. */
  private totals = new Map<string, number>();
  /** Ids changed since the last refresh; '*' = reload everything. */
  private pending = new Set<string>(['*']);
  private refreshing: Promise<void> | null = null;
  private unsubscribe: () => void;

  constructor(
    readonly watch: BoardWatch,
    private readonly load: Loader,
  ) {
    this.unsubscribe = watch.onChange((id) => this.pending.add(id));
  }

  detach(): void {
    this.unsubscribe();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bring the entries up to date with every change received so far. */
  async refresh(): Promise<void> {
    while (this.pending.size > 0) {
      if (!this.refreshing) {
        const ids = this.pending;
        this.pending = new Set();
        this.refreshing = this.apply(ids).finally(() => {
          this.refreshing = null;
        });
      }
      try {
        await this.refreshing;
      } catch (err) {
        // Nothing was applied: ask again next time.
        this.pending.add('*');
        throw err;
      }
    }
  }

  private async apply(ids: Set<string>): Promise<void> {
    // A change to hundreds of models at once (an import, a discovery run) reloads everything in one query.
    if (ids.has('*') || ids.size > 500) {
      const all = await this.load();
      this.entries = new Map(all.map((e) => [e.row.id, e]));
    } else {
      const list = [...ids];
      const fresh = await this.load(list);
      for (const id of list) this.entries.delete(id);
      for (const e of fresh) this.entries.set(e.row.id, e);
    }
    this.orders.clear();
    this.totals.clear();
  }

  private sorted(sort: SortKey, dir: 'asc' | 'desc'): SnapshotEntry[] {
    const key = `${sort}\u0000${dir}`;
    let list = this.orders.get(key);
    if (!list) {
      const sign = dir === 'asc' ? 1 : -1;
      const keyed = [...this.entries.values()].map((e) => ({ e, v: sortValue(sort, e) }));
      keyed.sort((x, y) => {
        if (x.v !== y.v) {
          if (x.v === null) return 1;
          if (y.v === null) return -1;
          const c = compareValues(x.v, y.v);
          if (c !== 0) return sign * c;
        }
        return compareValues(x.e.row.id, y.e.row.id);
      });
      list = keyed.map((k) => k.e);
      this.orders.set(key, list);
    }
    return list;
  }

  /** One model's row (null when the model is not on the board). */
  get(id: string): LeaderboardRow | null {
    const e = this.entries.get(id);
    return e ? withLiveFields(e, Date.now() - claimTimings().staleAfterSeconds * 1000) : null;
  }

  /** One page of the view `p`: the same rows, order and total as the SQL query. */
  page(p: LeaderboardParams): LeaderboardPage {
    const dir = p.dir ?? defaultDir(p.sort);
    const offset = (p.page - 1) * p.pageSize;
    const rows: LeaderboardRow[] = [];
    let total = 0;
    const staleBefore = Date.now() - claimTimings().staleAfterSeconds * 1000;
    const matches = filterOf(p);
    const { sort: _s, dir: _d, page: _p, pageSize: _ps, ...filters } = p;
    const filterKey = JSON.stringify(filters);
    const known = this.totals.get(filterKey);
    for (const e of this.sorted(p.sort, dir)) {
      if (!matches(e)) continue;
      if (total >= offset && rows.length < p.pageSize) rows.push(withLiveFields(e, staleBefore));
      total++;
      if (known !== undefined && rows.length === p.pageSize) break;
    }
    if (known === undefined) {
      // Bounded: arbitrary search strings must not grow it without end between two changes.
      if (this.totals.size >= 10_000) this.totals.clear();
      this.totals.set(filterKey, total);
    }
    return { rows, total: known ?? total, page: p.page, pageSize: p.pageSize, sort: p.sort, dir };
  }
}

/** "Waiting to resume" depends on the clock, not only on the stored row. */
function withLiveFields(e: SnapshotEntry, staleBefore: number): LeaderboardRow {
  const r = e.row;
  if (!r.progress) return r;
  const waiting = r.status === 'running' && e.analysisUpdatedAt !== null && e.analysisUpdatedAt < staleBefore;
  return waiting === r.progress.waitingToResume ? r : { ...r, progress: { ...r.progress, waitingToResume: waiting } };
}
