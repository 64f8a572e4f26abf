import Link from 'next/link';
import { getLeaderboardFacets, listLeaderboard, type LeaderboardRow } from '@/db/queries/leaderboard';
import {
  defaultDir, leaderboardParamsSchema, leaderboardSearch, STATUSES, type LeaderboardParams, type SortKey,
} from '@/db/queries/leaderboard-params';
import { hubEndpoint } from '@/jobs/hub-status';
import { alphaClass, date, fmt, hubUrl, params as fmtParams, pct } from './_components/format';
import { METRIC_INFO } from './_components/metric-info';
import { StatusCell } from './_components/Progress';
import { Tip } from './_components/Tip';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;

interface Column {
  key: SortKey;
  label: string;
  info?: string;
  num?: boolean;
  cell: (r: LeaderboardRow, hub: string) => React.ReactNode;
}

const s = (r: LeaderboardRow) => r.summary;

const COLUMNS: Column[] = [
  {
    key: 'model',
    label: 'Model',
    cell: (r, hub) => (
      <span style={{ display: 'inline-flex', gap: '0.35rem', alignItems: 'center' }}>
        <Link href={`/models/${r.id}`} prefetch={false} data-testid="model-link">
          {r.id}
        </Link>
        <a href={hubUrl(hub, r.id)} target="_blank" rel="noreferrer" aria-label={`${r.id} on the Hugging Face Hub`} title="Open on the Hub">
          ↗
        </a>
        {r.gated && <span className="badge gated">gated</span>}
        {r.synthetic && <span className="badge synthetic">synthetic</span>}
      </span>
    ),
  },
  { key: 'family', label: 'Family', cell: (r) => <span title={r.architecture ?? undefined}>{r.family ?? '—'}</span> },
  { key: 'architecture', label: 'Architecture', cell: (r) => <span className="small">{r.architecture ?? '—'}</span> },
  { key: 'params', label: 'Params', num: true, info: METRIC_INFO.params.help, cell: (r) => fmtParams(r.parameterCount) },
  { key: 'dtype', label: 'dtype', cell: (r) => r.dtype ?? '—' },
  { key: 'license', label: 'License', cell: (r) => <span className="small">{r.license ?? '—'}</span> },
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
  { key: 'analysed_at', label: 'Analysed', cell: (r) => <span className="small">{date(r.analysedAt)}</span> },
  {
    key: 'status',
    label: 'Status',
    cell: (r) => <StatusCell status={r.status} done={r.progress?.layersDone} total={r.progress?.layersTotal} error={r.error} />,
  },
];

function SortHeader({ col, view }: { col: Column; view: LeaderboardParams & { dir: 'asc' | 'desc' } }) {
  const active = view.sort === col.key;
  const nextDir = active ? (view.dir === 'asc' ? 'desc' : 'asc') : defaultDir(col.key);
  // sort=alpha is the default and left out of URLs; the explicit dir keeps the direction.
  const link = `/${leaderboardSearch(view, { sort: col.key === 'alpha' ? undefined : col.key, dir: nextDir, page: undefined })}`;
  return (
    <th scope="col" className={col.num ? 'num' : undefined} aria-sort={active ? (view.dir === 'asc' ? 'ascending' : 'descending') : undefined} data-testid={`col-${col.key}`}>
      <Link href={link} prefetch={false} aria-label={`Sort by ${col.label}${active ? (view.dir === 'asc' ? ', descending' : ', ascending') : ''}`}>
        {col.label}
      </Link>
      {col.info && <Tip text={col.info} label={col.label} />}
    </th>
  );
}

