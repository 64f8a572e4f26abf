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

/**
 * One sort order with the filtered fields of its entries as columns (typed arrays of codes), so a filter is a tight
 * loop over numbers: at 10,000 models a view that must count its total walks every entry, and a predicate reading
 * each entry's row object (strings, Sets, a WeakMap for the search text) cost ~2 ms of one core per request.
 */
interface Order {
  list: SnapshotEntry[];
  /** Dictionary codes (see BoardSnapshot.codeOf) of type, family, dtype and status; -1 = null. */
  type: Int32Array;
  family: Int32Array;
  dtype: Int32Array;
  status: Int32Array;
  gated: Uint8Array;
  /** NaN = null (fails every range test, as NULL does in SQL). */
  params: Float64Array;
  /** Lower-cased `id \n architecture \n family`: the text the `q` filter searches (ILIKE on the three). */
  hay: string[];
}

/** The view's filters as one predicate over an order's columns (what leaderboard.ts's WHERE clause means). */
function filterOf(p: LeaderboardParams, o: Order, codeOf: (v: string) => number): ((i: number) => boolean) | null {
  const types: readonly string[] = p.type?.length ? p.type : p.base ? MODEL_TYPES : ['model', 'fine-tune'];
  const codeSet = (values: readonly string[] | undefined) => (values?.length ? new Set(values.map(codeOf)) : null);
  const typeSet = types.length < MODEL_TYPES.length ? codeSet(types) : null;
  const family = codeSet(p.family);
  const dtype = codeSet(p.dtype);
  const status = codeSet(p.status);
  const q = p.q ? p.q.toLowerCase() : null;
  // A search containing the separator must not match across two fields: search each field on its own then.
  const qSplit = q !== null && q.includes('\n');
  const gated = p.gated === undefined ? -1 : p.gated ? 1 : 0;
  const min = p.minParams;
  const max = p.maxParams;
  const base = p.base ?? null;
  if (!typeSet && !family && !dtype && !status && q === null && gated < 0 && min === undefined && max === undefined && base === null) return null;
  const { type: T, family: F, dtype: D, status: S, gated: G, params: P, hay: H, list } = o;
  return (i) => {
    if (typeSet && !typeSet.has(T[i])) return false;
    if (family && !family.has(F[i])) return false;
    if (dtype && !dtype.has(D[i])) return false;
    if (status && !status.has(S[i])) return false;
    if (gated >= 0 && G[i] !== gated) return false;
    if (min !== undefined && !(P[i] >= min)) return false;
    if (max !== undefined && !(P[i] <= max)) return false;
    if (base !== null) {
      const r = list[i].row;
      if (r.baseModel !== base || r.id === base) return false;
    }
    if (q !== null) {
      if (!qSplit) return H[i].includes(q);
      return H[i].split('\n').some((part) => part.includes(q));
    }
    return true;
  };
}

export class BoardSnapshot {
  private entries = new Map<string, SnapshotEntry>();
  private orders = new Map<string, Order>();
  /** Codes of the filtered text values (types, families, dtypes, statuses) the entries have had (a few dozen). */
  private codes = new Map<string, number>();
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

  /** An entry's filtered fields as codes, computed once per entry (every order copies them). */
  private fields = new WeakMap<SnapshotEntry, { type: number; family: number; dtype: number; status: number; gated: number; params: number; hay: string }>();

  private fieldsOf(e: SnapshotEntry) {
    let f = this.fields.get(e);
    if (!f) {
      const r = e.row;
      f = {
        type: this.codeOf(r.type),
        family: this.codeOf(r.family),
        dtype: this.codeOf(r.dtype),
        status: this.codeOf(r.status),
        gated: r.gated ? 1 : 0,
        params: r.parameterCount ?? NaN,
        hay: `${r.id}\n${r.architecture ?? ''}\n${r.family ?? ''}`.toLowerCase(),
      };
      this.fields.set(e, f);
    }
    return f;
  }

  /** A text value's code for an order's columns (a new value gets the next code). */
  private codeOf = (v: string | null): number => {
    if (v === null) return -1;
    let c = this.codes.get(v);
    if (c === undefined) this.codes.set(v, (c = this.codes.size));
    return c;
  };

  private sorted(sort: SortKey, dir: 'asc' | 'desc'): Order {
    const key = `${sort}\u0000${dir}`;
    let order = this.orders.get(key);
    if (!order) {
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
      const list = keyed.map((k) => k.e);
      const n = list.length;
      order = {
        list,
        type: new Int32Array(n),
        family: new Int32Array(n),
        dtype: new Int32Array(n),
        status: new Int32Array(n),
        gated: new Uint8Array(n),
        params: new Float64Array(n),
        hay: new Array<string>(n),
      };
      for (let i = 0; i < n; i++) {
        const f = this.fieldsOf(list[i]);
        order.type[i] = f.type;
        order.family[i] = f.family;
        order.dtype[i] = f.dtype;
        order.status[i] = f.status;
        order.gated[i] = f.gated;
        order.params[i] = f.params;
        order.hay[i] = f.hay;
      }
      this.orders.set(key, order);
    }
    return order;
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
    const order = this.sorted(p.sort, dir);
    const { list } = order;
    // A value no entry has gets -2, which no entry's code equals (codes are built with the orders only).
    const matches = filterOf(p, order, (v) => this.codes.get(v) ?? -2);
    const { sort: _s, dir: _d, page: _p, pageSize: _ps, ...filters } = p;
    const filterKey = JSON.stringify(filters);
    const known = matches ? this.totals.get(filterKey) : list.length;
    if (!matches) {
      // No filter: the page is a slice.
      for (let i = offset; i < list.length && rows.length < p.pageSize; i++) rows.push(withLiveFields(list[i], staleBefore));
      total = list.length;
    } else {
      for (let i = 0; i < list.length; i++) {
        if (!matches(i)) continue;
        if (total >= offset && rows.length < p.pageSize) rows.push(withLiveFields(list[i], staleBefore));
        total++;
        if (known !== undefined && rows.length === p.pageSize) break;
      }
    }
    if (matches && known === undefined) {
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
