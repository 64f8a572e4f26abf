import Link from 'next/link';
import { getLeaderboardFacets, listLeaderboard } from '@/db/queries/leaderboard';
import { leaderboardParamsSchema, leaderboardSearch, STATUSES, type LeaderboardParams } from '@/db/queries/leaderboard-params';
import { hubEndpoint } from '@/jobs/hub-status';
import { AutoRefresh } from './_components/AutoRefresh';
import { LeaderboardTable } from './_components/LeaderboardTable';
import { tableRowOf } from './_lib/leaderboard-table-rows';
import { leaderboardRowsHtml } from './_lib/leaderboard-rows-html';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;

/** The type filter's choices (a comma list is a `type` value too); '' = full models, or all three with `base`. */
const TYPE_CHOICES: [string, string][] = [
  ['', 'full models (default)'],
  ['model', 'base models only'],
  ['fine-tune', 'fine-tunes'],
  ['adapter', 'adapters'],
  ['model,fine-tune,adapter', 'all, adapters included'],
];

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
        Type
        <select name="type" defaultValue={view.type?.join(',') ?? ''} data-testid="filter-type">
          {TYPE_CHOICES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
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
      {view.base && <input type="hidden" name="base" value={view.base} />}
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
  const emptyText = `No models match. ${facets.models === 0 ? 'Nothing has been analysed yet: run npm run demo for synthetic models.' : 'Try fewer filters.'}`;

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
      {view.base && (
        <div className="banner info" role="status" data-testid="base-filter">
          Fine-tunes and adapters of <Link href={`/models/${view.base}`} prefetch={false}>{view.base}</Link>
          {view.type?.length ? ` (type: ${view.type.join(', ')})` : ''}.{' '}
          <Link href={`/${leaderboardSearch(view, { base: undefined, page: undefined })}`} prefetch={false} data-testid="base-filter-clear">
            Show every model
          </Link>
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
      <AutoRefresh active={page.rows.some((r) => r.status === 'running' || r.status === 'queued')} />
      <LeaderboardTable rowsHtml={leaderboardRowsHtml(page.rows.map(tableRowOf), hub, facets.benchmarks, emptyText)} view={view} benchmarks={facets.benchmarks} hub={hub} emptyText={emptyText} />
      {pages > 1 && (
        <nav className="pagination" aria-label="Pages" data-testid="pagination">
          {page.page > 1 && (
            <a href={`/${leaderboardSearch(view, { page: page.page - 1 })}`} rel="prev">
              ← Previous
            </a>
          )}
          {pageNumbers(page.page, pages).map((n, i) =>
            n === null ? (
              <span key={`gap${i}`} aria-hidden="true">
                …
              </span>
            ) : (
              <a key={n} href={`/${leaderboardSearch(view, { page: n })}`} aria-current={n === page.page ? 'page' : undefined}>
                {n}
              </a>
            ),
          )}
          {page.page < pages && (
            <a href={`/${leaderboardSearch(view, { page: page.page + 1 })}`} rel="next" data-testid="next-page">
              Next →
            </a>
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