function Filters({ view, families, dtypes }: { view: LeaderboardParams; families: string[]; dtypes: string[] }) {
  return (
    <form className="filters panel" method="get" action="/" role="search" aria-label="Filter models" data-testid="filters">
      <label>
        Search
        <input type="search" name="q" defaultValue={view.q ?? ''} placeholder="owner/name, family…" data-testid="filter-q" />
      </label>
      <label>
        Family
        <select name="family" defaultValue={view.family?.[0] ?? ''} data-testid="filter-family">
          <option value="">any</option>
          {families.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </label>
      <label>
        dtype
        <select name="dtype" defaultValue={view.dtype?.[0] ?? ''} data-testid="filter-dtype">
          <option value="">any</option>
          {dtypes.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select name="status" defaultValue={view.status?.[0] ?? ''} data-testid="filter-status">
          <option value="">any</option>
          {STATUSES.map((st) => (
            <option key={st} value={st}>
              {st}
            </option>
          ))}
        </select>
      </label>
      <label>
        Gated
        <select name="gated" defaultValue={view.gated === undefined ? '' : String(view.gated)} data-testid="filter-gated">
          <option value="">any</option>
          <option value="false">open only</option>
          <option value="true">gated only</option>
        </select>
      </label>
      <label>
        Min params
        <input type="text" name="minParams" size={6} defaultValue={view.minParams ?? ''} placeholder="e.g. 100M" data-testid="filter-min" />
      </label>
      <label>
        Max params
        <input type="text" name="maxParams" size={6} defaultValue={view.maxParams ?? ''} placeholder="e.g. 8B" data-testid="filter-max" />
      </label>
      {view.sort !== 'alpha' && <input type="hidden" name="sort" value={view.sort} />}
      {view.dir && <input type="hidden" name="dir" value={view.dir} />}
      <button className="btn" type="submit" data-testid="filter-apply">
        Apply
      </button>
      <Link href="/" className="btn secondary" prefetch={false}>
        Reset
      </Link>
    </form>
  );
}

export default async function LeaderboardPage({ searchParams }: { searchParams: Promise<Search> }) {
  const raw = await searchParams;
  const parsed = leaderboardParamsSchema.safeParse(raw);
  const base = parsed.success ? parsed.data : leaderboardParamsSchema.parse({});
  const [page, facets] = await Promise.all([listLeaderboard(base), getLeaderboardFacets()]);
  const view = { ...base, dir: page.dir };
  const hub = hubEndpoint();
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const exportQuery = leaderboardSearch(view, { page: undefined, pageSize: undefined });
  const exportBase = `/api/v1/models${exportQuery || '?'}${exportQuery ? '&' : ''}all=true`;
  const benchCols: Column[] = facets.benchmarks.map((b) => ({
    key: `bench:${b}` as SortKey,
    label: b,
    num: true,
    info: `Imported benchmark score "${b}"; higher is better.`,
    cell: (r) => fmt(r.benchmarks[b], 1),
  }));
  const columns = [...COLUMNS, ...benchCols];

  return (
    <>
      <h1>Open LLMs ranked by the spectral quality of their weights</h1>
      <p className="muted">
        Each layer’s eigenvalue spectrum is fitted with a power law; its exponent α is about 2–6 in well-trained layers (lower is
        better within that band). No data or evaluation runs are needed. Hover or focus (i) for what a column means.
      </p>
      {!parsed.success && (
        <div className="banner error" role="alert" data-testid="param-error">
          Ignored an invalid filter: {parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}
        </div>
      )}
      <Filters view={view} families={facets.families} dtypes={facets.dtypes} />
      <div className="toolbar">
        <span data-testid="total">
          {page.total} model{page.total === 1 ? '' : 's'}
          {page.total > 0 && ` · page ${page.page} of ${pages}`}
        </span>
        <span style={{ display: 'inline-flex', gap: '0.5rem' }}>
          <a className="btn secondary" href={`${exportBase}&format=csv`} download="alphaboard-models.csv" data-testid="export-csv">
            Export CSV
          </a>
          <a className="btn secondary" href={exportBase} data-testid="export-json" target="_blank" rel="noreferrer">
            Export JSON
          </a>
        </span>
      </div>
      <div className="table-wrap">
        <table data-testid="leaderboard">
          <caption className="skip-link">Models, sorted by {view.sort} {view.dir}ending</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <SortHeader key={c.key} col={c} view={view} />
              ))}
            </tr>
          </thead>
          <tbody>
            {page.rows.map((r) => (
              <tr key={r.id} data-testid="leaderboard-row" data-model={r.id}>
                {columns.map((c) => (
                  <td key={c.key} className={c.num ? 'num' : undefined} data-col={c.key}>
                    {c.cell(r, hub)}
                  </td>
                ))}
              </tr>
            ))}
            {page.rows.length === 0 && (
              <tr>
                <td colSpan={columns.length} className="empty">
                  No models match. {facets.models === 0 ? 'Nothing has been analysed yet: run npm run demo for synthetic models.' : 'Try fewer filters.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav className="pagination" aria-label="Pages" data-testid="pagination">
          {page.page > 1 && (
            <Link href={`/${leaderboardSearch(view, { page: page.page - 1 })}`} prefetch={false} rel="prev">
              ← Previous
            </Link>
          )}
          {pageNumbers(page.page, pages).map((n, i) =>
            n === null ? (
              <span key={`gap${i}`} aria-hidden="true">
                …
              </span>
            ) : (
              <Link key={n} href={`/${leaderboardSearch(view, { page: n })}`} prefetch={false} aria-current={n === page.page ? 'page' : undefined}>
                {n}
              </Link>
            ),
          )}
          {page.page < pages && (
            <Link href={`/${leaderboardSearch(view, { page: page.page + 1 })}`} prefetch={false} rel="next" data-testid="next-page">
              Next →
            </Link>
          )}
        </nav>
      )}
    </>
  );
}

/** 1 … p-2 p-1 p p+1 p+2 … last */
function pageNumbers(current: number, last: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let n = 1; n <= last; n++) {
    if (n === 1 || n === last || Math.abs(n - current) <= 2) out.push(n);
    else if (out[out.length - 1] !== null) out.push(null);
  }
  return out;
}
