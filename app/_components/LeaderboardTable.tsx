'use client';

import { defaultDir, leaderboardSearch, type LeaderboardView, type SortKey } from '@/db/queries/leaderboard-url';
import type { LeaderboardTableRow } from '@/app/_lib/leaderboard-table-rows';
import { alphaClass, date, fmt, hubUrl, params as fmtParams, pct } from './format';
import { METRIC_INFO } from './metric-info';
import { StatusCell } from './Progress';
import { Tip } from './Tip';

/**
 * The leaderboard table. A client component on purpose: the page ships the rows once as data and this renders
 * them, instead of the server serialising thousands of table elements into the page's component payload (about
 * half the render cost of a 50-row page). Sorting is by links, so the view stays in the URL.
 */

interface Column {
  key: SortKey;
  label: string;
  info?: string;
  num?: boolean;
  cell: (r: LeaderboardTableRow, hub: string) => React.ReactNode;
}

const s = (r: LeaderboardTableRow) => r.summary;

const COLUMNS: Column[] = [
  {
    key: 'model',
    label: 'Model',
    cell: (r, hub) => (
      <span className="cell-line tight">
        <a href={`/models/${r.id}`} data-testid="model-link">
          {r.id}
        </a>
        <a href={hubUrl(hub, r.id)} target="_blank" rel="noreferrer" aria-label={`${r.id} on the Hugging Face Hub`} title="Open on the Hub">
          ↗
        </a>
        {r.type !== 'model' && <span className="badge" data-testid="type-badge">{r.type}</span>}
        {r.gated && <span className="badge gated">gated</span>}
        {r.synthetic && <span className="badge synthetic">synthetic</span>}
      </span>
    ),
  },
  {
    key: 'status',
    label: 'Status',
    cell: (r) => (
      <StatusCell
        status={r.status}
        done={r.progress?.layersDone}
        total={r.progress?.layersTotal}
        error={r.error}
        waitingToResume={r.progress?.waitingToResume}
      />
    ),
  },
  { key: 'family', label: 'Family', cell: (r) => r.family ?? '—' },
  { key: 'architecture', label: 'Architecture', cell: (r) => r.architecture ?? '—' },
  { key: 'params', label: 'Params', num: true, info: METRIC_INFO.params.help, cell: (r) => fmtParams(r.parameterCount) },
  { key: 'dtype', label: 'dtype', cell: (r) => r.dtype ?? '—' },
  { key: 'license', label: 'License', cell: (r) => r.license ?? '—' },
  { key: 'gated', label: 'Gated', cell: (r) => (r.gated ? <span className="badge gated">gated</span> : <span className="muted small">open</span>) },
  { key: 'layers', label: 'Layers', num: true, info: METRIC_INFO.layers.help, cell: (r) => s(r)?.layers_analyzed ?? '—' },
  { key: 'alpha', label: 'Mean α', num: true, info: METRIC_INFO.alpha.help, cell: (r) => <span className={alphaClass(s(r)?.alpha)}>{fmt(s(r)?.alpha)}</span> },
  { key: 'median_alpha', label: 'Median α', num: true, info: METRIC_INFO.median_alpha.help, cell: (r) => <span className={alphaClass(s(r)?.median_alpha)}>{fmt(s(r)?.median_alpha)}</span> },
  { key: 'alpha_weighted', label: 'α̂', num: true, info: METRIC_INFO.alpha_weighted.help, cell: (r) => fmt(s(r)?.alpha_weighted) },
  { key: 'log_alpha_norm', label: 'log α-norm', num: true, info: METRIC_INFO.log_alpha_norm.help, cell: (r) => fmt(s(r)?.log_alpha_norm) },
  { key: 'log_spectral_norm', label: 'log spec. norm', num: true, info: METRIC_INFO.log_spectral_norm.help, cell: (r) => fmt(s(r)?.log_spectral_norm) },
  { key: 'mean_D', label: 'Mean D', num: true, info: METRIC_INFO.mean_D.help, cell: (r) => fmt(s(r)?.mean_D) },
  { key: 'share_alpha_lt_2', label: 'α<2', num: true, info: METRIC_INFO.share_alpha_lt_2.help, cell: (r) => pct(s(r)?.share_alpha_lt_2) },
  { key: 'share_alpha_gt_6', label: 'α>6', num: true, info: METRIC_INFO.share_alpha_gt_6.help, cell: (r) => pct(s(r)?.share_alpha_gt_6) },
  { key: 'traps', label: 'Traps', num: true, info: METRIC_INFO.traps.help, cell: (r) => s(r)?.correlation_traps ?? '—' },
  {
    key: 'revision',
    label: 'Revision',
    cell: (r) =>
      r.revision ? (
        <span className="small" title={r.revision.sha}>
          <code>{r.revision.sha.slice(0, 7)}</code> {r.revision.ref !== 'main' ? r.revision.ref : ''}
        </span>
      ) : (
        '—'
      ),
  },
  { key: 'analysed_at', label: 'Analysed', cell: (r) => date(r.analysedAt) },
];

