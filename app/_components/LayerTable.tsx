'use client';

import { useMemo, useState } from 'react';
import { WW_DEFAULT_METRIC_COLUMNS, WW_OPTIONAL_METRIC_COLUMNS } from '@/lib/types';
import { fmt } from './format';

type Row = Record<string, unknown> & { ordinal: number; tensor: string };

const LEAD = ['ordinal', 'tensor', 'role', 'block_index', 'shape', 'dtype', 'status', 'phase'] as const;

/** Rows rendered before "Show all": keeps the first paint (and the server render) small for 300-layer models. */
const INITIAL_ROWS = 30;

/**
 * Every layer with every stored column; click a header (or press Enter on it) to sort. The page sends the first
 * rows only; the rest come from the layers API (same data, cached) when all are shown or a column is sorted.
 */
export function LayerTable({ rows: initialRows, total, fullUrl }: { rows: Row[]; total: number; fullUrl: string }) {
  const [rows, setRows] = useState<Row[]>(initialRows);
  const [showAll, setShowAll] = useState(total <= INITIAL_ROWS);
  const [error, setError] = useState<string | null>(null);
  const loadAll = async (): Promise<void> => {
    if (rows.length >= total) return;
    try {
      const res = await fetch(fullUrl);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setRows(body.layers);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const metricCols = useMemo(
    () => [...WW_DEFAULT_METRIC_COLUMNS, ...WW_OPTIONAL_METRIC_COLUMNS].filter((c) => rows.some((r) => r[c] != null)),
    [rows],
  );
  const columns = [...LEAD, ...metricCols, 'skip_reason'];
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: 'ordinal', dir: 1 });
  const sorted = useMemo(() => {
    const val = (r: Row) => {
      const v = r[sort.key];
      return Array.isArray(v) ? v.join('x') : v;
    };
    return [...rows].sort((a, b) => {
      const x = val(a);
      const y = val(b);
      if (x == null && y == null) return a.ordinal - b.ordinal;
      if (x == null) return 1;
      if (y == null) return -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return c * sort.dir || a.ordinal - b.ordinal;
    });
  }, [rows, sort]);

  return (
    <div className="table-wrap" style={{ maxHeight: '70vh' }}>
      <table data-testid="layer-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col" aria-sort={sort.key === c ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined} className={LEAD.includes(c as any) || c === 'skip_reason' || c === 'warning' ? undefined : 'num'}>
                <button
                  type="button"
                  className="sort"
                  onClick={() => {
                    void loadAll();
                    setSort((s) => ({ key: c, dir: s.key === c ? ((-s.dir) as 1 | -1) : 1 }));
                  }}
                  data-testid={`layer-sort-${c}`}
                >
                  {c}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(showAll ? sorted : sorted.slice(0, INITIAL_ROWS)).map((r) => (
            <tr key={r.ordinal} data-testid="layer-row">
              {columns.map((c) => {
                const v = r[c];
                if (c === 'tensor') return <td key={c} className="tensor">{r.tensor}</td>;
                if (c === 'shape') return <td key={c}>{Array.isArray(v) ? v.join('×') : '—'}</td>;
                if (typeof v === 'number') return <td key={c} className="num">{Number.isInteger(v) ? v : fmt(v, 4)}</td>;
                return <td key={c}>{v == null || v === '' ? '—' : String(v)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {error && <p className="banner error" role="alert">Could not load all layers: {error}</p>}
      {!showAll && (
        <p style={{ padding: '0.5rem' }}>
          <button
            type="button"
            className="btn secondary"
            onClick={() => {
              void loadAll();
              setShowAll(true);
            }}
            data-testid="layer-show-all"
          >
            Show all {total} layers
          </button>
        </p>
      )}
    </div>
  );
}
