'use client';

import { useMemo, useState } from 'react';
import { usePageView } from './page-view';
import {
  expertRoleOf, isAnalysed, median, metricColumnsOf, reusedModelOf, tableItems, type ExpertMember, type TableLine, type TableRow,
} from '@/db/queries/layer-aggregates';
import { INITIAL_TABLE_LINES } from '@/db/queries/layer-columns';
import { fmt } from './format';

type Row = TableRow;

const num = (v: unknown) => (typeof v === 'number' ? v : null);

export { tableItems };

function ReusedNote({ from }: { from: unknown }) {
  if (typeof from !== 'string' || !from) return null;
  const model = reusedModelOf(from);
  const what = from.slice(model.length + 1);
  return (
    <div className="small muted" data-testid="reused-from" title={`metrics reused from ${from}: identical bytes, not recomputed`}>
      identical to <a href={`/models/${model}`}>{model}</a> {what}
    </div>
  );
}

function ExpertGroup({ members, row }: { members: ExpertMember[]; row: Row }) {
  const alphas = members.filter((m) => isAnalysed({ status: String(m.status), alpha: num(m.alpha) })).map((m) => m.alpha as number);
  const role = expertRoleOf(members[0].tensor) ?? 'expert';
  return (
    <details data-testid="expert-group">
      <summary>
        {members.length} experts · block {String(row.block_index ?? '—')} · {role}
        {alphas.length > 0 && (
          <span data-testid="expert-band">
            {' '}· α min {fmt(Math.min(...alphas), 3)} / median {fmt(median(alphas), 3)} / max {fmt(Math.max(...alphas), 3)}
          </span>
        )}
      </summary>
      <table className="small" data-testid="expert-rows">
        <thead><tr><th>expert</th><th>layer</th><th>status</th><th className="num">alpha</th></tr></thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.ordinal} data-testid="expert-row">
              <td className="num">{String(m.expert ?? '—')}</td>
              <td className="tensor">{String(m.name ?? m.tensor)}<ReusedNote from={m.reused_from} /></td>
              <td>{String(m.status)}</td>
              <td className="num">{fmt(num(m.alpha), 4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

const LEAD = ['ordinal', 'tensor', 'role', 'block_index', 'shape', 'dtype', 'status', 'phase'] as const;

/** Lines rendered before "Show all": keeps the first paint small for 300-layer models. */
const INITIAL_ROWS = INITIAL_TABLE_LINES;

/**
 * The layer table of a model page: its first lines come with the page view (fetched by URL, shared with the charts
 * and the ESD viewer), so the page itself sends no rows.
 */
export function LayerTable({ viewUrl, total, fullUrl }: { viewUrl: string; total: number; fullUrl: string }) {
  const { view, error } = usePageView(viewUrl);
  if (error) return <p className="banner error" role="alert">Could not load the layer table: {error}</p>;
  if (!view) return <p className="muted small" aria-busy="true" data-testid="layer-table-loading">Loading the layer table…</p>;
  return <LayerLinesTable lines={view.tableLines} total={total} fullUrl={fullUrl} />;
}

/**
 * Every layer with every stored column; click a header (or press Enter on it) to sort. The page view carries the
 * first lines only; the rest come from the layers API (same data, cached) when all are shown or a column is sorted.
 * Routed MoE experts are one expandable line per block and projection (medians; each expert inside), and a layer
 * whose metrics were reused from identical bytes elsewhere says where from.
 */
export function LayerLinesTable({ lines, total, fullUrl }: { lines: TableLine[]; total: number; fullUrl: string }) {
  /** Every row once loaded from the layers API (null: only the first lines the page sent). */
  const [rows, setRows] = useState<Row[] | null>(null);
  const sent = useMemo(() => lines.reduce((n, l) => n + (l.members?.length ?? 1), 0), [lines]);
  const [showAll, setShowAll] = useState(total <= sent);
  const [error, setError] = useState<string | null>(null);
  const loadAll = async (): Promise<void> => {
    if (rows || sent >= total) return;
    try {
      const res = await fetch(fullUrl);
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setRows(body.layers);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const metricCols = useMemo(() => metricColumnsOf(rows ?? lines.map((l) => l.row)), [rows, lines]);
  const columns = [...LEAD, ...metricCols, 'skip_reason'];
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: 'ordinal', dir: 1 });
  const sorted = useMemo(() => {
    const val = (r: Row) => {
      const v = r[sort.key];
      return Array.isArray(v) ? v.join('x') : v;
    };
    return [...(rows ? tableItems(rows, metricCols) : lines)].sort((ia, ib) => {
      const a = ia.row;
      const b = ib.row;
      const x = val(a);
      const y = val(b);
      if (x == null && y == null) return a.ordinal - b.ordinal;
      if (x == null) return 1;
      if (y == null) return -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return c * sort.dir || a.ordinal - b.ordinal;
    });
  }, [rows, lines, sort, metricCols]);

  return (
    <div className="table-wrap" style={{ maxHeight: '70vh' }}>
      <table data-testid="layer-table">
        <caption className="sr-only" aria-live="polite">
          Layers sorted by {sort.key}, {sort.dir === 1 ? 'ascending' : 'descending'}
        </caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col" aria-sort={sort.key === c ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'} className={LEAD.includes(c as any) || c === 'skip_reason' || c === 'warning' ? undefined : 'num'}>
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
          {(showAll ? sorted : sorted.slice(0, INITIAL_ROWS)).map(({ row: r, members }) => (
            <tr key={r.ordinal} data-testid="layer-row" data-expert-group={members ? 'true' : undefined}>
              {columns.map((c) => {
                const v = r[c];
                if (c === 'tensor') {
                  return (
                    <td key={c} className="tensor">
                      {members ? <ExpertGroup members={members} row={r} /> : <>{r.tensor}<ReusedNote from={r.reused_from} /></>}
                    </td>
                  );
                }
                if (members && typeof v === 'number' && (metricCols as readonly string[]).includes(c)) {
                  return <td key={c} className="num" title={`median over the analysed experts of ${members.length}`}>{fmt(v, 4)}</td>;
                }
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