function SortHeader({ col, view }: { col: Column; view: LeaderboardView & { dir: 'asc' | 'desc' } }) {
  const active = view.sort === col.key;
  const nextDir = active ? (view.dir === 'asc' ? 'desc' : 'asc') : defaultDir(col.key);
  // sort=alpha is the default and left out of URLs; the explicit dir keeps the direction.
  const link = `/${leaderboardSearch(view, { sort: col.key === 'alpha' ? undefined : col.key, dir: nextDir, page: undefined })}`;
  return (
    <th scope="col" className={col.num ? 'num' : undefined} aria-sort={active ? (view.dir === 'asc' ? 'ascending' : 'descending') : 'none'} data-testid={`col-${col.key}`}>
      <a href={link} aria-label={`Sort by ${col.label}${active ? (view.dir === 'asc' ? ', descending' : ', ascending') : ''}`}>
        {col.label}
      </a>
      {col.info && <Tip text={col.info} label={col.label} />}
    </th>
  );
}


/**
 * The table. Its body is either `rowsHtml` (what the page sends: the rows' markup built on the server by
 * app/_lib/leaderboard-rows-html.ts, identical to what the columns below render) or `rows` rendered here.
 */
export function LeaderboardTable({ rows = [], rowsHtml, view, benchmarks, hub, emptyText }: {
  rows?: LeaderboardTableRow[];
  rowsHtml?: string;
  view: LeaderboardView & { dir: 'asc' | 'desc' };
  benchmarks: string[];
  hub: string;
  emptyText: string;
}) {
  const benchCols: Column[] = benchmarks.map((b) => ({
    key: `bench:${b}` as SortKey,
    label: b,
    num: true,
    info: `Imported benchmark score "${b}"; higher is better.`,
    cell: (r) => fmt(r.benchmarks[b], 1),
  }));
  const columns = [...COLUMNS, ...benchCols];
  return (
    <div className="table-wrap">
      <table data-testid="leaderboard">
        <caption className="sr-only">
          Models, sorted by {columns.find((c) => c.key === view.sort)?.label ?? view.sort}, {view.dir}ending
        </caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <SortHeader key={c.key} col={c} view={view} />
            ))}
          </tr>
        </thead>
        {rowsHtml !== undefined ? (
          <tbody dangerouslySetInnerHTML={{ __html: rowsHtml }} />
        ) : (
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="leaderboard-row" data-model={r.id}>
                {columns.map((c) => (
                  <td key={c.key} className={c.num ? 'num' : undefined}>
                    {c.cell(r, hub)}
                  </td>
                ))}
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={columns.length} className="empty">
                  {emptyText}
                </td>
              </tr>
            )}
          </tbody>
        )}
      </table>
    </div>
  );
}
